// Sign-in with e-legitimation on the patient page (docs/identity.md): the
// "Logga in med BankID / Freja" offer beside anonymous chat (or instead of it
// when the unit requires identification), "Inloggad som …" and "Mina chattar"
// with the open chats resumable. The sign-in itself is a link: the server
// redirects to the broker and back, and the session cookie does the rest (the
// intake is bound to the person by the server; nothing is kept here).

import { $, h, replaceChildren } from '../common/dom.js';
import { call } from '../common/http.js';
import { lang, t } from '../common/i18n.js';

// Contact status → its text on "Mina chattar".
const STATUS_TEXT = {
  queued: 'mychats.status_queued',
  assigned: 'mychats.status_assigned',
  closed: 'mychats.status_closed',
  emergency_advised: 'mychats.status_emergency_advised',
};
// Statuses whose chat can be opened again (an emergency-advised contact never
// reached the queue: the patient starts a new chat instead).
const RESUMABLE = new Set(['queued', 'assigned']);

/**
 * What the server offers and who is signed in: {patient, me}. `patient` is
 * whether a patient issuer is configured (GET /api/auth/methods); `me` is the
 * body of GET /api/patient/me ({name, personnummer}) or null.
 */
export async function loadIdentity() {
  const methods = await call('GET', '/api/auth/methods');
  const patient = methods.status === 200 && methods.data.patient === true;
  if (!patient) return { patient: false, me: null };
  const me = await call('GET', '/api/patient/me');
  return { patient, me: me.status === 200 && me.data.identified ? me.data : null };
}

/**
 * The signed-in patient's contacts, newest first, or null when they could not
 * be loaded. Each call gives the open contacts fresh tokens (the old ones stop
 * working): the page keeps this list and resumes with its tokens only.
 */
export async function loadMyChats() {
  const r = await call('GET', '/api/patient/contacts');
  return r.status === 200 && Array.isArray(r.data.contacts) ? r.data.contacts : null;
}

/** The first word of a name from the broker (the intake asks for a first name). */
export function firstName(name) {
  return String(name || '').trim().split(/\s+/)[0] || '';
}

/**
 * Whether the patient must sign in before chatting: the chosen unit requires
 * it, or (none chosen yet) every listed unit does.
 */
export function identificationRequired(unit, units) {
  if (unit) return unit.identification === 'required';
  return units.length > 0 && units.every((u) => u.identification === 'required');
}

/** Where the sign-in comes back to: this page, with its ?unit= link. */
function signInHref() {
  const back = `${location.pathname}${location.search}`;
  return `/auth/patient/login?return_to=${encodeURIComponent(back)}`;
}

/**
 * The sign-in part of the intake card for the chosen `unit` (null: none yet)
 * among `units`. Returns whether the intake form is offered (false: the unit
 * requires identification and the patient has not signed in).
 */
export function renderSignin(identity, unit, units, myChats) {
  const { me } = identity;
  const required = identificationRequired(unit, units);
  const offered = identity.patient && !me && unit?.identification !== 'none';
  $('#signin').hidden = !offered && !(required && !me);
  $('#signin-lead').hidden = required;
  $('#signin-required').hidden = !required;
  $('#signin-anonymous').hidden = required;
  $('#signin-link').hidden = !identity.patient;
  $('#signin-link').setAttribute('href', signInHref());
  $('#signed-in').hidden = !me;
  $('#signed-in-name').textContent = me ? me.name : '';
  $('#signed-in-open').hidden = !(myChats || []).some((c) => c.patient_token && RESUMABLE.has(c.status));
  const formOffered = !required || Boolean(me);
  $('#intake-rest').hidden = !formOffered;
  return formOffered;
}

function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(lang() === 'en' ? 'en-GB' : 'sv-SE', {
    dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Stockholm',
  });
}

/**
 * "Mina chattar": `myChats` (undefined: still loading; null: it could not be
 * loaded) with a "Fortsätt chatten" button on each open chat;
 * onResume(contact) opens it.
 */
export function renderMyChats(myChats, onResume) {
  $('#mychats-error').hidden = myChats !== null;
  $('#mychats-empty').hidden = !Array.isArray(myChats) || myChats.length > 0;
  const items = (myChats || []).map((c, i) => {
    const whenId = `mychats-when-${i}`;
    const resumable = c.patient_token && RESUMABLE.has(c.status);
    let button = null;
    if (resumable) {
      button = h('button', {
        type: 'button', class: 'btn btn--primary btn--small', 'aria-describedby': whenId,
      }, t('mychats.resume'));
      button.addEventListener('click', () => onResume(c));
    }
    return h('li', { class: `mychats__item${resumable ? ' mychats__item--open' : ''}` },
      h('p', { id: whenId, class: 'mychats__when' }, t('mychats.started', { when: when(c.created_at) })),
      h('p', { class: 'mychats__status' }, t(STATUS_TEXT[c.status] || 'mychats.status_unknown')),
      button);
  });
  replaceChildren($('#mychats-list'), items);
  $('#mychats-list').hidden = items.length === 0;
}
