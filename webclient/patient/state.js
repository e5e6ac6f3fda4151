// The patient's chat as data, and applyFrame(): the only way a server frame
// changes it. Pure: no DOM, no network, no clock (the time comes in `env`).
// The page (app.js) renders the state and carries out `state.effects`, the
// frames this step wants sent (resend unacked messages, ask for a gap).
//
// State: {
//   name         the patient's first name (their own messages carry it)
//   status       null (just queued) | 'queued' | 'assigned' | 'closed'
//   outcome      how the chat ended (an outcome code of the contract) once closed, else null
//   queue        {position, estimated_wait_s} | null
//   staffName    the nurse's name once assigned
//   banner       the service notice, or null
//   log          the messages (common/message-log.js)
//   typing       {name} while the nurse is typing, else null
//   followup     {questions: [{id, text, help?}], sent: [ids] | null, error: text key | null}
//   emergency    {advice} while the 112 panel shows above the chat (advice null: 112 only)
//   chatError    a text key shown under the composer, or null
//   effects      to carry out after this step: [{type: 'send', frame}], and
//                {type: 'resend', frame, delayMs}: a message the server could not
//                store yet, to send again on the same socket after delayMs if it is
//                still pending then
// }

import {
  ackPending,
  addMessage,
  addMessages,
  addNotice,
  addPending,
  dropPending,
  emptyLog,
  gapSync,
  rateLimitDelay,
  resumeSeq,
  savingPending,
  setSyncing,
  storageRetryDelay,
  unacked,
} from '../common/message-log.js';

/** The state of a chat resumed from the tab's session (token, name, unsent messages). */
export function initialState(session, queue = null) {
  let log = emptyLog('patient');
  for (const p of session.pending || []) log = addPending(log, p.client_id, p.body);
  return {
    name: session.name || null,
    status: null,
    outcome: null,
    queue,
    staffName: null,
    banner: null,
    log,
    typing: null,
    followup: { questions: [], sent: null, error: null },
    emergency: session.emergency ? { advice: session.emergency } : null,
    chatError: null,
    effects: [],
  };
}

/** The `hello` that opens (or resumes) the socket: replay after what we have. */
export function helloFrame(state, token) {
  return { type: 'hello', token, last_seq: resumeSeq(state.log) };
}

function withFollowupQuestions(state, questions, announce) {
  const known = new Set(state.followup.questions.map((q) => q.id));
  const fresh = (questions || []).filter((q) => q?.id && !known.has(q.id));
  const next = { ...state, followup: { ...state.followup, questions: [...state.followup.questions, ...fresh] } };
  return announce && fresh.length ? { ...next, log: addNotice(next.log, { key: 'followup.notice' }) } : next;
}

/**
 * The chat has ended (`outcome`: how, when the server said so): no typing, no
 * open questions; `notice` says so in the log.
 */
function closed(state, notice, outcome = null) {
  const log = notice ? addNotice(state.log, { key: 'chat.closed_notice' }) : state.log;
  return {
    ...state,
    status: 'closed',
    outcome: outcome ?? state.outcome,
    log,
    typing: null,
    followup: { questions: [], sent: null, error: null },
  };
}

/**
 * Any hole in the seqs (a message never reached us) is asked for once, from
 * the last contiguous seq; the `history` answer is merged by seq.
 */
function fillGap(state) {
  const ask = gapSync(state.log);
  if (!ask) return state;
  return {
    ...state,
    log: ask.log,
    effects: [...state.effects, { type: 'send', frame: { type: 'sync', after_seq: ask.afterSeq } }],
  };
}

/** A live message: stored once; a skipped seq asks the server for the gap. */
function liveMessage(state, frame) {
  const log = addMessage(state.log, frame);
  if (log === state.log) return state; // known already
  const next = { ...state, log };
  if (frame.sender === 'staff') next.typing = null;
  return fillGap(next);
}

/**
 * storage_unavailable: the server stored nothing. Our pending message is kept
 * (shown as being saved) and sent again after a back-off; such an error for a
 * message no longer pending (acked meanwhile) is ignored.
 */
function storageUnavailable(state, frame, env) {
  if (frame.client_id) {
    const saving = savingPending(state.log, frame.client_id);
    if (!saving) return state;
    const delayMs = storageRetryDelay(saving.attempt, frame.retry_after_s, env.random ?? 0.5);
    return {
      ...state,
      log: saving.log,
      effects: [...state.effects, { type: 'resend', frame: { type: 'message', ...saving.message }, delayMs }],
    };
  }
  if (state.followup.sent !== null) {
    return { ...state, followup: { ...state.followup, sent: null, error: 'error.storage_unavailable' } };
  }
  return { ...state, chatError: 'error.storage_unavailable' };
}

/**
 * rate_limited for one of our messages (the chat's per-contact message rate):
 * nothing was stored, so it stays pending and goes again once the server's
 * retry_after_s has passed. contact_message_limit: the chat holds all the
 * messages it may, so the message is dropped and the patient told where to turn.
 */
function messageRefused(state, frame, env) {
  const saving = savingPending(state.log, frame.client_id);
  if (!saving) return state;
  if (frame.code === 'contact_message_limit') {
    return { ...state, log: dropPending(state.log, frame.client_id), chatError: 'error.contact_message_limit' };
  }
  const delayMs = rateLimitDelay(frame.retry_after_s, env.random ?? 0.5);
  return {
    ...state,
    log: saving.log,
    effects: [...state.effects, { type: 'resend', frame: { type: 'message', ...saving.message }, delayMs }],
  };
}

/**
 * The state after server `frame`. Our own messages take the time of their
 * ack (`sent_at`, the server's); `env.now` (ISO 8601) only when an ack has
 * none. `env.random` (0..1) jitters retries (0.5 when absent).
 */
export function applyFrame(state, frame, env = {}) {
  const s = { ...state, effects: [] };
  switch (frame.type) {
    case 'banner':
      return { ...s, banner: frame.banner ?? null };
    case 'welcome': {
      let next = {
        ...s,
        log: setSyncing(addMessages(s.log, frame.messages), false),
        status: frame.status,
        queue: frame.queue ?? null,
        followup: { questions: [], sent: null, error: null },
      };
      if ('banner' in frame) next.banner = frame.banner;
      if (frame.status === 'assigned') next.staffName = frame.staff_name ?? null;
      if (frame.status === 'closed') return closed(next, false, frame.outcome ?? null);
      // The questions still open (null: none, or all answered meanwhile).
      next = withFollowupQuestions(next, frame.followup ? frame.followup.questions : [], false);
      // Messages written while the socket was away go out again, same client_id.
      next.effects = unacked(next.log).map((p) => ({ type: 'send', frame: { type: 'message', ...p } }));
      return fillGap(next);
    }
    case 'ack':
      return fillGap({
        ...s,
        log: ackPending(s.log, frame.client_id, frame.seq, {
          sender: 'patient', sender_name: s.name, sent_at: frame.sent_at ?? null,
        }, env.now ?? null),
      });
    case 'message':
      return liveMessage(s, frame);
    case 'history':
      return { ...s, log: setSyncing(addMessages(s.log, frame.messages), false) };
    case 'queue':
      return { ...s, queue: { position: frame.position, estimated_wait_s: frame.estimated_wait_s } };
    case 'assigned':
      return {
        ...s,
        status: 'assigned',
        staffName: frame.staff_name ?? null,
        log: addNotice(s.log, { key: 'chat.joined', vars: { name: frame.staff_name || { key: 'chat.staff' } } }),
      };
    case 'transferred':
      return { ...s, status: 'queued', staffName: null, log: addNotice(s.log, { key: 'chat.transferred' }) };
    case 'typing':
      return frame.sender === 'staff' ? { ...s, typing: { name: frame.sender_name || null } } : s;
    case 'triage':
      if (frame.level !== 'emergency' || !frame.advice) return s;
      return {
        ...s,
        log: addNotice(s.log, frame.advice.text ? { text: frame.advice.text } : { key: 'emergency.heading' }),
        emergency: { advice: frame.advice },
      };
    case 'followup':
      return s.status === 'closed' ? s : withFollowupQuestions(s, frame.questions, true);
    case 'followup_ack': {
      const done = new Set(s.followup.sent || []);
      return {
        ...s,
        followup: { questions: s.followup.questions.filter((q) => !done.has(q.id)), sent: null, error: null },
        log: addNotice(s.log, { key: 'followup.thanks' }),
        // A yes: 112 above the chat (the server's advice follows in a triage frame).
        emergency: frame.level === 'emergency' ? (s.emergency ?? { advice: null }) : s.emergency,
      };
    }
    case 'closed':
      return s.status === 'closed' ? s : closed(s, true, frame.outcome ?? null);
    case 'error':
      if (frame.code === 'contact_closed') return closed(s, false);
      if (frame.code === 'storage_unavailable') return storageUnavailable(s, frame, env);
      if ((frame.code === 'rate_limited' || frame.code === 'contact_message_limit') && frame.client_id) {
        return messageRefused(s, frame, env);
      }
      // An error without client_id while answers are on their way is about the
      // answers: they can be sent again.
      if (!frame.client_id && s.followup.sent !== null) {
        return { ...s, followup: { ...s.followup, sent: null, error: 'error.generic' } };
      }
      return frame.code === 'rate_limited' ? s : { ...s, chatError: 'error.generic' };
    default:
      return s;
  }
}

// -- what the patient does (pure as well) ---------------------------------------

/** The follow-up questions of the intake reply: on the card, without a notice. */
export function followupAsked(state, questions) {
  return withFollowupQuestions(state, questions, false);
}

/** A message written: shown as pending until acked; the composer's error clears. */
export function written(state, clientId, body) {
  return { ...state, chatError: null, log: addPending(state.log, clientId, body) };
}

/** The nurse's typing notice has run out. */
export function typingOver(state) {
  return state.typing ? { ...state, typing: null } : state;
}

/**
 * The first follow-up question still needing an answer in `answers` {id: bool},
 * or null when they can go: all answered, or a yes (it alone decides: 112).
 */
export function unanswered(state, answers) {
  if (Object.values(answers).includes(true)) return null;
  return state.followup.questions.find((q) => !(q.id in answers)) || null;
}

/** A follow-up text shown on the card (null clears it). */
export function followupError(state, key) {
  return { ...state, followup: { ...state.followup, error: key } };
}

/**
 * The answers went out (`online`) or could not (no connection: send again).
 * A yes shows 112 at once either way.
 */
export function answered(state, answers, online) {
  const emergency = Object.values(answers).includes(true) ? (state.emergency ?? { advice: null }) : state.emergency;
  const followup = online
    ? { ...state.followup, sent: Object.keys(answers), error: null }
    : { ...state.followup, error: 'followup.err_offline' };
  return { ...state, emergency, followup };
}

/** The unsent messages to keep in the tab's session across a reload. */
export function pendingForSession(state) {
  return unacked(state.log);
}
