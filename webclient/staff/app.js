// Staff dashboard: sign-in, live queues, chats in tabs, session expiry.

import { $, h, replaceChildren, showView } from '../common/dom.js';
import { setLang, preferredLang, bindLangSwitch, onLangChange, t, lang } from '../common/i18n.js';
import { ReconnectingSocket } from '../common/ws.js';
import { wireSignIn } from '../common/signin.js';
import { api } from './api.js';
import { Queues } from './queues.js';
import { Chats } from './chats.js';
import { unlockAudio, beep, titleAlert, clearTitleAlert } from './alert.js';
import { showBanner } from '../admin/banner.js';

const CLOSE_POLICY = 1008;
const CLOSE_NOT_AUTHENTICATED = 4401;

const app = {
  user: null,
  socket: null,
  queues: null,
  chats: null,
  canned: new Map(), // unit_id → [{id, title, body}]
  send: (frame) => (app.socket ? app.socket.send(frame) : false),
  toast,
  cannedFor: (unit) => app.canned.get(unit) || [],
};
let signin = null; // common/signin.js: the form, sign-out and the session check

async function main() {
  await setLang(preferredLang());
  bindLangSwitch($('#lang-switch'));
  onLangChange(() => {
    if (app.queues) app.queues.render();
    if (app.chats) app.chats.relabel();
    if (app.user) renderCannedAdmin();
    renderUser();
  });
  $('#canned-form').addEventListener('submit', onAddCanned);
  $('#canned-unit').addEventListener('change', renderCannedAdmin);
  signin = wireSignIn({
    view: $('#view-login'),
    logout: $('#logout'),
    onSignedIn: startDashboard,
    // The socket would otherwise see the sign-out's close as an expired session.
    beforeSignOut: () => { if (app.socket) app.socket.stop(); },
    // A fresh page is the simplest way to drop every chat, tab and timer.
    onSignedOut: () => location.reload(),
  });
  // Submitting is a user gesture: the AudioContext may be created now.
  $('#login-form').addEventListener('submit', unlockAudio);
  await signin.start();
}

function showLogin(message) {
  app.user = null;
  renderUser();
  signin.showLogin();
  const msg = $('#session-msg');
  msg.textContent = message || '';
  msg.hidden = !message;
}

function renderUser() {
  const name = $('#user-name');
  name.hidden = !app.user;
  name.textContent = app.user ? t('staff.signed_in_as', { name: app.user.display_name }) : '';
  $('#logout').hidden = !app.user;
  $('#sound-label').hidden = !app.user;
}

function startDashboard(data) {
  app.user = data.user;
  $('#session-msg').hidden = true;
  renderUser();
  showView('view-dash');
  replaceChildren($('#tabs'));
  replaceChildren($('#panels'));
  app.queues = new Queues({ onPick: pick, onNew: alertNew });
  app.chats = new Chats(app);
  app.chats.update();
  loadCanned();
  app.socket = new ReconnectingSocket('/ws/staff', {
    onFrame,
    shouldReconnect: (code) => code !== CLOSE_POLICY && code !== CLOSE_NOT_AUTHENTICATED,
    onState: onSocketState,
  });
  app.socket.connect();
  $('#queues-heading').focus();
}

async function onSocketState(name) {
  const msg = $('#session-msg');
  if (name === 'reconnecting' || name === 'offline') {
    msg.textContent = t('staff.reconnecting');
    msg.hidden = false;
  } else if (name === 'open') {
    msg.hidden = true;
  } else if (name === 'closed' && app.user) {
    // Closed with 1008/4401: usually the session ended. Ask the server to be sure.
    const me = await api.me();
    if (me.status === 200) {
      app.socket.connect();
      return;
    }
    app.socket = null;
    showLogin(t('staff.session_expired'));
  }
}

function pick(queueId, contactId) {
  clearTitleAlert();
  const frame = { type: 'pick', queue: queueId };
  if (contactId) frame.contact_id = contactId;
  app.pickPending = true;
  app.send(frame);
}

function alertNew(contact) {
  const text = contact.red_flag || contact.level === 'emergency' ? t('alert.red_flag') : t('alert.urgent');
  titleAlert(text);
  if ($('#sound').checked) beep();
  toast(text, true);
}

let banner = null; // the active service notice (driftinformation), or null

function renderBanner() {
  showBanner($('#banner'), banner, lang());
}

async function loadBanner() {
  try {
    const r = await fetch('/api/banner');
    if (r.ok) {
      banner = (await r.json()).banner;
      renderBanner();
    }
  } catch {
    // No notice is better than a broken page; the socket brings it later.
  }
}

function onEscalation(frame) {
  // A red-flag or urgent contact has waited past its target: everyone on the unit is told.
  const text = t('alert.escalation', { minutes: Math.floor(frame.waited_s / 60) });
  titleAlert(text);
  if ($('#sound').checked) beep();
  toast(text, true);
}

function onFrame(frame) {
  const chats = app.chats;
  switch (frame.type) {
    case 'banner':
      banner = frame.banner;
      renderBanner();
      break;
    case 'escalation':
      onEscalation(frame);
      break;
    case 'welcome':
      if ('banner' in frame) {
        banner = frame.banner;
        renderBanner();
      }
      app.user = frame.user;
      renderUser();
      app.queues.merge(frame.queues);
      chats.refreshQueues();
      for (const c of frame.assigned || []) {
        const chat = chats.open(c, [], false);
        // Resume: fetch what we have not seen, then resend what was never acked.
        app.send({ type: 'sync', contact_id: c.contact_id, after_seq: chat.transcript.lastSeq });
        for (const p of chat.transcript.unacked()) {
          app.send({ type: 'message', contact_id: c.contact_id, client_id: p.client_id, body: p.body });
        }
      }
      break;
    case 'queues':
      app.queues.merge(frame.queues);
      chats.refreshQueues();
      break;
    case 'assigned': {
      const mine = app.pickPending;
      app.pickPending = false;
      chats.open(frame.contact, frame.messages, mine);
      if (mine) chats.get(frame.contact.contact_id).q('[data-id="reply"]').focus();
      break;
    }
    case 'history': {
      const chat = chats.get(frame.contact_id);
      if (chat) chat.transcript.addAll(frame.messages);
      break;
    }
    case 'message':
      chats.message(frame);
      break;
    case 'ack': {
      const chat = chats.get(frame.contact_id);
      if (chat) chat.transcript.ack(frame.client_id, frame.seq, { sender: 'staff', sender_name: app.user.display_name });
      break;
    }
    case 'typing': {
      const chat = chats.get(frame.contact_id);
      if (chat && frame.sender === 'patient') chat.typing();
      break;
    }
    case 'note': {
      const chat = chats.get(frame.contact_id);
      if (chat) chat.addNote(frame);
      break;
    }
    case 'triage': {
      const chat = chats.get(frame.contact_id);
      if (chat) chat.setTriage(frame);
      break;
    }
    case 'closed': {
      const chat = chats.get(frame.contact_id);
      if (chat && !chat.closed) chat.markEnded(t('chats.closed', { outcome: t(`outcome.${frame.outcome}`) }), frame.outcome);
      break;
    }
    case 'transferred': {
      const chat = chats.get(frame.contact_id);
      if (chat && !chat.closed) chat.markEnded(t('chats.transferred'), null);
      break;
    }
    case 'error':
      app.pickPending = false;
      toast(t(`error.${frame.code}`) === `error.${frame.code}` ? t('error.generic') : t(`error.${frame.code}`));
      break;
    default:
      break;
  }
}

// -- canned responses ----------------------------------------------------------

async function loadCanned() {
  const units = app.user.units || [];
  await Promise.all(units.map(async (unit) => {
    const r = await api.canned(unit);
    app.canned.set(unit, r.status === 200 ? r.data.canned : []);
  }));
  const select = $('#canned-unit');
  const current = select.value;
  replaceChildren(select, units.map((u) => h('option', { value: u, selected: u === current }, u)));
  renderCannedAdmin();
  app.chats.refreshCanned();
}

function renderCannedAdmin() {
  const unit = $('#canned-unit').value;
  const items = app.cannedFor(unit).map((c) => {
    const del = h('button', {
      type: 'button', class: 'btn btn--quiet btn--small',
      'aria-label': t('canned.delete_named', { title: c.title }),
    }, t('canned.delete'));
    del.addEventListener('click', async () => {
      const r = await api.deleteCanned(unit, c.id);
      if (r.status !== 200) toast(t('error.generic'));
      await loadCanned();
    });
    return h('li', {}, h('span', {}, c.title), del);
  });
  replaceChildren($('#canned-list'), items.length ? items : [h('li', {}, t('canned.none'))]);
}

async function onAddCanned(ev) {
  ev.preventDefault();
  const unit = $('#canned-unit').value;
  const title = $('#canned-title').value.trim();
  const body = $('#canned-body').value.trim();
  if (!unit || !title || !body) {
    toast(t('canned.err_missing'));
    return;
  }
  const r = await api.addCanned(unit, title, body);
  if (r.status === 201) {
    $('#canned-title').value = '';
    $('#canned-body').value = '';
  } else {
    toast(t('error.generic'));
  }
  await loadCanned();
}

let toastTimer = null;
// Messages stay 8 s: long enough to read twice, short enough not to pile up.
const TOAST_MS = 8000;

function toast(text) {
  const el = $('#toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, TOAST_MS);
}

window.addEventListener('focus', clearTitleAlert);

main();
