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
