// One conversation's messages as data: every stored message exactly once
// (deduplicated by seq) in seq order, the notices of the service between them,
// and the sender's own messages still waiting for their ack. Pure functions on
// plain objects: no DOM, no network; each returns a new log (or the same one
// when nothing changed), so the page can tell what to render again.
//
// A log: {self, entries, pending, lastSeq, noticeCount, syncing}
//   self      'patient' | 'staff': whose page it is (their messages are "mine")
//   entries   [{kind: 'message', seq, message} | {kind: 'notice', id, notice}]
//   pending   [{client_id, body, sender_name}] in the order they were written
//   lastSeq   the highest seq stored
//   syncing   a sync for a gap is under way (asked once until history answers)

export function emptyLog(self) {
  return { self, entries: [], pending: [], lastSeq: 0, noticeCount: 0, syncing: false };
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
  return { ...log, entries, pending, lastSeq: Math.max(log.lastSeq, m.seq) };
}

export function addMessages(log, messages) {
  return (messages || []).reduce(addMessage, log);
}

/** The highest seq up to which nothing is missing: what to resume after. */
export function resumeSeq(log) {
  const seqs = new Set(log.entries.filter((e) => e.kind === 'message').map((e) => e.seq));
  let n = 0;
  while (seqs.has(n + 1)) n += 1;
  return n;
}

/** A live message skipped over at least one seq: some message never reached us. */
export function skipsAhead(log, m) {
  return typeof m.seq === 'number' && m.seq > log.lastSeq + 1;
}

export function setSyncing(log, syncing) {
  return log.syncing === syncing ? log : { ...log, syncing };
}

/** Our own message, shown at once and kept until the server acks it. */
export function addPending(log, clientId, body, senderName = null) {
  if (log.pending.some((p) => p.client_id === clientId)) return log;
  return { ...log, pending: [...log.pending, { client_id: clientId, body, sender_name: senderName }] };
}

/**
 * The server stored our message `clientId` as `seq`: the pending copy becomes
 * a stored message with `fields` (sender, sender_name, sent_at).
 */
export function ackPending(log, clientId, seq, fields) {
  const p = log.pending.find((x) => x.client_id === clientId);
  if (!p) return log;
  const rest = { ...log, pending: log.pending.filter((x) => x !== p) };
  return addMessage(rest, { ...fields, client_id: clientId, body: p.body, seq, mine: true });
}

/** Messages still waiting for an ack, to resend with the same client_id. */
export function unacked(log) {
  return log.pending.map((p) => ({ client_id: p.client_id, body: p.body }));
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
