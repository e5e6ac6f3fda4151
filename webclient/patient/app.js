// Patient page: intake (unit, name, age → red-flag screen → free text) →
// (emergency advice) → queue → chat (follow-up questions) → closed → survey.

import { $, h, replaceChildren, showView, randomId, minutes } from '../common/dom.js';
import { setLang, preferredLang, bindLangSwitch, onLangChange, t, lang } from '../common/i18n.js';
import { ReconnectingSocket } from '../common/ws.js';
import { Transcript } from '../common/transcript.js';
import { phoneItems } from '../common/phones.js';
import { loadSession, saveSession, clearSession } from './session.js';
import { loadUnits, readForm, relabelIntake, submitIntake } from './intake.js';
import { Screen } from './screen.js';
import { Followup } from './followup.js';
import { showBanner } from '../admin/banner.js';

// Typing notices are throttled to one per 3 s and shown for 5 s: enough to feel
// live without a frame per keystroke.
const TYPING_SEND_EVERY_MS = 3000;
const TYPING_SHOW_MS = 5000;
const CLOSE_NOT_AUTHENTICATED = 4401;

const state = {
  session: null,
  socket: null,
  transcript: null,
  emergency: null, // {body, contact_id} while the emergency advice is shown
  status: null,
  queue: null,
  staffName: null,
  lastTypingSent: 0,
  typingTimer: null,
  banner: null, // the active service notice (driftinformation), or null
  screen: null, // the red-flag screen of the intake (screen.js)
  followup: null, // the follow-up card of the chat (followup.js)
};

function presetUnit() {
  return new URLSearchParams(location.search).get('unit');
}

async function main() {
  await setLang(preferredLang());
  bindLangSwitch($('#lang-switch'));
  onLangChange(() => {
    renderBanner();
    renderStatus();
    if (!$('#view-intake').hidden) {
      relabelIntake(presetUnit());
      state.screen.relabel();
    }
  });
  loadBanner();
  state.screen = new Screen({
    onYes: onScreenYes,
    onNone: () => {
      showDescribe(true);
      $('#text').focus();
    },
    onReset: () => showDescribe(false),
    onFail: () => showDescribe(true),
    onStep: () => showDescribe(!$('#describe').hidden),
  });
  $('#unit').addEventListener('change', () => state.screen.changed());
  $('#age').addEventListener('input', () => state.screen.changed());
  state.followup = new Followup({
    send: (frame) => (state.socket ? state.socket.send(frame) : false),
    notice: (text) => state.transcript.notice(text),
    onEmergency: () => showChatEmergency(null),
  });
  $('#intake-form').addEventListener('submit', onIntake);
  $('#emergency-continue').addEventListener('click', onEmergencyContinue);
  $('#unavailable-back').addEventListener('click', () => showIntake());
  $('#composer').addEventListener('submit', onSend);
  $('#composer-text').addEventListener('input', onComposerInput);
  $('#composer-text').addEventListener('keydown', (ev) => {
    // Enter sends, Shift+Enter makes a new line (what chat users expect).
    if (ev.key === 'Enter' && !ev.shiftKey) {
      ev.preventDefault();
      $('#composer').requestSubmit();
    }
  });
  $('#leave').addEventListener('click', onLeave);
  $('#survey-form').addEventListener('submit', onSurvey);
  $('#new-chat').addEventListener('click', () => {
    if (state.socket) state.socket.stop();
    clearSession();
    location.reload();
  });
  const saved = loadSession();
  if (saved) startChat(saved);
  else await showIntake();
}

/**
 * The free-text step (after the screen). "Start the chat" is hidden while the
 * screen waits for an answer: its own buttons lead on from there.
 */
function showDescribe(shown) {
  $('#describe').hidden = !shown;
  $('#intake-submit').hidden = !shown && !$('#screen').hidden;
}

async function showIntake() {
  showView('view-intake');
  await loadUnits(presetUnit());
  // A unit from the link, or fields the browser restored: the screen may show at once.
  state.screen.changed();
}

async function onIntake(ev) {
  ev.preventDefault();
  hideError('#intake-error');
  // Unit, name and age first: the red-flag screen comes before the free text.
  if (!readForm(true, { withText: false })) return;
  const button = ev.submitter || $('#intake-submit');
  button.disabled = true;
  try {
    await state.screen.settled();
    const screen = state.screen.status();
    if (screen === 'yes') {
      await submitScreenYes();
      return;
    }
    if (screen === 'open') {
      state.screen.demand();
      return;
    }
    const body = readForm();
    if (!body) return;
    const answers = state.screen.answers();
    if (answers) body.answers = answers; // every answer false ("None of this")
    handleIntakeResult(await submitIntake(body), body);
  } finally {
    button.disabled = false;
  }
}

/** "Continue" with a ticked box: submit now, without the free text, and show 112. */
async function onScreenYes() {
  hideError('#intake-error');
  if (!readForm(true, { withText: false })) return;
  const button = $('#screen-continue');
  button.disabled = true;
  try {
    await submitScreenYes();
  } finally {
    button.disabled = false;
  }
}

async function submitScreenYes() {
  const body = readForm(true, { withText: false });
  if (!body) return;
  body.answers = state.screen.answers();
  // The text is required: what the patient wrote, else the questions answered yes.
  body.text = (body.text || state.screen.yesTexts().join('\n')).slice(0, 2000);
  const result = await submitIntake(body);
  if (result.kind === 'error') {
    // The server could not be reached: 112 is the advice all the same.
    state.emergency = { body, contact_id: null };
    showEmergency({});
    return;
  }
  handleIntakeResult(result, body);
}

function handleIntakeResult(result, body) {
  if (result.kind === 'queued') {
    const session = {
      token: result.data.patient_token,
      contact_id: result.data.contact_id,
      name: body.name,
      pending: [],
    };
    // Same-day advice (1177; Självmordslinjen 90101 for suicidal thoughts) stays in
    // view above the chat: the queue place alone does not say to call today.
    const advice = result.data.advice;
    if (advice && advice.level === 'urgent' && advice.phone_numbers && advice.phone_numbers.length) {
      session.advice = advice;
    }
    saveSession(session);
    state.queue = result.data.queue;
    startChat(session);
    if (result.data.followup) state.followup.add(result.data.followup.questions, false);
  } else if (result.kind === 'emergency') {
    state.emergency = { body, contact_id: result.data.contact_id };
    showEmergency(result.data.advice || {});
  } else if (result.kind === 'unavailable') {
    showUnavailable(result.code, result.alternatives, result.nextOpen);
  } else if (result.kind === 'error') {
    showError('#intake-error', result.message);
  }
}

/** The advice text and its numbers as call links (112 when the advice has none). */
function renderAdvice(textEl, listEl, advice) {
  textEl.textContent = (advice && advice.text) || '';
  textEl.hidden = !textEl.textContent;
  const numbers = advice && advice.phone_numbers && advice.phone_numbers.length ? advice.phone_numbers : ['112'];
  replaceChildren(listEl, phoneItems(numbers));
}

function showEmergency(advice) {
  renderAdvice($('#emergency-advice'), $('#emergency-numbers'), advice);
  showView('view-emergency');
  $('#emergency-heading').focus();
}

/**
 * The 112 advice above the chat (a `triage` frame raised the contact to
 * emergency, or the patient answered yes to a follow-up question). `advice`
 * null shows 112 until the server's advice arrives; the advice is kept in the
 * session so a reload shows it again.
 */
function showChatEmergency(advice, focus = true) {
  const panel = $('#chat-emergency');
  const shown = !panel.hidden;
  if (advice || !shown) {
    renderAdvice($('#chat-emergency-advice'), $('#chat-emergency-numbers'), advice);
  }
  panel.hidden = false;
  if (advice && state.session) {
    state.session.emergency = advice;
    saveSession(state.session);
  }
  if (focus && !shown) $('#chat-emergency-heading').focus();
}

/** The urgent advice of the intake above the chat (hidden when there is none). */
function showChatAdvice(advice) {
  const panel = $('#chat-advice');
  panel.hidden = !advice;
  if (advice) renderAdvice($('#chat-advice-text'), $('#chat-advice-numbers'), advice);
}

async function onEmergencyContinue() {
  if (!state.emergency) return;
  hideError('#emergency-error');
  const body = { ...state.emergency.body, acknowledge_emergency: true };
  if (state.emergency.contact_id) body.contact_id = state.emergency.contact_id;
  const result = await submitIntake(body);
  if (result.kind === 'error' || result.kind === 'invalid') {
    showError('#emergency-error', result.message || t('error.generic'));
    return;
  }
  state.emergency = null;
  handleIntakeResult(result, body);
}

function showUnavailable(code, alternatives, nextOpen) {
  $('#unavailable-heading').textContent = t(`unavailable.${code}.heading`);
  $('#unavailable-text').textContent = t(`unavailable.${code}.text`);
  const opens = nextOpen ? new Date(nextOpen) : null;
  const when = opens && !Number.isNaN(opens.getTime())
    ? opens.toLocaleString(lang() === 'en' ? 'en-GB' : 'sv-SE', {
      weekday: 'long', hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Stockholm',
    })
    : '';
  $('#unavailable-opens').textContent = when ? t('unavailable.opens', { when }) : '';
  $('#unavailable-opens').hidden = !when;
  const items = alternatives.map((a) => {
    const number = String(a.phone || '');
    const text = a[lang()] || a.sv || number;
    const cls = number === '112' ? 'phone-link phone-link--emergency' : 'phone-link';
    return h('li', {}, h('a', { class: cls, href: `tel:${number}` }, text));
  });
  replaceChildren($('#alternatives'), items.length ? items : phoneItems(['1177', '112']));
  showView('view-unavailable');
  $('#unavailable-heading').focus();
}

// -- the chat ------------------------------------------------------------------

function startChat(session) {
  state.session = session;
  showView('view-chat');
  state.transcript = new Transcript($('#messages'), {
    isMine: (m) => m.sender === 'patient',
    who: (m) => (m.sender === 'patient' || m.mine ? t('chat.you') : m.sender === 'system' ? t('chat.system') : m.sender_name || t('chat.staff')),
    t,
    lang,
  });
  // Unsent messages from before a reload are shown as pending and resent on welcome.
  for (const p of session.pending || []) state.transcript.addPending(p.client_id, p.body);
  if (session.emergency) showChatEmergency(session.emergency, false);
  showChatAdvice(session.advice);
  renderStatus();
  state.socket = new ReconnectingSocket('/ws/patient', {
    onOpen: () => state.socket.send({ type: 'hello', token: session.token, last_seq: state.transcript.lastSeq }),
    onFrame,
    onState: renderConnection,
    shouldReconnect: (code) => code !== CLOSE_NOT_AUTHENTICATED,
  });
  state.socket.connect();
}

function savePending() {
  state.session.pending = state.transcript.unacked();
  saveSession(state.session);
}

function renderBanner() {
  showBanner($('#banner'), state.banner, lang());
}

async function loadBanner() {
  try {
    const r = await fetch('/api/banner');
    if (r.ok) {
      state.banner = (await r.json()).banner;
      renderBanner();
    }
  } catch {
    // No notice is better than a broken page; the socket brings it later.
  }
}

function onFrame(frame) {
  const tr = state.transcript;
  switch (frame.type) {
    case 'banner':
      state.banner = frame.banner;
      renderBanner();
      break;
    case 'welcome':
      if ('banner' in frame) {
        state.banner = frame.banner;
        renderBanner();
      }
      tr.addAll(frame.messages);
      state.status = frame.status;
      state.queue = frame.queue;
      // The questions still open (null: none, or all answered meanwhile).
      state.followup.set(frame.status === 'closed' || !frame.followup ? [] : frame.followup.questions);
      if (frame.status === 'assigned') state.staffName = frame.staff_name;
      if (frame.status === 'closed') {
        showClosed(false);
      } else {
        for (const p of tr.unacked()) state.socket.send({ type: 'message', client_id: p.client_id, body: p.body });
      }
      renderStatus();
      break;
    case 'ack':
      tr.ack(frame.client_id, frame.seq, { sender: 'patient', sender_name: state.session.name });
      savePending();
      break;
    case 'message':
      tr.add(frame);
      if (frame.sender === 'staff') setTyping(null);
      break;
    case 'history':
      tr.addAll(frame.messages);
      break;
    case 'queue':
      state.queue = frame;
      renderStatus();
      break;
    case 'assigned':
      state.status = 'assigned';
      state.staffName = frame.staff_name;
      tr.notice(t('chat.joined', { name: frame.staff_name || t('chat.staff') }));
      renderStatus();
      break;
    case 'transferred':
      state.status = 'queued';
      state.staffName = null;
      tr.notice(t('chat.transferred'));
      renderStatus();
      break;
    case 'typing':
      if (frame.sender === 'staff') setTyping(frame.sender_name || t('chat.staff'));
      break;
    case 'triage':
      if (frame.level === 'emergency' && frame.advice) {
        tr.notice(frame.advice.text || t('emergency.heading'));
        showChatEmergency(frame.advice);
      }
      break;
    case 'followup':
      if (state.status !== 'closed') state.followup.add(frame.questions);
      break;
    case 'followup_ack':
      state.followup.ack();
      if (frame.level === 'emergency') showChatEmergency(null);
      break;
    case 'closed':
      if (state.status !== 'closed') showClosed(true);
      break;
    case 'error':
      if (frame.code === 'contact_closed') {
        showClosed(false);
      } else if (frame.client_id || !state.followup.failed()) {
        // (An error without client_id while answers are on their way is about
        // the answers: failed() showed it on the card.)
        if (frame.code !== 'rate_limited') showError('#chat-error', t('error.generic'));
      }
      break;
    default:
      break;
  }
}

function renderStatus() {
  const queueEl = $('#queue-info');
  const staffEl = $('#staff-info');
  if (state.status === 'queued' && state.queue) {
    queueEl.textContent = t('chat.queue', {
      position: state.queue.position,
      minutes: minutes(state.queue.estimated_wait_s),
    });
    queueEl.hidden = false;
  } else if (!state.status && state.queue) {
    queueEl.textContent = t('chat.queue', { position: state.queue.position, minutes: minutes(state.queue.estimated_wait_s) });
    queueEl.hidden = false;
  } else {
    queueEl.hidden = true;
  }
  if (state.status === 'assigned') {
    staffEl.textContent = t('chat.with', { name: state.staffName || t('chat.staff') });
    staffEl.hidden = false;
  } else if (state.status === 'closed') {
    staffEl.textContent = t('chat.closed');
    staffEl.hidden = false;
  } else {
    staffEl.hidden = true;
  }
}

function renderConnection(name) {
  const el = $('#connection');
  if (name === 'open' || name === 'connecting' && !state.socket) {
    el.hidden = true;
    return;
  }
  if (name === 'closed') {
    // 4401: the chat is unknown (e.g. the database was reset); start over.
    clearSession();
    el.textContent = t('chat.gone');
    el.hidden = false;
    return;
  }
  if (name === 'reconnecting' || name === 'offline') {
    el.textContent = t('chat.reconnecting');
    el.hidden = false;
  }
}

function onSend(ev) {
  ev.preventDefault();
  const input = $('#composer-text');
  const body = input.value.trim();
  if (!body || state.status === 'closed') return;
  hideError('#chat-error');
  const clientId = randomId('p');
  state.transcript.addPending(clientId, body);
  savePending();
  state.socket.send({ type: 'message', client_id: clientId, body });
  input.value = '';
  input.focus();
}

function onComposerInput() {
  const now = Date.now();
  if (state.status === 'assigned' && now - state.lastTypingSent > TYPING_SEND_EVERY_MS) {
    state.lastTypingSent = now;
    state.socket.send({ type: 'typing' });
  }
}

function setTyping(name) {
  const el = $('#typing');
  clearTimeout(state.typingTimer);
  el.textContent = name ? t('chat.typing', { name }) : '';
  if (name) state.typingTimer = setTimeout(() => setTyping(null), TYPING_SHOW_MS);
}

function onLeave() {
  if (state.status === 'closed') return;
  state.socket.send({ type: 'leave' });
}

function showClosed(withNotice) {
  state.status = 'closed';
  if (withNotice) state.transcript.notice(t('chat.closed_notice'));
  $('#composer').hidden = true;
  $('#leave').hidden = true;
  state.followup.set([]);
  $('#typing').textContent = '';
  renderStatus();
  const survey = $('#view-survey');
  survey.hidden = false;
  if (state.session.surveyDone) {
    $('#survey-form').hidden = true;
    showThanks(t('survey.thanks'));
  }
  if (state.socket) state.socket.stop();
}

async function onSurvey(ev) {
  ev.preventDefault();
  hideError('#survey-error');
  const chosen = document.querySelector('input[name="rating"]:checked');
  if (!chosen) {
    showError('#survey-error', t('survey.err_rating'));
    document.querySelector('input[name="rating"]').focus();
    return;
  }
  const comment = $('#survey-comment').value.trim();
  let resp;
  try {
    resp = await fetch('/api/contacts/survey', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${state.session.token}` },
      body: JSON.stringify({ rating: Number(chosen.value), comment: comment || null }),
    });
  } catch {
    showError('#survey-error', t('error.network'));
    return;
  }
  if (resp.status === 201 || resp.status === 409) {
    state.session.surveyDone = true;
    saveSession(state.session);
    $('#survey-form').hidden = true;
    showThanks(t(resp.status === 201 ? 'survey.thanks' : 'survey.already'));
  } else {
    showError('#survey-error', t('error.generic'));
  }
}

function showThanks(text) {
  const el = $('#survey-thanks');
  el.textContent = text;
  el.hidden = false;
}

function showError(selector, message) {
  const el = $(selector);
  el.textContent = message;
  el.hidden = false;
}

function hideError(selector) {
  const el = $(selector);
  el.textContent = '';
  el.hidden = true;
}

main();
