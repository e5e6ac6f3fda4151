// Staff sign-in shared by /staff, /admin, /manager and /audit: the form (built
// here with DOM calls, so every page shows the same one and no page repeats its
// markup), POST /api/staff/login, "Logga in med SITHS" when a SITHS identity
// provider is configured, GET /api/staff/me and sign-out. The session's
// CSRF token goes to common/http.js, which sends it with the pages' changes.
// Texts come from the common dictionary (/static/i18n, keys login.* and
// error.*): the page calls setLang() of common/i18n.js, which relabels the form.

import { mountAccount, needsSetup, runSetup } from './account.js';
import { $, h, showView } from './dom.js';
import { call, setCsrfToken } from './http.js';
import { applyTexts, lang, onLangChange, t } from './i18n.js';
import { hasSignInHint } from './signin-hint.js';

// Server error code of a failed sign-in → text key shown under the form.
const LOGIN_ERRORS = {
  invalid_credentials: 'login.err_invalid',
  otp_required: 'login.err_otp_required',
  invalid_otp: 'login.err_otp',
  rate_limited: 'error.rate_limited',
  // 503: too many sign-ins being checked at once; nothing was checked.
  busy: 'login.err_busy',
  network: 'error.network',
};
// After these the one-time code is what to fix: focus goes to its field.
const OTP_ERRORS = new Set(['otp_required', 'invalid_otp']);

// One labelled input; the label's text is filled by applyTexts (data-i18n).
function field(id, key, attrs, ...extra) {
  return h('div', { class: 'field' },
    h('label', { for: id, 'data-i18n': key }),
    h('input', { id, ...attrs }),
    extra);
}

// The form's ids (#login-heading, #login-form, #username, #password, #otp,
// #login-error) are what the browser tests and screen-reader labels rely on.
function renderForm(view) {
  view.setAttribute('aria-labelledby', 'login-heading');
  view.append(
    h('h1', { id: 'login-heading', tabindex: '-1', 'data-i18n': 'login.heading' }),
    h('form', { id: 'login-form', novalidate: true },
      field('username', 'login.username', { type: 'text', autocomplete: 'username', required: true }),
      field('password', 'login.password', { type: 'password', autocomplete: 'current-password', required: true }),
      field('otp', 'login.otp', {
        type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '8', 'aria-describedby': 'otp-hint',
      }, h('p', { id: 'otp-hint', class: 'hint', 'data-i18n': 'login.otp_hint' })),
      h('p', { id: 'login-error', class: 'form-error', role: 'alert', hidden: true }),
      h('button', { type: 'submit', class: 'btn btn--primary btn--block', 'data-i18n': 'login.submit' })));
  applyTexts(view);
}

/**
 * "Logga in med SITHS" under the form when the service is a relying party of
 * a SITHS identity provider (GET /api/auth/methods). The sign-in comes back to
 * this page with a staff session cookie, and start() finds it: no one-time
 * code is asked (the card is the second factor).
 */
async function offerSiths(view) {
  const r = await call('GET', '/api/auth/methods');
  if (r.status !== 200 || r.data.staff !== true) return;
  const back = encodeURIComponent(location.pathname);
  const block = h('div', { id: 'siths', class: 'siths' },
    h('p', { class: 'siths__or', 'data-i18n': 'signin.siths_or' }),
    h('a', {
      id: 'siths-link', class: 'btn btn--secondary btn--block', href: `/auth/staff/login?return_to=${back}`,
      'aria-describedby': 'siths-hint', 'data-i18n': 'signin.siths',
    }),
    h('p', { id: 'siths-hint', class: 'hint', 'data-i18n': 'signin.siths_hint' }));
  view.append(block);
  applyTexts(block);
}

// The error keeps its key in data-i18n so a language switch translates it too.
function showError(key) {
  const err = $('#login-error');
  if (key) err.dataset.i18n = key;
  else delete err.dataset.i18n;
  err.textContent = key ? t(key) : '';
  err.hidden = !key;
}

/**
 * Fill `view` (the page's empty `<section id="view-login" class="view">`) with
 * the sign-in form and wire it and the `logout` button.
 *
 * - onSignedIn(session): signed in, by the form or an existing cookie;
 *   session is the body of /api/staff/me: {user, csrf_token}.
 * - onSignedOut(): after the logout button's sign-out; the form is showing.
 * - beforeSignOut(): before the sign-out request (e.g. stop a WebSocket so its
 *   close is not taken for an expired session).
 *
 * Returns {start, showLogin}: start() asks the server whether the cookie is
 * still signed in; showLogin() shows the form again (e.g. after a 401).
 */
export function wireSignIn({ view, logout, onSignedIn, onSignedOut = () => {}, beforeSignOut = () => {} }) {
  renderForm(view);
  offerSiths(view);
  // The form states its language: /audit keeps its bilingual page in Swedish.
  view.lang = lang();
  onLangChange((code) => { view.lang = code; });

  // "Mitt konto" (common/account.js): own sessions and password change.
  const account = mountAccount(logout, { onSessionEnded: () => showLogin() });

  function signedIn(session) {
    setCsrfToken(session.csrf_token);
    showError(null);
    logout.hidden = false;
    if (needsSetup(session)) {
      // First sign-in: a new password, then the own second factor, before anything else.
      showView(view.id);
      runSetup(view, session, signedIn);
      return;
    }
    account.hidden = false;
    onSignedIn(session);
  }

  function showLogin() {
    setCsrfToken('');
    logout.hidden = true;
    account.hidden = true;
    const setup = view.querySelector('#account-setup');
    if (setup) {
      setup.remove();
      for (const el of view.children) if (el.id !== 'login-error') el.hidden = false;
    }
    showView(view.id);
    $('#username').focus();
  }

  async function submit(ev) {
    ev.preventDefault();
    showError(null);
    const username = $('#username').value.trim();
    const password = $('#password').value;
    const otp = $('#otp').value.trim();
    if (!username || !password) {
      showError('login.err_missing');
      return;
    }
    const r = await call('POST', '/api/staff/login', { username, password, otp: otp || null });
    if (r.status === 200) {
      $('#password').value = '';
      $('#otp').value = '';
      signedIn(r.data);
      return;
    }
    const code = r.data.error ? r.data.error.code : '';
    showError(LOGIN_ERRORS[code] || 'login.err_invalid');
    if (OTP_ERRORS.has(code)) $('#otp').focus();
  }

  async function signOut() {
    beforeSignOut();
    await call('POST', '/api/staff/logout', {});
    showLogin();
    onSignedOut();
  }

  async function start() {
    // Only a browser that signed in asks who it is: a signed-out visit makes
    // no request that answers 401 (which browsers log as a console error).
    if (!hasSignInHint(document.cookie)) {
      showLogin();
      return;
    }
    const r = await call('GET', '/api/staff/me');
    if (r.status === 200) {
      signedIn(r.data);
      return;
    }
    showLogin(); // the session ended meanwhile: the answer dropped the hint too
  }

  $('#login-form', view).addEventListener('submit', submit);
  logout.addEventListener('click', signOut);
  return { start, showLogin };
}
