// The staff sign-in hint: a cookie the server sets with the (HttpOnly) session
// cookie and drops at sign-out or when /api/staff/me finds no session. It
// holds nothing but "1" and only says "a session may exist": without it a
// page shows the sign-in form at once instead of asking /api/staff/me, whose
// 401 browsers log as a console error.

const SIGNED_IN_HINT = 'staff_signed_in';

/** Whether `cookies` (document.cookie) carries the hint. */
export function hasSignInHint(cookies) {
  return cookies.split(';').some((c) => c.trim() === `${SIGNED_IN_HINT}=1`);
}
