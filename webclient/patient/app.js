// Patient page: intake (unit, name, age → red-flag screen → free text) →
// (emergency advice) → queue → chat (follow-up questions) → closed → survey.

import { loadBanner, showBanner } from '../common/banner.js';
import { $, h, minutes, randomId, replaceChildren, showView } from '../common/dom.js';
import { call } from '../common/http.js';
import { bindLangSwitch, lang, onLangChange, preferredLang, setLang, t, translate } from '../common/i18n.js';
import { isPending } from '../common/message-log.js';
import { phoneItems } from '../common/phones.js';
import { renderTranscript } from '../common/transcript.js';
import { downloadText, transcriptFileName, transcriptText } from '../common/transcript-export.js';
import { ReconnectingSocket } from '../common/ws.js';
import { closingBody, closingHeadingKey, loadClosing } from './closing.js';
import { FollowupCard } from './followup.js';
import { firstName, loadIdentity, loadMyChats, renderMyChats, renderSignin } from './identity.js';
import { loadUnits, readForm, relabelIntake, submitIntake } from './intake.js';
import { PatientNotify } from './notify.js';
import { PatientPhotos } from './photos.js';
import { Screen } from './screen.js';
import { clearSession, loadSession, saveSession } from './session.js';
import {
  answered,
  applyFrame,
  followupAsked,
  followupError,
  helloFrame,
  initialState,
  pendingForSession,
  typingOver,
  unanswered,
  written,
} from './state.js';

// Typing notices are throttled to one per 3 s and shown for 5 s: enough to feel
// live without a frame per keystroke.
const TYPING_SEND_EVERY_MS = 3000;
const TYPING_SHOW_MS = 5000;
const CLOSE_NOT_AUTHENTICATED = 4401;

// The page: the chat's state (state.js) and what only the browser holds.
const page = {
  chat: initialState({}), // replaced when the chat starts; applyFrame() changes it
  session: null,
  socket: null,
  intakeEmergency: null, // {body, contact_id} while the emergency advice of the intake is shown
  lastTypingSent: 0,
  typingTimer: null,
  screen: null, // the red-flag screen of the intake (screen.js)
  photos: null, // the camera button, the photo's preview and upload (photos.js)
  followup: null, // the follow-up card of the chat (followup.js)
  identity: { patient: false, me: null }, // identity.js: sign-in offered, who is signed in
  units: [], // the units the intake lists (their `identification` decides the sign-in)
  myChats: undefined, // "Mina chattar": undefined until loaded, null if that failed (tokens: the newest)
  intakeRetry: { timer: null, count: 0 }, // the automatic resubmission after a 503 storage_unavailable
  closing: null, // the closed chat's {outcome, texts} (GET /api/contacts/closing), once read
  notify: null, // "Meddela mig när det är min tur" (notify.js)
};

// After a 503 storage_unavailable the intake goes again by itself this many
// times (after the server's Retry-After); then the patient sends it again.
const INTAKE_AUTO_RETRIES = 3;

function presetUnit() {
  return new URLSearchParams(location.search).get('unit');
}

async function main() {
  await setLang(preferredLang());
  bindLangSwitch($('#lang-switch'));
  onLangChange(() => {
    renderChat(page.chat, page.chat, true);
    page.notify?.relabel();
    renderIntro(page.chat);
    if (page.chat.status === 'closed') renderClosing();
    if (!$('#view-intake').hidden) {
      relabelIntake(presetUnit());
      page.screen.relabel();
      renderIdentity();
    }
  });
  loadBanner().then((banner) => {
    // The same shape as a `banner` frame; the socket brings later changes.
    if (banner !== undefined) dispatch({ type: 'banner', banner });
  });
  page.screen = new Screen({
    onYes: onScreenYes,
    onNone: () => {
      showDescribe(true);
      $('#text').focus();
    },
    onReset: () => showDescribe(false),
    onFail: () => showDescribe(true),
    onStep: () => showDescribe(!$('#describe').hidden),
  });
  $('#unit').addEventListener('change', () => {
    renderIdentity();
    page.screen.changed();
  });
  $('#age').addEventListener('input', () => page.screen.changed());
  page.followup = new FollowupCard({ onAnswers, onChange: () => update((s) => followupError(s, null)) });
  $('#intake-form').addEventListener('submit', onIntake);
  $('#emergency-continue').addEventListener('click', onEmergencyContinue);
  $('#unavailable-back').addEventListener('click', () => showIntake());
  $('#composer').addEventListener('submit', onSend);
  page.photos = new PatientPhotos($('#composer'), () => (page.session
    ? { contactId: page.session.contact_id, token: page.session.token, closed: page.chat.status === 'closed' }
    : null));
  $('#composer-text').addEventListener('input', onComposerInput);
  $('#composer-text').addEventListener('keydown', (ev) => {
    // Enter sends, Shift+Enter makes a new line (what chat users expect).
    if (ev.key === 'Enter' && !ev.shiftKey) {
      ev.preventDefault();
      $('#composer').requestSubmit();
    }
  });
  $('#leave').addEventListener('click', askLeave);
  $('#leave-cancel').addEventListener('click', () => $('#leave-dialog').close());
  $('#leave-confirm').addEventListener('click', onLeave);
  // Closing the dialog (a button or Esc) gives the focus back to "Avsluta chatten".
  $('#leave-dialog').addEventListener('close', () => {
    if (!$('#leave').hidden) $('#leave').focus();
  });
  $('#transcript-download').addEventListener('click', onDownloadTranscript);
  $('#transcript-print').addEventListener('click', () => window.print());
  $('#survey-form').addEventListener('submit', onSurvey);
  $('#new-chat').addEventListener('click', () => {
    if (page.socket) page.socket.stop();
    clearSession();
    location.reload();
  });
  const saved = loadSession();
  if (saved) startChat(saved);
  else {
    page.identity = await loadIdentity();
    await showIntake();
  }
}

/** Show one view; "Mina chattar" goes with the intake of a signed-in patient. */
function showPage(id) {
  showView(id);
  $('#mychats').hidden = id !== 'view-intake' || !page.identity.me;
}

/**
 * The sign-in offer, "Inloggad som" and "Mina chattar" for the chosen unit.
 * The intake form is offered unless the unit requires identification and the
 * patient has not signed in.
 */
function renderIdentity() {
  const unitId = $('#unit').value;
  const unit = page.units.find((u) => u.id === unitId) || null;
  renderSignin(page.identity, unit, page.units, page.myChats);
  if (page.identity.me) renderMyChats(page.myChats, onResume);
}

/** "Fortsätt chatten" on "Mina chattar": the contact's newest token becomes this tab's chat. */
function onResume(contact) {
  const session = {
    token: contact.patient_token,
    contact_id: contact.contact_id,
    name: firstName(page.identity.me?.name),
    pending: [],
  };
  saveSession(session);
  startChat(session);
  $('#composer-text').focus();
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
  showPage('view-intake');
  page.units = await loadUnits(presetUnit());
  const { me } = page.identity;
  if (me && !$('#name').value) $('#name').value = firstName(me.name);
  renderIdentity();
  // A unit from the link, or fields the browser restored: the screen may show at once.
  page.screen.changed();
  if (me) {
    // Every listing renews the open chats' tokens: "Fortsätt chatten" uses this list's.
    page.myChats = await loadMyChats();
    renderIdentity();
  }
}

async function onIntake(ev) {
  ev.preventDefault();
  clearTimeout(page.intakeRetry.timer);
  hideError('#intake-error');
  // Unit, name and age first: the red-flag screen comes before the free text.
  if (!readForm(true, { withText: false })) return;
  const button = ev.submitter || $('#intake-submit');
  button.disabled = true;
  try {
    await page.screen.settled();
    const screen = page.screen.status();
    if (screen === 'yes') {
      await submitScreenYes();
      return;
    }
    if (screen === 'open') {
      page.screen.demand();
      return;
    }
    const body = readForm();
    if (!body) return;
    const answers = page.screen.answers();
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
  body.answers = page.screen.answers();
  // The text is required: what the patient wrote, else the questions answered yes.
  body.text = (body.text || page.screen.yesTexts().join('\n')).slice(0, 2000);
  const result = await submitIntake(body);
  if (result.kind === 'error' || result.kind === 'retry') {
    // The server could not be reached (or store it): 112 is the advice all the same.
    page.intakeEmergency = { body, contact_id: null };
    showEmergency({});
    return;
  }
  handleIntakeResult(result, body);
}

/**
 * The service could not store the intake (nothing was stored): the form and
 * its text stay; it goes again by itself after the server's Retry-After, a
 * few times, and after that when the patient presses the button again.
 */
function retryIntake(result) {
  const retry = page.intakeRetry;
  clearTimeout(retry.timer);
  if (retry.count >= INTAKE_AUTO_RETRIES) {
    retry.count = 0;
    showError('#intake-error', t('intake.err_storage_manual'));
    return;
  }
  retry.count += 1;
  showError('#intake-error', t('intake.err_storage'));
  retry.timer = setTimeout(() => {
    const submit = $('#intake-submit');
    if ($('#view-intake').hidden || submit.hidden || submit.disabled) return;
    $('#intake-form').requestSubmit(submit);
  }, result.retryAfterS * 1000);
}

function handleIntakeResult(result, body) {
  if (result.kind !== 'retry') page.intakeRetry.count = 0;
  if (result.kind === 'retry') {
    retryIntake(result);
  } else if (result.kind === 'queued') {
    const session = {
      token: result.data.patient_token,
      contact_id: result.data.contact_id,
      name: body.name,
      pending: [],
      // Shown at the top of the chat: what the patient wrote (kept in this tab only).
      intakeText: body.text,
    };
    // Same-day advice (1177; Självmordslinjen 90101 for suicidal thoughts) stays in
    // view above the chat: the queue place alone does not say to call today.
    const advice = result.data.advice;
    if (advice?.level === 'urgent' && advice.phone_numbers?.length) {
      session.advice = advice;
    }
    saveSession(session);
    startChat(session, result.data.queue);
    if (result.data.followup) update((s) => followupAsked(s, result.data.followup.questions));
  } else if (result.kind === 'emergency') {
    page.intakeEmergency = { body, contact_id: result.data.contact_id };
    showEmergency(result.data.advice || {});
  } else if (result.kind === 'unavailable') {
    showUnavailable(result.code, result.alternatives, result.nextOpen);
  } else if (result.kind === 'error') {
    showError('#intake-error', result.message);
  }
}

/** The advice text and its numbers as call links (112 when the advice has none). */
function renderAdvice(textEl, listEl, advice) {
  textEl.textContent = advice?.text || '';
  textEl.hidden = !textEl.textContent;
  const numbers = advice?.phone_numbers?.length ? advice.phone_numbers : ['112'];
  replaceChildren(listEl, phoneItems(numbers));
}

function showEmergency(advice) {
  renderAdvice($('#emergency-advice'), $('#emergency-numbers'), advice);
  showPage('view-emergency');
  $('#emergency-heading').focus();
}

/** The urgent advice of the intake above the chat (hidden when there is none). */
function showChatAdvice(advice) {
  const panel = $('#chat-advice');
  panel.hidden = !advice;
  if (advice) renderAdvice($('#chat-advice-text'), $('#chat-advice-numbers'), advice);
}

async function onEmergencyContinue() {
  if (!page.intakeEmergency) return;
  hideError('#emergency-error');
  const body = { ...page.intakeEmergency.body, acknowledge_emergency: true };
  if (page.intakeEmergency.contact_id) body.contact_id = page.intakeEmergency.contact_id;
  const result = await submitIntake(body);
  if (result.kind === 'error' || result.kind === 'invalid' || result.kind === 'retry') {
    showError('#emergency-error', result.message || t('error.generic'));
    return;
  }
  page.intakeEmergency = null;
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
  showPage('view-unavailable');
  $('#unavailable-heading').focus();
}

// -- the chat ------------------------------------------------------------------

function startChat(session, queue = null) {
  page.session = session;
  showPage('view-chat');
  // The notice may have come before the chat started.
  page.chat = { ...initialState(session, queue), banner: page.chat.banner };
  page.notify?.remove();
  page.notify = new PatientNotify(session.token);
  renderChat(null, page.chat); // (its first render shows the intro too)
  showChatAdvice(session.advice);
  page.socket = new ReconnectingSocket('/ws/patient', {
    onOpen: () => page.socket.send(helloFrame(page.chat, session.token)),
    onFrame: dispatch,
    onState: renderConnection,
    shouldReconnect: (code) => code !== CLOSE_NOT_AUTHENTICATED,
  });
  page.socket.connect();
}

/** A server frame (or the banner of GET /api/banner): new state, its sends, then the view. */
function dispatch(frame) {
  const before = page.chat;
  page.chat = applyFrame(before, frame, { now: new Date().toISOString(), random: Math.random() });
  for (const effect of page.chat.effects) runEffect(effect);
  if (frame.type === 'typing' && page.chat.typing) {
    // Shown for TYPING_SHOW_MS after the nurse's last keystroke notice.
    clearTimeout(page.typingTimer);
    page.typingTimer = setTimeout(() => update(typingOver), TYPING_SHOW_MS);
  }
  renderChat(before, page.chat);
}

function runEffect(effect) {
  if (!page.socket) return;
  if (effect.type === 'send') {
    page.socket.send(effect.frame);
  } else if (effect.type === 'resend') {
    // storage_unavailable: the same frame again on this socket, if still unacked then.
    const clientId = effect.frame.client_id;
    page.socket.sendLater(effect.frame, effect.delayMs, () => isPending(page.chat.log, clientId));
  }
}

/** A change the patient made (pure, in state.js), then the view. */
function update(change) {
  const before = page.chat;
  page.chat = change(before);
  renderChat(before, page.chat);
}

/**
 * The view of the chat's state. `prev` is the state last rendered (null the
 * first time): a part is redrawn only when its piece of state changed, unless
 * `all` (a language switch).
 */
function renderChat(prev, next, all = false) {
  const changed = (pick) => all || !prev || pick(prev) !== pick(next);
  if (changed((s) => s.banner)) showBanner($('#banner'), next.banner, lang());
  if (!page.session) return; // no chat yet: only the banner shows
  if (changed((s) => s.log)) {
    renderTranscript($('#messages'), next.log, { who, t, lang, decorate: page.photos.decorate });
    page.session.pending = pendingForSession(next);
    saveSession(page.session);
  }
  renderStatus(next);
  page.notify?.render(next);
  if (changed((s) => s.status) || changed((s) => s.queue)) renderIntro(next);
  if (changed((s) => s.typing)) {
    $('#typing').textContent = next.typing ? t('chat.typing', { name: next.typing.name || t('chat.staff') }) : '';
  }
  if (changed((s) => s.followup)) page.followup.render(next.followup, all);
  if (changed((s) => s.emergency) && next.emergency) renderChatEmergency(prev, next);
  if (changed((s) => s.chatError)) {
    const err = $('#chat-error');
    err.textContent = next.chatError ? t(next.chatError) : '';
    err.hidden = !next.chatError;
  }
  if (next.status === 'closed' && prev?.status !== 'closed') showClosed();
}

function who(m) {
  if (m.sender === 'patient' || m.mine) return t('chat.you');
  if (m.sender === 'system') return t('chat.system');
  return m.sender_name || t('chat.staff');
}

/**
 * The 112 advice above the chat (a `triage` frame raised the contact to
 * emergency, or the patient answered yes to a follow-up question). Advice null
 * shows 112 until the server's advice arrives; the advice is kept in the
 * session so a reload shows it again (then without moving the focus).
 */
function renderChatEmergency(prev, next) {
  const panel = $('#chat-emergency');
  const shown = !panel.hidden;
  const { advice } = next.emergency;
  if (advice || !shown) renderAdvice($('#chat-emergency-advice'), $('#chat-emergency-numbers'), advice);
  panel.hidden = false;
  if (advice && page.session.emergency !== advice) {
    page.session.emergency = advice;
    saveSession(page.session);
  }
  if (prev && !shown) $('#chat-emergency-heading').focus();
}

function onAnswers(answers) {
  const open = unanswered(page.chat, answers);
  if (open) {
    update((s) => followupError(s, 'followup.err_answer'));
    page.followup.focusQuestion(open.id);
    return;
  }
  const online = page.socket ? page.socket.send({ type: 'followup_answers', answers }) : false;
  update((s) => answered(s, answers, online));
}

function renderStatus(chat) {
  const queueEl = $('#queue-info');
  const staffEl = $('#staff-info');
  if ((chat.status === 'queued' || !chat.status) && chat.queue) {
    queueEl.textContent = t('chat.queue', {
      position: chat.queue.position,
      minutes: minutes(chat.queue.estimated_wait_s),
    });
    queueEl.hidden = false;
  } else {
    queueEl.hidden = true;
  }
  if (chat.status === 'assigned') {
    staffEl.textContent = t('chat.with', { name: chat.staffName || t('chat.staff') });
    staffEl.hidden = false;
  } else if (chat.status === 'closed') {
    staffEl.textContent = t('chat.closed');
    staffEl.hidden = false;
  } else {
    staffEl.hidden = true;
  }
}

function renderConnection(name) {
  const el = $('#connection');
  if (name === 'open' || (name === 'connecting' && !page.socket)) {
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
  if (!body || page.chat.status === 'closed') return;
  const clientId = randomId('p');
  update((s) => written(s, clientId, body));
  page.socket.send({ type: 'message', client_id: clientId, body });
  input.value = '';
  input.focus();
}

function onComposerInput() {
  const now = Date.now();
  if (page.chat.status === 'assigned' && now - page.lastTypingSent > TYPING_SEND_EVERY_MS) {
    page.lastTypingSent = now;
    page.socket.send({ type: 'typing' });
  }
}

/** "Avsluta chatten" asks first (a modal dialog: focus inside, Esc cancels). */
function askLeave() {
  if (page.chat.status === 'closed') return;
  $('#leave-dialog').showModal();
  $('#leave-cancel').focus();
}

function onLeave() {
  $('#leave-dialog').close();
  if (page.chat.status === 'closed') return;
  page.socket.send({ type: 'leave' });
}

/**
 * The top of the chat: what the patient wrote at intake, and while waiting
 * what happens now (place in the queue, the answer comes here, 112).
 */
function renderIntro(chat) {
  if (!page.session) return;
  const text = page.session.intakeText || '';
  const waiting = chat.status !== 'assigned' && chat.status !== 'closed';
  $('#chat-intro-text').textContent = text;
  $('#chat-intro-echo').hidden = !text;
  $('#chat-intro-next').hidden = !waiting;
  const place = $('#chat-intro-queue');
  place.hidden = !(waiting && chat.queue);
  if (!place.hidden) {
    place.textContent = t('patient.next_queue', {
      position: chat.queue.position,
      minutes: minutes(chat.queue.estimated_wait_s),
    });
  }
  $('#chat-intro').hidden = !text && !waiting;
}

/** The closed chat's outcome and what happens next (the texts read once). */
function renderClosing() {
  const outcome = page.closing?.outcome ?? page.chat.outcome;
  $('#closed-heading').textContent = t(closingHeadingKey(outcome));
  $('#closed-text').textContent = translate(closingBody(page.closing?.texts, lang()));
}

async function showClosingNotice() {
  const notice = $('#closed-notice');
  renderClosing();
  notice.hidden = false;
  const closing = await loadClosing(page.session.token);
  if (closing) {
    page.closing = closing;
    renderClosing();
  }
  notice.scrollIntoView({ block: 'start' });
  $('#closed-heading').focus();
}

/** A copy of the conversation as a text file, made here in the browser. */
function onDownloadTranscript() {
  const now = new Date().toISOString();
  const closing = page.chat.status === 'closed'
    ? { heading: $('#closed-heading').textContent, text: $('#closed-text').textContent }
    : null;
  const text = transcriptText(page.chat.log, { who, t, translate, lang: lang(), closing, now });
  downloadText(transcriptFileName(now), text);
}

/** The chat ended (the state says so): no composer, the survey, the socket stops. */
function showClosed() {
  clearTimeout(page.typingTimer);
  $('#composer').hidden = true;
  page.photos.closed();
  $('#leave').hidden = true;
  if ($('#leave-dialog').open) $('#leave-dialog').close();
  $('#view-survey').hidden = false;
  showClosingNotice();
  if (page.session.surveyDone) {
    $('#survey-form').hidden = true;
    showThanks(t('survey.thanks'));
  }
  if (page.socket) page.socket.stop();
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
  const r = await call('POST', '/api/contacts/survey', { rating: Number(chosen.value), comment: comment || null }, {
    bearer: page.session.token,
  });
  if (r.status === 0) {
    showError('#survey-error', t('error.network'));
  } else if (r.status === 201 || r.status === 409) {
    page.session.surveyDone = true;
    saveSession(page.session);
    $('#survey-form').hidden = true;
    showThanks(t(r.status === 201 ? 'survey.thanks' : 'survey.already'));
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
