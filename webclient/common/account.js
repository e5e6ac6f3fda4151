// A staff member's own account, shared by /staff, /manager, /admin and /audit
// through common/signin.js:
//
// - the first-sign-in steps (docs/protocol.md "Own account"): a forced
//   password change (current, new, repeat; the server's weak_password feedback
//   shown) and then TOTP self-enrolment (the secret in groups of four and the
//   otpauth URI as a link: no QR library is vendored), confirmed by a code;
// - "Mitt konto" in the page header: a dialog with "Mina sessioner" (each other
//   session with "Logga ut") and "Byt lösenord".
//
// Texts are the dictionary's account.* keys.

import { $, h, replaceChildren } from './dom.js';
import { call } from './http.js';
import { applyTexts, lang, t } from './i18n.js';

/** True when the session may do nothing before the setup steps. */
export function needsSetup(session) {
  return session.must_change_password === true || session.must_enrol_totp === true;
}

function field(id, key, attrs, hintKey) {
  return h('div', { class: 'field' },
    h('label', { for: id, 'data-i18n': key }),
    h('input', { id, ...attrs, ...(hintKey ? { 'aria-describedby': `${id}-hint` } : {}) }),
    hintKey ? h('p', { id: `${id}-hint`, class: 'hint', 'data-i18n': hintKey }) : null);
}

// The error under a form, and zxcvbn's suggestions (English, so marked lang="en").
function showFormError(box, key, feedback) {
  if (!key) {
    box.hidden = true;
    replaceChildren(box);
    return;
  }
  const lines = [];
  if (feedback) {
    if (feedback.warning) lines.push(feedback.warning);
    lines.push(...(feedback.suggestions || []));
  }
  replaceChildren(box, h('span', {}, t(key)),
    lines.length ? h('ul', { class: 'account__feedback', lang: 'en' }, lines.map((x) => h('li', {}, x))) : null);
  box.hidden = false;
}

const PASSWORD_ERRORS = {
  wrong_current_password: 'account.err_current',
  weak_password: 'account.err_weak',
  password_unchanged: 'account.err_unchanged',
  rate_limited: 'error.rate_limited',
  network: 'error.network',
};

/** The password form (ids prefixed with `prefix`); calls done(answer) after a change. */
function passwordForm(prefix, done) {
  const error = h('div', { id: `${prefix}-error`, class: 'form-error', role: 'alert', hidden: true });
  const form = h('form', { id: `${prefix}-form`, novalidate: true },
    field(`${prefix}-current`, 'account.current_password', { type: 'password', autocomplete: 'current-password', required: true }),
    field(`${prefix}-new`, 'account.new_password', { type: 'password', autocomplete: 'new-password', required: true, minlength: '10' }, 'account.new_password_hint'),
    field(`${prefix}-repeat`, 'account.repeat_password', { type: 'password', autocomplete: 'new-password', required: true }),
    error,
    h('button', { type: 'submit', class: 'btn btn--primary', 'data-i18n': 'account.save_password' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const current = $(`#${prefix}-current`, form);
    const next = $(`#${prefix}-new`, form);
    const repeat = $(`#${prefix}-repeat`, form);
    if (!current.value || !next.value) {
      showFormError(error, 'account.err_missing');
      (current.value ? next : current).focus();
      return;
    }
    if (next.value !== repeat.value) {
      showFormError(error, 'account.err_repeat');
      repeat.focus();
      return;
    }
    const r = await call('POST', '/api/staff/password', { current_password: current.value, new_password: next.value });
    if (r.status === 200) {
      for (const input of [current, next, repeat]) input.value = '';
      showFormError(error, null);
      done(r.data);
      return;
    }
    const code = r.data.error ? r.data.error.code : '';
    showFormError(error, PASSWORD_ERRORS[code] || 'account.err_generic', code === 'weak_password' ? r.data.error.feedback : null);
    (code === 'wrong_current_password' ? current : next).focus();
  });
  return form;
}

// "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP": easier to type into an app.
function grouped(secret) {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

/**
 * Run the setup steps inside `view` (the sign-in view) for `session`; calls
 * finished(me) with the body of /api/staff/me once nothing is pending.
 */
export function runSetup(view, session, finished) {
  let box = view.querySelector('#account-setup');
  if (!box) {
    box = h('section', { id: 'account-setup', class: 'account-setup', 'aria-labelledby': 'setup-heading' });
    view.append(box);
  }
  // The sign-in form and its heading step aside while the setup runs.
  for (const el of view.children) if (el !== box) el.hidden = true;
  box.hidden = false;

  async function next(state) {
    if (state.must_change_password) return passwordStep();
    if (state.must_enrol_totp) return totpStep();
    const me = await call('GET', '/api/staff/me');
    box.remove();
    for (const el of view.children) if (el !== box && el.id !== 'login-error') el.hidden = false;
    finished(me.status === 200 ? me.data : session);
  }

  function show(...children) {
    replaceChildren(box, ...children);
    applyTexts(box);
    $('#setup-heading', box).focus();
  }

  function passwordStep() {
    show(
      h('h1', { id: 'setup-heading', tabindex: '-1', 'data-i18n': 'account.setup_password_heading' }),
      h('p', { 'data-i18n': 'account.setup_password_intro' }),
      passwordForm('setup-password', next));
  }

  async function totpStep() {
    const r = await call('POST', '/api/staff/totp/enrol', {});
    const error = h('div', { id: 'setup-otp-error', class: 'form-error', role: 'alert', hidden: true });
    if (r.status !== 200) {
      show(h('h1', { id: 'setup-heading', tabindex: '-1', 'data-i18n': 'account.setup_totp_heading' }), error);
      showFormError(error, 'account.err_generic');
      return;
    }
    const { secret, otpauth_uri: uri } = r.data;
    const form = h('form', { id: 'setup-otp-form', novalidate: true },
      field('setup-otp', 'account.totp_code', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '8', required: true }, 'account.totp_code_hint'),
      error,
      h('button', { type: 'submit', class: 'btn btn--primary', 'data-i18n': 'account.totp_activate' }));
    show(
      h('h1', { id: 'setup-heading', tabindex: '-1', 'data-i18n': 'account.setup_totp_heading' }),
      h('p', { 'data-i18n': 'account.setup_totp_intro' }),
      h('p', { 'data-i18n': 'account.totp_secret_label', id: 'setup-secret-label' }),
      h('p', { class: 'account__secret' }, h('code', { id: 'setup-secret', 'aria-labelledby': 'setup-secret-label' }, grouped(secret))),
      h('p', {}, h('a', { id: 'setup-uri', href: uri, 'data-i18n': 'account.totp_open_app' })),
      h('details', {}, h('summary', { 'data-i18n': 'account.totp_uri_label' }), h('code', { class: 'account__uri' }, uri)),
      h('p', { class: 'hint', 'data-i18n': 'account.totp_once' }),
      form);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const input = $('#setup-otp', form);
      const otp = input.value.trim();
      if (!otp) {
        showFormError(error, 'account.err_code');
        input.focus();
        return;
      }
      const c = await call('POST', '/api/staff/totp/confirm', { otp });
      if (c.status === 200) {
        next(c.data);
        return;
      }
      const code = c.data.error ? c.data.error.code : '';
      showFormError(error, code === 'invalid_otp' ? 'account.err_code' : PASSWORD_ERRORS[code] || 'account.err_generic');
      input.focus();
    });
  }

  next(session);
}

function fmt(epoch) {
  return new Intl.DateTimeFormat(lang() === 'sv' ? 'sv-SE' : 'en-GB', {
    timeZone: 'Europe/Stockholm', dateStyle: 'short', timeStyle: 'short',
  }).format(new Date(epoch * 1000));
}

/**
 * "Mitt konto" before the header's logout button: returns the button (hidden
 * until signed in, like logout). onSessionEnded() is called when the server
 * says the session is gone (401).
 */
export function mountAccount(logout, { onSessionEnded = () => {} } = {}) {
  const button = h('button', {
    type: 'button', id: 'account-open', class: 'btn btn--quiet btn--small', 'data-i18n': 'account.open', hidden: true,
    'aria-haspopup': 'dialog',
  });
  const list = h('ul', { id: 'account-sessions', class: 'account__sessions' });
  const status = h('p', { id: 'account-status', class: 'hint', role: 'status' });
  const changed = h('p', { id: 'account-changed', role: 'status', class: 'hint' });
  const dialog = h('dialog', { id: 'account-dialog', class: 'account', 'aria-labelledby': 'account-heading' },
    h('h2', { id: 'account-heading', 'data-i18n': 'account.heading' }),
    h('section', { 'aria-labelledby': 'account-sessions-heading' },
      h('h3', { id: 'account-sessions-heading', 'data-i18n': 'account.sessions_heading' }),
      h('p', { class: 'hint', 'data-i18n': 'account.sessions_intro' }),
      list, status),
    h('section', { 'aria-labelledby': 'account-password-heading' },
      h('h3', { id: 'account-password-heading', 'data-i18n': 'account.change_password_heading' }),
      passwordForm('account-password', (answer) => {
        changed.textContent = t('account.password_changed', { n: answer.sessions_ended || 0 });
        load();
      }),
      changed),
    h('button', { type: 'button', id: 'account-close', class: 'btn btn--secondary', 'data-i18n': 'account.close' }));
  logout.before(button);
  // applyTexts fills the elements under a root, not the root itself.
  button.textContent = t('account.open');

  async function load() {
    const r = await call('GET', '/api/staff/sessions');
    if (r.status === 401) {
      dialog.close();
      onSessionEnded();
      return;
    }
    if (r.status !== 200) {
      status.textContent = t('account.err_generic');
      return;
    }
    status.textContent = t('account.sessions_count', { n: r.data.sessions.length, limit: r.data.limit });
    replaceChildren(list, r.data.sessions.map((s) => {
      const text = t('account.session_line', { created: fmt(s.created_at), seen: fmt(s.last_seen_at) });
      return h('li', { class: 'account__session' },
        h('span', {}, text),
        s.current
          ? h('span', { class: 'account__current', 'data-i18n': 'account.session_current' }, t('account.session_current'))
          : h('button', {
            type: 'button', class: 'btn btn--secondary btn--small', 'data-session': s.id,
            'aria-label': t('account.session_end_label', { created: fmt(s.created_at) }),
          }, t('account.session_end')));
    }));
  }

  list.addEventListener('click', async (ev) => {
    const target = ev.target instanceof Element ? ev.target.closest('button[data-session]') : null;
    if (!target) return;
    const r = await call('DELETE', `/api/staff/sessions/${encodeURIComponent(target.dataset.session)}`);
    status.textContent = t(r.status === 200 ? 'account.session_ended' : 'account.err_generic');
    await load();
    list.querySelector('button')?.focus();
  });
  // In the document only while open: its fields never mix with the page's own.
  button.addEventListener('click', () => {
    changed.textContent = '';
    document.body.append(dialog);
    applyTexts(dialog);
    dialog.showModal();
    load();
  });
  dialog.addEventListener('close', () => dialog.remove());
  $('#account-close', dialog).addEventListener('click', () => dialog.close());
  return button;
}
