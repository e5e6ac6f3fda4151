// HTTP calls of the staff dashboard. The session is an HttpOnly cookie; call()
// of common/signin.js adds the CSRF token from sign-in to every change.

import { call } from '../common/signin.js';

export const api = {
  me: () => call('GET', '/api/staff/me'),
  canned: (unit) => call('GET', `/api/units/${encodeURIComponent(unit)}/canned`),
  addCanned: (unit, title, body) => call('POST', `/api/units/${encodeURIComponent(unit)}/canned`, { title, body }),
  deleteCanned: (unit, id) => call('DELETE', `/api/units/${encodeURIComponent(unit)}/canned/${id}`),
};
