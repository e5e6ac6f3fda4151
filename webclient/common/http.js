// The one way every page talks HTTP: JSON in and out with the session cookie,
// the staff session's CSRF token on every change, a patient token as Bearer.
// An unreachable server is an answer too (status 0, error code "network"), so
// callers branch on the status and never need try/catch.

// The staff session's CSRF token (from sign-in); empty on the patient pages.
let csrfToken = '';

// Methods that change something and so must carry the CSRF token.
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** Remember the session's CSRF token (empty string after sign-out). */
export function setCsrfToken(token) {
  csrfToken = token || '';
}

/**
 * A request → {status, data, headers}. `data` is the parsed JSON body ({} when there is
 * none), or the body as text with {as: 'text'}; `headers` the response's (absent
 * when the server could not be reached). `bearer` sends a patient token.
 */
export async function call(method, url, body, { bearer = '', as = 'json' } = {}) {
  const headers = { accept: as === 'json' ? 'application/json' : '*/*' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (!SAFE_METHODS.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  let resp;
  try {
    resp = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { status: 0, data: { error: { code: 'network' } } };
  }
  const { headers: got } = resp;
  if (as === 'text') return { status: resp.status, data: await resp.text().catch(() => ''), headers: got };
  return { status: resp.status, data: await resp.json().catch(() => ({})), headers: got };
}

/**
 * The bytes at `url` → {status, blob} (blob null unless 200), never from or
 * into the browser's HTTP cache (photos are patient data). `bearer` sends a
 * patient token; without it the session cookie goes along.
 */
export async function callBlob(url, { bearer = '' } = {}) {
  const headers = bearer ? { authorization: `Bearer ${bearer}` } : {};
  try {
    const resp = await fetch(url, { headers, credentials: 'same-origin', cache: 'no-store' });
    return { status: resp.status, blob: resp.ok ? await resp.blob() : null };
  } catch {
    return { status: 0, blob: null };
  }
}

/**
 * POST multipart `form` to `url` with XMLHttpRequest (fetch reports no upload
 * progress) → {status, data, retryAfterS}; status 0 when no answer came (a
 * dropped connection, no network, `timeoutMs` passed). `onProgress(loaded,
 * total)` as the body goes (total 0 while unknown).
 */
export function callUpload(url, form, { bearer = '', onProgress = () => {}, timeoutMs = 0 } = {}) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.withCredentials = true;
    xhr.setRequestHeader('accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('x-csrf-token', csrfToken);
    if (bearer) xhr.setRequestHeader('authorization', `Bearer ${bearer}`);
    xhr.timeout = timeoutMs;
    xhr.upload.onprogress = (ev) => onProgress(ev.loaded, ev.lengthComputable ? ev.total : 0);
    const dropped = () => resolve({ status: 0, data: { error: { code: 'network' } }, retryAfterS: null });
    xhr.onerror = dropped;
    xhr.ontimeout = dropped;
    xhr.onabort = dropped;
    xhr.onload = () => {
      let data = {};
      try {
        data = JSON.parse(xhr.responseText || '{}');
      } catch {
        data = {};
      }
      const header = Number(xhr.getResponseHeader('retry-after'));
      resolve({ status: xhr.status, data, retryAfterS: header > 0 ? header : (data?.error?.retry_after_s ?? null) });
    };
    xhr.send(form);
  });
}
