// The staff dashboard as data, and applyFrame(): the only way a server frame
// changes it. Pure: no DOM, no network, no clock (time and page visibility
// come in `env`). The page (app.js) renders the state and carries out
// `state.effects`.
//
// State: {
//   user         the signed-in user ({id, display_name, units, ...}) or null
//   banner       the service notice, or null
//   queues       {list: [queue], seen: {contact_id: true}, primed}: the user's
//                queues merged by id; contacts seen so far (only later arrivals alert)
//   chats        [chat] in the order their tabs opened
//   active       contact_id of the chat in view, or null
//   pickPending  a pick of ours is on its way (its `assigned` gets the focus)
//   effects      what this step asks of the page:
//                {type: 'send', frame}        a frame to send
//                {type: 'alert', message}     title marker, beep and toast ({key, vars})
//                {type: 'error', code}        a refused action, shown as a toast
//                {type: 'focus-reply', contact_id}
//                {type: 'resend', frame, delayMs}  a reply the server could not store
//                                             yet: send again on the same socket after
//                                             delayMs if still pending then
//                {type: 'unseen', contact_id}  a close was refused: new patient messages
// }
// A chat: {contact, log, notes: [{body, author, at, kind, to_queue}], screening:
// [{id, answer, sv, en}], overrides: [{level, previous_level, by, reason}],
// unread, closed, outcome, typing, pendingReason, personnummer,
// identityPending, unseen, presence}. `notes` start with what travels with the
// contact (`contact.handover`: earlier notes and transfer notes, anyone's);
// `presence` is the patient's socket as the last `presence` frame told it
// ({patient: 'connected'|'disconnected', since}), null until one came. `personnummer` is the number the user asked
// to see (the audited GET /api/contacts/{id}/identity), null until then.
// `unseen` is the newest_seq of a close refused with unseen_messages (the
// notice shows by the close button until the next close), else null.

import {
  ackPending,
  addMessage,
  addMessages,
  addNotice,
  addPending,
  emptyLog,
  gapSync,
  isPending,
  messages,
  resumeSeq,
  savingPending,
  setSyncing,
  storageRetryDelay,
  unacked,
} from '../common/message-log.js';

// Levels that make a new arrival call for attention (with any red flag).
const ALERT_LEVELS = new Set(['emergency', 'urgent']);

export function initialState() {
  return {
    user: null,
    banner: null,
    queues: { list: [], seen: {}, primed: false },
    chats: [],
    active: null,
    pickPending: false,
    effects: [],
  };
}

export function chatOf(state, contactId) {
  return state.chats.find((c) => c.contact.contact_id === contactId) || null;
}

/** The notes that travel with a contact (server's `handover`), oldest first. */
export function handoverNotes(contact) {
  return (contact.handover?.notes || []).map((n) => ({
    body: n.body, author: n.author, at: n.at, kind: n.kind, to_queue: n.to_queue ?? null,
  }));
}

function newChat(contact) {
  return {
    contact,
    log: emptyLog('staff'),
    notes: handoverNotes(contact),
    screening: contact.handover?.screening || [],
    presence: null,
    overrides: [],
    unread: 0,
    closed: contact.status === 'closed',
    outcome: contact.outcome || null,
    typing: false,
    pendingReason: '',
    personnummer: null,
    identityPending: false,
    unseen: null,
  };
}

/** `state` with the chat of `contactId` replaced by change(chat) (unchanged when there is none). */
function withChat(state, contactId, change) {
  const chat = chatOf(state, contactId);
  if (!chat) return state;
  const next = change(chat);
  return next === chat ? state : { ...state, chats: state.chats.map((c) => (c === chat ? next : c)) };
}

function effect(state, e) {
  return { ...state, effects: [...state.effects, e] };
}

/**
 * Queues of a `welcome` or a push (a push names only the changed unit's
 * queues): merged by id. Contacts already waiting at sign-in are not "new";
 * a later urgent or red-flag arrival raises an alert.
 */
function mergeQueues(state, queues) {
  const list = [...state.queues.list];
  for (const q of queues || []) {
    const at = list.findIndex((x) => x.id === q.id);
    if (at === -1) list.push(q);
    else list[at] = q;
  }
  const seen = { ...state.queues.seen };
  const fresh = [];
  for (const q of list) {
    for (const c of q.contacts || []) {
      if (!seen[c.contact_id]) {
        seen[c.contact_id] = true;
        fresh.push(c);
      }
    }
  }
  let next = { ...state, queues: { list, seen, primed: true } };
  if (state.queues.primed) {
    for (const c of fresh) {
      if (c.red_flag || ALERT_LEVELS.has(c.level)) {
        const key = c.red_flag || c.level === 'emergency' ? 'alert.red_flag' : 'alert.urgent';
        next = effect(next, { type: 'alert', message: { key } });
      }
    }
  }
  return next;
}

/** The chat becomes the one in view; its unread count goes. */
export function activate(state, contactId) {
  const active = chatOf(state, contactId) ? contactId : null;
  const next = withChat({ ...state, active }, contactId, (c) => (c.unread ? { ...c, unread: 0 } : c));
  return next;
}

/**
 * Open (or refresh) the chat of an assigned contact with `messages`; a hole
 * in them is asked for unless `fill` is false (the caller syncs anyway).
 */
function openChat(state, contact, messages, show, fill = true) {
  const id = contact.contact_id;
  // A resync (welcome, a pick in another tab) brings every note stored so far.
  let next = chatOf(state, id)
    ? withChat(state, id, (c) => ({
      ...c,
      contact: { ...c.contact, ...contact },
      ...(contact.handover ? { notes: handoverNotes(contact), screening: contact.handover.screening || [] } : {}),
    }))
    : { ...state, chats: [...state.chats, newChat(contact)] };
  next = withChat(next, id, (c) => ({ ...c, log: addMessages(c.log, messages) }));
  if (fill) next = fillGap(next, id);
  return show || !next.active ? activate(next, id) : next;
}

/**
 * Any hole in a chat's seqs (a message never reached us) is asked for once,
 * from the last contiguous seq; the `history` answer is merged by seq.
 */
function fillGap(state, contactId) {
  const chat = chatOf(state, contactId);
  const ask = chat && gapSync(chat.log);
  if (!ask) return state;
  const next = withChat(state, contactId, (c) => ({ ...c, log: ask.log }));
  return effect(next, { type: 'send', frame: { type: 'sync', contact_id: contactId, after_seq: ask.afterSeq } });
}

/** The chat ended here (closed, or moved to another queue): `notice` says how. */
function ended(chat, notice, outcome) {
  return {
    ...chat,
    closed: true,
    outcome: outcome || chat.outcome,
    typing: false,
    log: addNotice(chat.log, notice),
  };
}

function triageChanged(chat, frame) {
  const before = chat.contact.triage || {};
  let reasons = before.reasons || [];
  if (Array.isArray(frame.reasons) && frame.reasons.length) {
    // A raise names its reasons: they go first, earlier ones stay after them.
    const fresh = new Set(frame.reasons.map((r) => r.rule_id));
    reasons = [...frame.reasons, ...reasons.filter((r) => !fresh.has(r.rule_id))];
  }
  const contact = { ...chat.contact, triage: { ...before, level: frame.level, tags: frame.tags || [], reasons } };
  const level = { key: `level.${frame.level}` };
  if (frame.previous_level) {
    return {
      ...chat,
      contact,
      overrides: [...chat.overrides, {
        level: frame.level, previous_level: frame.previous_level, by: frame.by, reason: chat.pendingReason,
      }],
      pendingReason: '',
      log: addNotice(chat.log, { key: 'override.done', vars: { level } }),
    };
  }
  return { ...chat, contact, log: addNotice(chat.log, { key: 'override.raised', vars: { level } }) };
}

/** A live message of a chat: stored once, counted unread when not in view; a skipped seq asks for the gap. */
function liveMessage(state, frame, hidden) {
  const chat = chatOf(state, frame.contact_id);
  if (!chat) return state;
  const log = addMessage(chat.log, frame);
  if (log === chat.log) return state; // seen already
  const next = { ...chat, log };
  if (frame.sender === 'patient') {
    next.typing = false;
    if (state.active !== chat.contact.contact_id || hidden) next.unread = chat.unread + 1;
  }
  return fillGap(withChat(state, chat.contact.contact_id, () => next), chat.contact.contact_id);
}

/**
 * A close refused with unseen_messages: the patient wrote something the
 * nurse has not seen. The `history` just before it brought the messages; the
 * chat stays open with a notice, and the nurse may close again (the next
 * close says what is shown now). Should the history not have reached us, the
 * gap is asked for.
 */
function unseenMessages(state, frame) {
  const id = frame.contact_id;
  const chat = chatOf(state, id);
  if (!chat || chat.closed) return state;
  const newest = typeof frame.newest_seq === 'number' ? frame.newest_seq : chat.log.lastSeq;
  let next = withChat(state, id, (c) => ({
    ...c,
    unseen: newest,
    log: addNotice(c.log, { key: 'chats.unseen_messages' }),
  }));
  const log = chatOf(next, id).log;
  if (resumeSeq(log) < newest && !log.syncing) {
    next = withChat(next, id, (c) => ({ ...c, log: setSyncing(c.log, true) }));
    next = effect(next, { type: 'send', frame: { type: 'sync', contact_id: id, after_seq: resumeSeq(log) } });
  }
  return effect(next, { type: 'unseen', contact_id: id });
}

/**
 * storage_unavailable: the server stored nothing. A reply of ours still
 * pending is kept (shown as being saved) and sent again after a back-off; an
 * error naming a client_id no longer pending is ignored; a pick, close or
 * transfer is told to be tried again in a while.
 */
function storageUnavailable(state, frame, env) {
  if (frame.client_id) {
    const chat = state.chats.find((c) => isPending(c.log, frame.client_id));
    const saving = chat && savingPending(chat.log, frame.client_id);
    if (!saving) return state;
    const id = chat.contact.contact_id;
    const delayMs = storageRetryDelay(saving.attempt, frame.retry_after_s, env.random ?? 0.5);
    return effect(withChat(state, id, (c) => ({ ...c, log: saving.log })), {
      type: 'resend', frame: { type: 'message', contact_id: id, ...saving.message }, delayMs,
    });
  }
  return effect({ ...state, pickPending: false }, { type: 'error', code: 'storage_unavailable' });
}

/**
 * The state after server `frame`. Our own messages take the time of their
 * ack (`sent_at`, the server's); `env.now` (ISO 8601) only when an ack has
 * none. `env.hidden` is true while the page is not in view (a message then
 * counts as unread even in the active tab); `env.random` (0..1) jitters
 * retries (0.5 when absent).
 */
export function applyFrame(state, frame, env = {}) {
  const s = { ...state, effects: [] };
  switch (frame.type) {
    case 'banner':
      return { ...s, banner: frame.banner ?? null };
    case 'escalation':
      // A red-flag or urgent contact has waited past its target: everyone on the unit is told.
      return effect(s, {
        type: 'alert',
        message: { key: 'alert.escalation', vars: { minutes: Math.floor(frame.waited_s / 60) } },
      });
    case 'welcome': {
      let next = mergeQueues({ ...s, user: frame.user ?? s.user }, frame.queues);
      if ('banner' in frame) next.banner = frame.banner;
      for (const c of frame.assigned || []) {
        next = openChat(next, c, [], false, false);
        next = withChat(next, c.contact_id, (chat) => ({ ...chat, log: setSyncing(chat.log, true) }));
        const chat = chatOf(next, c.contact_id);
        // Resume: fetch what we have not seen (history ends the sync), then
        // resend what was never acked.
        next = effect(next, { type: 'send', frame: { type: 'sync', contact_id: c.contact_id, after_seq: resumeSeq(chat.log) } });
        for (const p of unacked(chat.log)) {
          next = effect(next, { type: 'send', frame: { type: 'message', contact_id: c.contact_id, ...p } });
        }
      }
      return next;
    }
    case 'queues':
      return mergeQueues(s, frame.queues);
    case 'assigned': {
      const mine = s.pickPending;
      const next = openChat({ ...s, pickPending: false }, frame.contact, frame.messages, mine);
      return mine ? effect(next, { type: 'focus-reply', contact_id: frame.contact.contact_id }) : next;
    }
    case 'history':
      return withChat(s, frame.contact_id, (c) => ({ ...c, log: setSyncing(addMessages(c.log, frame.messages), false) }));
    case 'message':
      return liveMessage(s, frame, Boolean(env.hidden));
    case 'ack':
      return fillGap(withChat(s, frame.contact_id, (c) => ({
        ...c,
        log: ackPending(c.log, frame.client_id, frame.seq, {
          sender: 'staff', sender_name: s.user ? s.user.display_name : null, sent_at: frame.sent_at ?? null,
        }, env.now ?? null),
      })), frame.contact_id);
    case 'typing':
      return frame.sender === 'patient' ? withChat(s, frame.contact_id, (c) => ({ ...c, typing: true })) : s;
    case 'note':
      return withChat(s, frame.contact_id, (c) => ({
        ...c, notes: [...c.notes, { body: frame.body, author: frame.author, at: frame.at, kind: 'note', to_queue: null }],
      }));
    case 'presence':
      return withChat(s, frame.contact_id, (c) => ({ ...c, presence: { patient: frame.patient, since: frame.since } }));
    case 'triage':
      return withChat(s, frame.contact_id, (c) => triageChanged(c, frame));
    case 'closed':
      return withChat(s, frame.contact_id, (c) => (c.closed ? c : ended(c, {
        key: 'chats.closed', vars: { outcome: { key: `outcome.${frame.outcome}` } },
      }, frame.outcome)));
    case 'transferred':
      return withChat(s, frame.contact_id, (c) => (c.closed ? c : ended(c, { key: 'chats.transferred' }, null)));
    case 'error':
      if (frame.code === 'unseen_messages') return unseenMessages(s, frame);
      if (frame.code === 'storage_unavailable') return storageUnavailable(s, frame, env);
      return effect({ ...s, pickPending: false }, { type: 'error', code: frame.code });
    default:
      return s;
  }
}

// -- what the user does (pure as well) ------------------------------------------

export function signedIn(state, user) {
  return { ...state, user };
}

/** A pick went out: its `assigned` opens the chat in view with the focus in the reply. */
export function picking(state) {
  return { ...state, pickPending: true };
}

/**
 * The `close` frame of chat `contactId`: `last_seen_seq` is the highest seq
 * shown without a hole, so a patient message the page has not shown makes
 * the server refuse (unseen_messages) instead of closing over it.
 */
export function closeFrame(state, contactId, outcome) {
  const chat = chatOf(state, contactId);
  return {
    type: 'close', contact_id: contactId, outcome, last_seen_seq: chat ? resumeSeq(chat.log) : 0,
  };
}

/** A close went out: an earlier refusal's notice by the close button goes. */
export function closing(state, contactId) {
  return withChat(state, contactId, (c) => (c.unseen === null ? c : { ...c, unseen: null }));
}

/** A reply written: shown as pending until acked (`extra`: further frame fields a resend keeps). */
export function written(state, contactId, clientId, body, extra = null) {
  const name = state.user ? state.user.display_name : null;
  return withChat(state, contactId, (c) => ({
    ...c,
    log: addPending(c.log, clientId, body, name, extra),
  }));
}

/** A triage change sent with `reason` (the journal names it once the server confirms). */
export function overrideSent(state, contactId, reason) {
  return withChat(state, contactId, (c) => ({ ...c, pendingReason: reason }));
}

/** "Visa personnummer" was pressed: the audited read is on its way. */
export function identityRequested(state, contactId) {
  return withChat(state, contactId, (c) => ({ ...c, identityPending: true }));
}

/**
 * The answer of GET /api/contacts/{id}/identity: the number is shown, and the
 * contact takes what the server says now (an anonymous answer clears it).
 */
export function identityShown(state, contactId, body) {
  return withChat(state, contactId, (c) => {
    if (!body?.identified) {
      return { ...c, identityPending: false, personnummer: null, contact: { ...c.contact, identified: false } };
    }
    const contact = {
      ...c.contact,
      identified: true,
      identity_method: body.identity_method,
      age: body.age ?? c.contact.age,
      personnummer: c.contact.personnummer || body.personnummer,
    };
    return { ...c, identityPending: false, personnummer: body.personnummer, contact };
  });
}

/** The read was refused or failed: the button comes back. */
export function identityFailed(state, contactId) {
  return withChat(state, contactId, (c) => (c.identityPending ? { ...c, identityPending: false } : c));
}

/** The patient's typing notice has run out. */
export function typingOver(state, contactId) {
  return withChat(state, contactId, (c) => (c.typing ? { ...c, typing: false } : c));
}

/** The tab of an ended chat is closed: the next one comes into view. */
export function removeChat(state, contactId) {
  const chats = state.chats.filter((c) => c.contact.contact_id !== contactId);
  if (chats.length === state.chats.length) return state;
  const next = { ...state, chats };
  if (state.active !== contactId) return next;
  return chats.length ? activate({ ...next, active: null }, chats[0].contact.contact_id) : { ...next, active: null };
}

/** The queue's name, with its unit when the user works in more than one. */
export function queueLabel(state, q) {
  const units = new Set(state.queues.list.map((x) => x.unit_id));
  return units.size > 1 ? `${q.unit_id} · ${q.name}` : q.name;
}

/**
 * Since when the patient has waited for a reply from staff (ISO 8601), or
 * null (a reply of ours is the last word, or on its way, or the chat ended):
 * the intake (`contact.created_at`) until staff first write, then the first
 * patient message after the last staff message.
 */
export function waitingSince(chat) {
  if (chat.closed || chat.log.pending.length) return null;
  let since = chat.contact.created_at || null;
  for (const m of messages(chat.log)) {
    if (m.sender === 'staff') since = null;
    else if (m.sender === 'patient' && since === null) since = m.sent_at || null;
  }
  return since;
}

/** Whole minutes from ISO 8601 `since` to `nowMs` (never negative). */
export function minutesSince(since, nowMs) {
  const at = Date.parse(since);
  return Number.isNaN(at) ? 0 : Math.max(0, Math.floor((nowMs - at) / 60000));
}
