// Staff dashboard: sign-in, live queues, chats in tabs, session expiry. The
// dashboard's state lives in state.js and changes only there (server frames
// through applyFrame, the user's actions through its small pure functions);
// this module sends and receives, carries out the effects and renders.

import { showBanner } from '../common/banner.js';
import { $, h, randomId, replaceChildren, showView } from '../common/dom.js';
import { call } from '../common/http.js';
import { bindLangSwitch, has, lang, onLangChange, preferredLang, setLang, t, translate } from '../common/i18n.js';
import { wireSignIn } from '../common/signin.js';
import { ReconnectingSocket } from '../common/ws.js';
import { beep, clearTitleAlert, titleAlert, unlockAudio } from './alert.js';
import { ChatsView } from './chats.js';
import { StaffNotify } from './notify.js';
import { photoRequestFrame, photoRequestText } from './photos.js';
import { QueuesView } from './queues.js';
import { wireShortcuts } from './shortcuts.js';
import {
  activate,
  applyFrame,
  chatOf,
  closeFrame,
  closing,
  identityFailed,
  identityRequested,
  identityShown,
  initialState,
  overrideSent,
  picking,
  removeChat,
  signedIn,
  typingOver,
  written,
} from './state.js';

const CLOSE_POLICY = 1008;
const CLOSE_NOT_AUTHENTICATED = 4401;
// Typing notices are throttled to one per 3 s and shown for 5 s: enough to feel
// live without a frame per keystroke.
const TYPING_SEND_EVERY_MS = 3000;
const TYPING_SHOW_MS = 5000;
// Messages stay 8 s: long enough to read twice, short enough not to pile up.
const TOAST_MS = 8000;
// The tabs' "waiting for your reply" minutes and the patients' status move on.
const TICK_MS = 30000;

const page = {
  state: initialState(),
  socket: null,
  queues: null, // QueuesView
  chats: null, // ChatsView
  canned: new Map(), // unit_id → [{id, title, body}]
  typingSent: new Map(), // contact_id → when our last typing notice went out
  typingTimers: new Map(), // contact_id → timer that ends the patient's typing notice
  toastTimer: null,
  notify: null, // title count, sounds and push (notify.js)
};
let signin = null; // common/signin.js: the form, sign-out and the session check

const send = (frame) => (page.socket ? page.socket.send(frame) : false);
const cannedFor = (unit) => page.canned.get(unit) || [];

// What the user does in a chat (chats.js calls these).
const actions = {
  activate: (id, focus) => {
    update((s) => activate(s, id));
    if (focus) page.chats.focusTab(id);
  },
  tabKey: (ev, id) => {
    const ids = page.state.chats.map((c) => c.contact.contact_id);
    const i = ids.indexOf(id);
    let next = null;
    if (ev.key === 'ArrowRight') next = ids[(i + 1) % ids.length];
    else if (ev.key === 'ArrowLeft') next = ids[(i - 1 + ids.length) % ids.length];
    else if (ev.key === 'Home') next = ids[0];
    else if (ev.key === 'End') next = ids[ids.length - 1];
    if (next) {
      ev.preventDefault();
      actions.activate(next, true);
    }
  },
  reply: (id, body) => {
    const clientId = randomId('s');
    update((s) => written(s, id, clientId, body));
    send({ type: 'message', contact_id: id, client_id: clientId, body });
  },
  // "Be om bild": a message marked photo_request, in the patient's language.
  photoRequest: async (id) => {
    const chat = chatOf(page.state, id);
    if (!chat || chat.closed) return;
    const body = await photoRequestText(chat.contact.lang);
    const clientId = randomId('s');
    update((s) => written(s, id, clientId, body, { photo_request: true }));
    send(photoRequestFrame(id, clientId, body));
  },
  typing: (id) => {
    const now = Date.now();
    if (now - (page.typingSent.get(id) || 0) > TYPING_SEND_EVERY_MS) {
      page.typingSent.set(id, now);
      send({ type: 'typing', contact_id: id });
    }
  },
  note: (id, body) => send({ type: 'note', contact_id: id, body }),
  override: (id, level, reason) => {
    if (!send({ type: 'override', contact_id: id, level, reason })) return false;
    update((s) => overrideSent(s, id, reason));
    return true;
  },
  transfer: (id, queue, note) => {
    const frame = { type: 'transfer', contact_id: id, queue };
    if (note) frame.note = note;
    send(frame);
  },
  // last_seen_seq: what the page has shown; the server refuses while the patient wrote more.
  close: (id, outcome) => {
    const frame = closeFrame(page.state, id, outcome);
    if (!send(frame)) {
      toast(t('staff.reconnecting'));
      return;
    }
    update((s) => closing(s, id));
  },
  closeTab: (id) => {
    const wasActive = page.state.active === id;
    update((s) => removeChat(s, id));
    if (!wasActive) return;
    if (page.state.active) page.chats.focusTab(page.state.active);
    else $('#queues-heading').focus();
  },
  cannedFor,
  // "Visa personnummer": an audited read (GET /api/contacts/{id}/identity).
  showPersonnummer: async (id) => {
    update((s) => identityRequested(s, id));
    const { status, data } = await call('GET', `/api/contacts/${encodeURIComponent(id)}/identity`);
    if (status === 200) {
      update((s) => identityShown(s, id, data));
    } else {
      update((s) => identityFailed(s, id));
      toast(t('staff.identity_error'));
    }
  },
};

async function main() {
  await setLang(preferredLang());
  bindLangSwitch($('#lang-switch'));
  onLangChange(() => {
    render(page.state, page.state, true);
    page.notify?.relabel();
    if (page.state.user) renderCannedAdmin();
    renderUser();
  });
  $('#canned-form').addEventListener('submit', onAddCanned);
  wireShortcuts(document, $('#help'), $('#help-open'), {
    enabled: () => Boolean(page.state.user && page.chats),
    next: () => {
      const first = page.state.queues.list.find((q) => (q.contacts || []).length);
      if (first) pick(first.id);
    },
    chat: (index) => {
      const chat = page.state.chats[index];
      if (chat) actions.activate(chat.contact.contact_id, true);
    },
    journal: () => {
      if (page.state.active) page.chats.openJournal(page.state.active);
    },
  });
  setInterval(() => page.chats?.tick(), TICK_MS);
  $('#canned-unit').addEventListener('change', renderCannedAdmin);
  signin = wireSignIn({
    view: $('#view-login'),
    logout: $('#logout'),
    onSignedIn: startDashboard,
    // The socket would otherwise see the sign-out's close as an expired session.
    beforeSignOut: () => {
      if (page.socket) page.socket.stop();
    },
    // A fresh page is the simplest way to drop every chat, tab and timer.
    onSignedOut: () => location.reload(),
  });
  // Submitting is a user gesture: the AudioContext may be created now.
  $('#login-form').addEventListener('submit', unlockAudio);
  await signin.start();
}

function showLogin(message) {
  page.state = signedIn(page.state, null);
  renderUser();
  signin.showLogin();
  const msg = $('#session-msg');
  msg.textContent = message || '';
  msg.hidden = !message;
}

function renderUser() {
  const { user } = page.state;
  const name = $('#user-name');
  name.hidden = !user;
  name.textContent = user ? t('staff.signed_in_as', { name: user.display_name }) : '';
  $('#logout').hidden = !user;
  $('#sound-label').hidden = !user;
  $('#help-open').hidden = !user;
}

function startDashboard(session) {
  page.state = signedIn(initialState(), session.user);
  $('#session-msg').hidden = true;
  renderUser();
  showView('view-dash');
  replaceChildren($('#tabs'));
  replaceChildren($('#panels'));
  page.queues = new QueuesView({ onPick: pick });
  page.chats = new ChatsView(actions);
  page.notify ??= new StaffNotify($('.dash__queues'));
  render(null, page.state);
  loadCanned();
  page.socket = new ReconnectingSocket('/ws/staff', {
    onFrame: dispatch,
    shouldReconnect: (code) => code !== CLOSE_POLICY && code !== CLOSE_NOT_AUTHENTICATED,
    onState: onSocketState,
  });
  page.socket.connect();
  $('#queues-heading').focus();
}

/** A server frame: new state, its effects, then the view. */
function dispatch(frame) {
  const before = page.state;
  page.state = applyFrame(before, frame, {
    now: new Date().toISOString(), hidden: document.hidden, random: Math.random(),
  });
  if (frame.type === 'typing' && frame.contact_id && chatOf(page.state, frame.contact_id)?.typing) {
    const id = frame.contact_id;
    clearTimeout(page.typingTimers.get(id));
    page.typingTimers.set(id, setTimeout(() => update((s) => typingOver(s, id)), TYPING_SHOW_MS));
  }
  render(before, page.state);
  page.notify?.onFrame(before, page.state, frame);
  for (const effect of page.state.effects) runEffect(effect);
}

/** A change the user made (pure, in state.js), then the view. */
function update(change) {
  const before = page.state;
  page.state = change(before);
  render(before, page.state);
}

function render(prev, next, all = false) {
  if (all || !prev || prev.banner !== next.banner) showBanner($('#banner'), next.banner, lang());
  if (!page.queues) return; // not signed in yet
  if (all || !prev || prev.user !== next.user) renderUser();
  if (all || !prev || prev.queues !== next.queues) page.queues.render(next);
  page.chats.render(prev, next, all);
}

function runEffect(effect) {
  if (effect.type === 'send') {
    send(effect.frame);
  } else if (effect.type === 'resend') {
    // storage_unavailable: the same frame again on this socket, if still unacked then.
    const { contact_id: id, client_id: clientId } = effect.frame;
    page.socket?.sendLater(effect.frame, effect.delayMs,
      () => Boolean(chatOf(page.state, id)?.log.pending.some((p) => p.client_id === clientId)));
  } else if (effect.type === 'unseen') {
    // The chat stays open: it comes into view with what the patient wrote.
    if (page.state.active !== effect.contact_id) actions.activate(effect.contact_id, false);
  } else if (effect.type === 'alert') {
    const text = translate(effect.message);
    titleAlert(text);
    if ($('#sound').checked) beep();
    toast(text);
  } else if (effect.type === 'error') {
    const key = `error.${effect.code}`;
    toast(has(key) ? t(key) : t('error.generic'));
  } else if (effect.type === 'focus-reply') {
    page.chats.focusReply(effect.contact_id);
  }
}

async function onSocketState(name) {
  const msg = $('#session-msg');
  if (name === 'reconnecting' || name === 'offline') {
    msg.textContent = t('staff.reconnecting');
    msg.hidden = false;
  } else if (name === 'open') {
    msg.hidden = true;
  } else if (name === 'closed' && page.state.user) {
    // Closed with 1008/4401: usually the session ended. Ask the server to be sure.
    const me = await call('GET', '/api/staff/me');
    if (me.status === 200) {
      page.socket.connect();
      return;
    }
    page.socket = null;
    showLogin(t('staff.session_expired'));
  }
}

function pick(queueId, contactId) {
  clearTitleAlert();
  const frame = { type: 'pick', queue: queueId };
  if (contactId) frame.contact_id = contactId;
  page.state = picking(page.state);
  send(frame);
}

// -- canned responses ----------------------------------------------------------

function cannedUrl(unit, id) {
  const base = `/api/units/${encodeURIComponent(unit)}/canned`;
  return id === undefined ? base : `${base}/${id}`;
}

async function loadCanned() {
  const units = page.state.user.units || [];
  await Promise.all(units.map(async (unit) => {
    const r = await call('GET', cannedUrl(unit));
    page.canned.set(unit, r.status === 200 ? r.data.canned : []);
  }));
  const select = $('#canned-unit');
  const current = select.value;
  replaceChildren(select, units.map((u) => h('option', { value: u, selected: u === current }, u)));
  renderCannedAdmin();
  page.chats.refreshCanned();
}

function renderCannedAdmin() {
  const unit = $('#canned-unit').value;
  const items = cannedFor(unit).map((c) => {
    const del = h('button', {
      type: 'button', class: 'btn btn--quiet btn--small',
      'aria-label': t('canned.delete_named', { title: c.title }),
    }, t('canned.delete'));
    del.addEventListener('click', async () => {
      const r = await call('DELETE', cannedUrl(unit, c.id));
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
  const r = await call('POST', cannedUrl(unit), { title, body });
  if (r.status === 201) {
    $('#canned-title').value = '';
    $('#canned-body').value = '';
  } else {
    toast(t('error.generic'));
  }
  await loadCanned();
}

function toast(text) {
  const el = $('#toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(page.toastTimer);
  page.toastTimer = setTimeout(() => {
    el.hidden = true;
  }, TOAST_MS);
}

window.addEventListener('focus', clearTitleAlert);

main();
