// HTTP calls of the staff dashboard. The session is an HttpOnly cookie; every
// change carries the CSRF token from sign-in.

let csrf = '';

export function setCsrf(token) {
  csrf = token || '';
}

async function call(method, url, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
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
  const data = await resp.json().catch(() => ({}));
  return { status: resp.status, data };
}

export const api = {
  me: () => call('GET', '/api/staff/me'),
  login: (username, password, otp) => call('POST', '/api/staff/login', { username, password, otp: otp || null }),
  logout: () => call('POST', '/api/staff/logout', {}),
  canned: (unit) => call('GET', `/api/units/${encodeURIComponent(unit)}/canned`),
  addCanned: (unit, title, body) => call('POST', `/api/units/${encodeURIComponent(unit)}/canned`, { title, body }),
  deleteCanned: (unit, id) => call('DELETE', `/api/units/${encodeURIComponent(unit)}/canned/${id}`),
};
