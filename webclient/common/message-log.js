// One conversation's messages as data: every stored message exactly once
// (deduplicated by seq) in seq order, the notices of the service between them,
// and the sender's own messages still waiting for their ack. Pure functions on
// plain objects: no DOM, no network; each returns a new log (or the same one
// when nothing changed), so the page can tell what to render again.
//
// A log: {self, entries, pending, lastSeq, contiguousSeq, noticeCount, syncing}
//   self          'patient' | 'staff': whose page it is (their messages are "mine")
//   entries       [{kind: 'message', seq, message} | {kind: 'notice', id, notice}]
//   pending       [{client_id, body, sender_name, saving?, attempts?}] in the order
//                 they were written; `saving` while the server could not store it
//                 yet (storage_unavailable) and it is being retried
//   lastSeq       the highest seq stored
//   contiguousSeq the highest seq with every seq before it stored: what is shown
//                 without a hole, what to resume (sync, hello) after, and what a
//                 staff close says was seen
//   syncing       a sync for a gap is under way (asked once until history answers)

export function emptyLog(self) {
  return { self, entries: [], pending: [], lastSeq: 0, contiguousSeq: 0, noticeCount: 0, syncing: false };
}

function hasSeq(log, seq) {
  return log.entries.some((e) => e.kind === 'message' && e.seq === seq);
}

/**
 * Add a stored message (live, history or replay). A message already there is
 * ignored; our own message coming back (another tab, a resume) settles its
 * pending copy. It goes before the first later message (history can arrive
 * after live ones); notices stay where they were.
 */
export function addMessage(log, m) {
  if (!m || typeof m.seq !== 'number' || hasSeq(log, m.seq)) return log;
  const pending = m.client_id && m.sender === log.self
    ? log.pending.filter((p) => p.client_id !== m.client_id)
    : log.pending;
  const entry = { kind: 'message', seq: m.seq, message: m };
  const at = log.entries.findIndex((e) => e.kind === 'message' && e.seq > m.seq);
  const entries = at === -1
    ? [...log.entries, entry]
    : [...log.entries.slice(0, at), entry, ...log.entries.slice(at)];
  const next = { ...log, entries, pending, lastSeq: Math.max(log.lastSeq, m.seq) };
  return m.seq === log.contiguousSeq + 1 ? { ...next, contiguousSeq: contiguousFrom(next, m.seq) } : next;
}

/** The highest seq reached from `seq` without a hole (entries are in seq order). */
function contiguousFrom(log, seq) {
  let n = seq;
  for (const e of log.entries) {
    if (e.kind !== 'message' || e.seq <= n) continue;
    if (e.seq !== n + 1) break;
    n = e.seq;
  }
  return n;
}

export function addMessages(log, messages) {
  return (messages || []).reduce(addMessage, log);
}

/** The highest seq up to which nothing is missing: what to resume after. */
export function resumeSeq(log) {
  return log.contiguousSeq;
}

/** Some message after the contiguous part is stored: at least one before it never reached us. */
export function hasGap(log) {
  return log.lastSeq > log.contiguousSeq;
}

/** A live message skipped over at least one seq: some message never reached us. */
export function skipsAhead(log, m) {
  return typeof m.seq === 'number' && m.seq > log.contiguousSeq + 1;
}

export function setSyncing(log, syncing) {
  return log.syncing === syncing ? log : { ...log, syncing };
}

/**
 * Ask for a hole once: when the log has a gap and no sync is under way, the
 * log marked syncing and the `after_seq` to ask from (the last contiguous
 * seq); otherwise null (nothing to ask, or the answer is on its way).
 */
export function gapSync(log) {
  if (!hasGap(log) || log.syncing) return null;
  return { log: setSyncing(log, true), afterSeq: log.contiguousSeq };
}

/**
 * Our own message, shown at once and kept until the server acks it. `extra`:
 * further frame fields (e.g. `{photo_request: true}`) that a resend carries too.
 */
export function addPending(log, clientId, body, senderName = null, extra = null) {
  if (log.pending.some((p) => p.client_id === clientId)) return log;
  const p = { client_id: clientId, body, sender_name: senderName };
  return { ...log, pending: [...log.pending, extra ? { ...p, extra } : p] };
}

/** The frame fields to resend pending message `p` with (the same client_id). */
function resendable(p) {
  return { ...(p.extra || {}), client_id: p.client_id, body: p.body };
}

/**
 * The server stored our message `clientId` as `seq`: the pending copy becomes
 * a stored message with `fields` (sender, sender_name, sent_at: the ack's,
 * the server's time). `now` stands in for a sent_at the ack lacks. An ack of
 * a message already stored (a duplicate ack) only sets its time to the ack's.
 */
export function ackPending(log, clientId, seq, fields, now = null) {
  const p = log.pending.find((x) => x.client_id === clientId);
  if (!p) return restamp(log, clientId, seq, fields);
  const rest = { ...log, pending: log.pending.filter((x) => x !== p) };
  return addMessage(rest, {
    ...(p.extra || {}),
    ...fields, sent_at: fields.sent_at ?? now, client_id: clientId, body: p.body, seq, mine: true,
  });
}

/**
 * A duplicate ack of a message already stored here: the server's time
 * (`sent_at` of the ack) replaces the one it was shown with.
 */
function restamp(log, clientId, seq, { sender, sent_at: sentAt }) {
  if (!sentAt) return log;
  const at = log.entries.findIndex((e) => e.kind === 'message' && e.seq === seq);
  if (at === -1) return log;
  const m = log.entries[at].message;
  if (m.client_id !== clientId || (sender && m.sender !== sender) || m.sent_at === sentAt) return log;
  const entries = [...log.entries];
  entries[at] = { ...entries[at], message: { ...m, sent_at: sentAt } };
  return { ...log, entries };
}

/** Pending message `clientId` will never be stored (the chat's message cap): it goes. */
export function dropPending(log, clientId) {
  return { ...log, pending: log.pending.filter((p) => p.client_id !== clientId) };
}

/** Messages still waiting for an ack, to resend with the same client_id. */
export function unacked(log) {
  return log.pending.map(resendable);
}

/** Whether `clientId` is one of our messages still waiting for its ack. */
export function isPending(log, clientId) {
  return Boolean(clientId) && log.pending.some((p) => p.client_id === clientId);
}

/**
 * The server could not store pending message `clientId` (storage_unavailable):
 * it stays pending, shown as being saved, and counts one more attempt.
 * Returns {log, attempt, message} (attempt: retries before this one; message:
 * the fields to resend), or null when it is not pending (acked meanwhile).
 */
export function savingPending(log, clientId) {
  const p = log.pending.find((x) => x.client_id === clientId);
  if (!p) return null;
  const attempt = p.attempts || 0;
  const next = { ...p, saving: true, attempts: attempt + 1 };
  return {
    log: { ...log, pending: log.pending.map((x) => (x === p ? next : x)) },
    attempt,
    message: resendable(p),
  };
}

/**
 * A line from the service itself (nurse joined, chat closed), not a message:
 * `notice` describes the text ({key, vars} or {text}, see common/i18n.js).
 */
export function addNotice(log, notice) {
  const id = log.noticeCount + 1;
  return { ...log, entries: [...log.entries, { kind: 'notice', id, notice }], noticeCount: id };
}

/** The stored messages in seq order. */
export function messages(log) {
  return log.entries.filter((e) => e.kind === 'message').map((e) => e.message);
}

// -- back-off (pure: the caller passes the random number) -----------------------

// A write the server could not store (storage_unavailable) is sent again after
// 0.1 s, doubling, at most the server's retry_after_s (docs/protocol.md).
const RETRY_START_MS = 100;

/**
 * The wait before try number `attempt` + 1 (attempt 0: the first wait):
 * `startMs` doubling per attempt, at most `maxMs`, then jittered into its
 * upper half by `random` (0..1, Math.random() by the caller) so that many
 * clients told the same thing do not come back at the same instant. Pure.
 */
export function backoffDelay(attempt, startMs, maxMs, random) {
  const base = Math.min(maxMs, startMs * 2 ** Math.max(0, attempt));
  return base / 2 + random * (base / 2);
}

/**
 * The wait before resending a message refused with rate_limited: the error's
 * `retry_after_s` (1 s when it names none), plus up to a quarter more by
 * `random` (0..1) so that a burst does not come back at one instant. Pure.
 */
export function rateLimitDelay(retryAfterS, random) {
  const ms = typeof retryAfterS === 'number' && retryAfterS > 0 ? retryAfterS * 1000 : 1000;
  return ms + random * (ms / 4);
}

/**
 * The wait before resending a frame refused with storage_unavailable for the
 * `attempt`-th time in a row (0 first): 0.1 s doubling, capped at the error's
 * `retry_after_s` (2 s when it names none), jittered by `random`. Pure.
 */
export function storageRetryDelay(attempt, retryAfterS, random) {
  const capMs = typeof retryAfterS === 'number' && retryAfterS > 0 ? retryAfterS * 1000 : 2000;
  return backoffDelay(attempt, RETRY_START_MS, Math.max(RETRY_START_MS, capMs), random);
}
