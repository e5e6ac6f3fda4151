// Issue 21 on the web client: seq gaps filled by `sync` from the last
// contiguous seq, a staff close that says what was seen (last_seen_seq) and
// its unseen_messages refusal, the ack's server time, and messages the server
// could not store (storage_unavailable) retried with back-off. Pure reducers
// and functions only, no browser.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';

import {
  ackPending,
  addMessage,
  addMessages,
  addPending,
  backoffDelay,
  emptyLog,
  gapSync,
  hasGap,
  isPending,
  messages,
  rateLimitDelay,
  resumeSeq,
  savingPending,
  storageRetryDelay,
} from '../../webclient/common/message-log.js';
import { retryAfterSeconds } from '../../webclient/patient/intake.js';
import {
  applyFrame as patientFrame,
  helloFrame,
  initialState as patientInitial,
  written as patientWritten,
} from '../../webclient/patient/state.js';
import {
  activate,
  chatOf,
  closeFrame,
  closing,
  initialState as staffInitial,
  picking,
  signedIn,
  applyFrame as staffFrame,
  written as staffWritten,
} from '../../webclient/staff/state.js';
import { contact, message, NOW, nurse, patientWelcome, staffWelcome } from './frames.js';

const SERVER_TIME = '2026-12-01T10:14:58.123456Z';
const seqsOf = (log) => messages(log).map((m) => m.seq);
const sendsOf = (state) => state.effects.filter((e) => e.type === 'send').map((e) => e.frame);

function patient(frames, state = patientInitial({ token: 'tok', contact_id: 'c1', name: 'Petra', pending: [] }), env = {}) {
  return frames.reduce((s, f) => patientFrame(s, f, { now: NOW, ...env }), state);
}

function staff(frames, state = signedIn(staffInitial(), nurse), env = {}) {
  return frames.reduce((s, f) => staffFrame(s, f, { now: NOW, hidden: false, ...env }), state);
}

const assigned = (c = contact(), msgs = []) => ({ type: 'assigned', contact: c, messages: msgs });
const fromPatient = (seq, fields = {}) => message(seq, { sender: 'patient', sender_name: 'Petra', client_id: `p${seq}`, ...fields });
const storageError = (fields = {}) => ({
  type: 'error', code: 'storage_unavailable', message: 'try again', retryable: true, retry_after_s: 2, ...fields,
});

describe('message log: the contiguous seq', () => {
  test('it follows the messages without a hole, whatever order they come in', () => {
    let log = addMessages(emptyLog('staff'), [message(1), message(2), message(4)]);
    assert.deepEqual([log.lastSeq, log.contiguousSeq, resumeSeq(log), hasGap(log)], [4, 2, 2, true]);
    log = addMessage(log, message(5));
    assert.deepEqual([log.lastSeq, log.contiguousSeq], [5, 2]);
    log = addMessage(log, message(3));
    assert.deepEqual([log.lastSeq, log.contiguousSeq, hasGap(log)], [5, 5, false]);
    assert.equal(addMessages(emptyLog('patient'), [message(2), message(3)]).contiguousSeq, 0);
  });

  test('a gap is asked for once, from the last contiguous seq', () => {
    const log = addMessages(emptyLog('staff'), [message(1), message(3)]);
    const ask = gapSync(log);
    assert.equal(ask.afterSeq, 1);
    assert.equal(ask.log.syncing, true);
    assert.equal(gapSync(ask.log), null); // under way
    assert.equal(gapSync(addMessages(emptyLog('staff'), [message(1), message(2)])), null); // no gap
  });

  test('history merges by seq: in order, each once, pending copies settled', () => {
    let log = addPending(addMessages(emptyLog('patient'), [message(1), message(4)]), 'p3', 'Hej');
    log = addMessages(log, [message(2), message(3, { sender: 'patient', client_id: 'p3', body: 'Hej' }), message(4)]);
    assert.deepEqual(seqsOf(log), [1, 2, 3, 4]);
    assert.deepEqual(log.pending, []);
    assert.equal(log.contiguousSeq, 4);
  });

  test('a duplicate ack sets the stored message to the server time; a different client_id is left', () => {
    let log = addPending(emptyLog('patient'), 'p1', 'Hej');
    log = ackPending(log, 'p1', 1, { sender: 'patient', sent_at: undefined }, NOW);
    assert.equal(messages(log)[0].sent_at, NOW);
    const again = ackPending(log, 'p1', 1, { sender: 'patient', sent_at: SERVER_TIME }, NOW);
    assert.equal(messages(again)[0].sent_at, SERVER_TIME);
    assert.equal(ackPending(again, 'p1', 1, { sent_at: SERVER_TIME }), again);
    assert.equal(ackPending(again, 'p9', 1, { sent_at: NOW }), again);
  });

  test('a message the server could not store stays pending and counts its attempts', () => {
    const log = addPending(emptyLog('staff'), 's1', 'Drick varmt.', 'Nina Nurse');
    assert.equal(isPending(log, 's1'), true);
    assert.equal(isPending(log, 's2'), false);
    assert.equal(isPending(log, undefined), false);
    const first = savingPending(log, 's1');
    assert.equal(first.attempt, 0);
    assert.deepEqual(first.message, { client_id: 's1', body: 'Drick varmt.' });
    assert.deepEqual(first.log.pending, [{ client_id: 's1', body: 'Drick varmt.', sender_name: 'Nina Nurse', saving: true, attempts: 1 }]);
    assert.equal(savingPending(first.log, 's1').attempt, 1);
    assert.equal(savingPending(log, 's9'), null);
  });
});

describe('retry scheduling', () => {
  test('0.1 s doubling, capped at retry_after_s, jittered into the upper half', () => {
    const upper = [0, 1, 2, 3, 4, 5, 6].map((n) => storageRetryDelay(n, 2, 1));
    assert.deepEqual(upper, [100, 200, 400, 800, 1600, 2000, 2000]);
    const lower = [0, 1, 2, 3, 4, 5, 6].map((n) => storageRetryDelay(n, 2, 0));
    assert.deepEqual(lower, [50, 100, 200, 400, 800, 1000, 1000]);
    assert.equal(storageRetryDelay(0, 2, 0.5), 75);
  });

  test('the cap is the error\'s retry_after_s (2 s when it names none)', () => {
    assert.equal(storageRetryDelay(10, 1, 1), 1000);
    assert.equal(storageRetryDelay(10, 5, 1), 5000);
    assert.equal(storageRetryDelay(10, undefined, 1), 2000);
    assert.equal(storageRetryDelay(10, 0, 1), 2000);
    assert.equal(storageRetryDelay(10, 0.05, 1), 100); // never below the first wait
    assert.equal(storageRetryDelay(-1, 2, 1), 100);
  });

  test('the reconnect back-off is the same shape', () => {
    assert.equal(backoffDelay(0, 500, 15000, 1), 500);
    assert.equal(backoffDelay(10, 500, 15000, 1), 15000);
    assert.equal(backoffDelay(10, 500, 15000, 0), 7500);
  });

  test('an intake 503 waits the error\'s retry_after_s, else Retry-After, within 1..60 s', () => {
    assert.equal(retryAfterSeconds({ retry_after_s: 2 }, '7'), 2);
    assert.equal(retryAfterSeconds({}, '7'), 7);
    assert.equal(retryAfterSeconds(undefined, null), 2);
    assert.equal(retryAfterSeconds({}, 'Wed, 21 Oct 2026 07:28:00 GMT'), 2);
    assert.equal(retryAfterSeconds({ retry_after_s: 3600 }, null), 60);
    assert.equal(retryAfterSeconds({ retry_after_s: 0 }, null), 1);
  });
});

describe('patient: gaps, acks and retries', () => {
  test('a hole left after a history is asked for again from the contiguous seq, not the highest', () => {
    let s = patient([patientWelcome({ messages: [message(1), message(2)] }), message(4)]);
    assert.deepEqual(sendsOf(s), [{ type: 'sync', after_seq: 2 }]);
    // The answer did not bring seq 3 (say it crossed a reconnect): the next
    // message, right after the highest seen, still finds the hole.
    s = patient([{ type: 'history', contact_id: 'c1', messages: [] }, message(5)], s);
    assert.deepEqual(sendsOf(s), [{ type: 'sync', after_seq: 2 }]);
    s = patient([{ type: 'history', contact_id: 'c1', messages: [message(3), message(4), message(5)] }], s);
    assert.deepEqual(seqsOf(s.log), [1, 2, 3, 4, 5]);
    assert.deepEqual(helloFrame(s, 'tok').last_seq, 5);
  });

  test('a welcome with a hole asks for it; hello resumes from the contiguous seq', () => {
    const s = patient([patientWelcome({ messages: [message(1), message(3)] })]);
    assert.deepEqual(sendsOf(s), [{ type: 'sync', after_seq: 1 }]);
    assert.equal(helloFrame(s, 'tok').last_seq, 1);
  });

  test('a live message already known is dropped without effects', () => {
    const s = patient([patientWelcome({ messages: [message(1), message(2)] })]);
    const again = patient([message(2, { body: 'dubblett' })], s);
    assert.equal(again.log, s.log);
    assert.deepEqual(again.effects, []);
  });

  test('the ack stamps our message with the server time; a duplicate ack with the original time', () => {
    let s = patientWritten(patient([patientWelcome()]), 'p1', 'Det gör ont');
    s = patient([{ type: 'ack', client_id: 'p1', contact_id: 'c1', seq: 1, sent_at: SERVER_TIME }], s);
    assert.equal(messages(s.log)[0].sent_at, SERVER_TIME);
    // A resend after a reconnect: the message was already stored (say from the welcome).
    let t = patientWritten(patient([patientWelcome()]), 'p2', 'Hej');
    t = patient([patientWelcome({ messages: [message(1, { sender: 'patient', client_id: 'p2', body: 'Hej', sent_at: NOW })] })], t);
    t = patient([{ type: 'ack', client_id: 'p2', contact_id: 'c1', seq: 1, sent_at: SERVER_TIME, duplicate: true }], t);
    assert.equal(messages(t.log)[0].sent_at, SERVER_TIME);
  });

  test('an ack past a hole asks for the hole', () => {
    let s = patientWritten(patient([patientWelcome({ messages: [message(1)] })]), 'p1', 'Hej');
    s = patient([{ type: 'ack', client_id: 'p1', contact_id: 'c1', seq: 3, sent_at: SERVER_TIME }], s);
    assert.deepEqual(sendsOf(s), [{ type: 'sync', after_seq: 1 }]);
  });

  test('storage_unavailable keeps the message pending, "saving", and resends it with back-off', () => {
    let s = patientWritten(patient([patientWelcome()]), 'p1', 'Det gör ont');
    s = patient([storageError({ client_id: 'p1', contact_id: 'c1' })], s, { random: 1 });
    assert.deepEqual(s.effects, [{ type: 'resend', frame: { type: 'message', client_id: 'p1', body: 'Det gör ont' }, delayMs: 100 }]);
    assert.deepEqual(s.log.pending, [{ client_id: 'p1', body: 'Det gör ont', sender_name: null, saving: true, attempts: 1 }]);
    assert.equal(s.chatError, null);
    s = patient([storageError({ client_id: 'p1', contact_id: 'c1' })], s, { random: 1 });
    assert.equal(s.effects[0].delayMs, 200);
    s = patient([{ type: 'ack', client_id: 'p1', contact_id: 'c1', seq: 1, sent_at: SERVER_TIME }], s);
    assert.deepEqual(s.log.pending, []);
    assert.deepEqual(seqsOf(s.log), [1]);
  });

  test('storage_unavailable for a client_id not pending is ignored; without one it is told', () => {
    const s = patient([patientWelcome()]);
    const ignored = patient([storageError({ client_id: 'p7', contact_id: 'c1' })], s);
    assert.deepEqual([ignored.log, ignored.effects, ignored.chatError], [s.log, [], null]);
    assert.equal(patient([storageError({ contact_id: 'c1' })], s).chatError, 'error.storage_unavailable');
  });
});

describe('patient: the per-contact message limits', () => {
  test('rate_limited keeps the message pending and resends it after retry_after_s', () => {
    let s = patientWritten(patient([patientWelcome()]), 'p1', 'Hej igen');
    s = patient([{ type: 'error', code: 'rate_limited', client_id: 'p1', contact_id: 'c1', retry_after_s: 2 }], s, { random: 0 });
    assert.deepEqual(s.effects, [{ type: 'resend', frame: { type: 'message', client_id: 'p1', body: 'Hej igen' }, delayMs: 2000 }]);
    assert.equal(s.log.pending.length, 1);
    assert.equal(s.chatError, null);
    assert.equal(rateLimitDelay(undefined, 1), 1250);
  });

  test('contact_message_limit drops the message and tells where to turn', () => {
    let s = patientWritten(patient([patientWelcome()]), 'p1', 'En till');
    s = patient([{ type: 'error', code: 'contact_message_limit', client_id: 'p1', contact_id: 'c1', max_messages: 1000 }], s);
    assert.deepEqual(s.log.pending, []);
    assert.deepEqual(s.effects, []);
    assert.equal(s.chatError, 'error.contact_message_limit');
    const other = patient([{ type: 'error', code: 'rate_limited', client_id: 'p9', contact_id: 'c1' }], s);
    assert.deepEqual(other.effects, []);
  });
});

describe('staff: gaps, close with last_seen_seq, unseen_messages, acks and retries', () => {
  const picked = () => staff([staffWelcome(), assigned(contact(), [fromPatient(1), message(2)])], picking(staff([staffWelcome()])));

  test('a gap in a chat is asked for with its contact_id from the contiguous seq', () => {
    let s = staff([fromPatient(4)], picked());
    assert.deepEqual(sendsOf(s), [{ type: 'sync', contact_id: 'c1', after_seq: 2 }]);
    s = staff([{ type: 'history', contact_id: 'c1', messages: [fromPatient(3), fromPatient(4)] }], s);
    assert.deepEqual(seqsOf(chatOf(s, 'c1').log), [1, 2, 3, 4]);
    assert.deepEqual(sendsOf(staff([fromPatient(5)], s)), []);
  });

  test('an assigned frame with a hole asks for it at once', () => {
    const s = staff([staffWelcome(), assigned(contact(), [fromPatient(1), fromPatient(3)])]);
    assert.deepEqual(sendsOf(s), [{ type: 'sync', contact_id: 'c1', after_seq: 1 }]);
  });

  test('a live message already in the transcript is dropped: no unread, no effects', () => {
    const s = activate(staff([assigned(contact('c2'))], picked()), 'c2');
    const again = staff([fromPatient(1)], s);
    assert.equal(chatOf(again, 'c1').unread, 0);
    assert.equal(chatOf(again, 'c1').log, chatOf(s, 'c1').log);
    assert.deepEqual(again.effects, []);
  });

  test('reconnect: the welcome resyncs each chat from its contiguous seq', () => {
    const s = staff([fromPatient(4), { type: 'history', contact_id: 'c1', messages: [] }], picked());
    const resumed = staff([staffWelcome({ assigned: [contact('c1', { last_seq: 6 })] })], s);
    assert.deepEqual(sendsOf(resumed), [{ type: 'sync', contact_id: 'c1', after_seq: 2 }]);
  });

  test('close says the highest contiguous seq shown', () => {
    let s = picked();
    assert.deepEqual(closeFrame(s, 'c1', 'resolved_in_chat'),
      { type: 'close', contact_id: 'c1', outcome: 'resolved_in_chat', last_seen_seq: 2 });
    s = staff([fromPatient(4)], s); // 3 has not reached the page
    assert.equal(closeFrame(s, 'c1', 'resolved_in_chat').last_seen_seq, 2);
    assert.equal(closeFrame(staffInitial(), 'zz', 'no_response').last_seen_seq, 0);
  });

  test('unseen_messages: the history is merged, the chat stays open with a notice, and may be closed again', () => {
    let s = picked();
    s = staff([
      { type: 'history', contact_id: 'c1', messages: [fromPatient(3, { body: 'Jag har fått feber också.' })] },
      { type: 'error', code: 'unseen_messages', message: 'the patient wrote more', contact_id: 'c1', newest_seq: 3 },
    ], s);
    const chat = chatOf(s, 'c1');
    assert.equal(chat.closed, false);
    assert.equal(chat.unseen, 3);
    assert.deepEqual(seqsOf(chat.log), [1, 2, 3]);
    assert.deepEqual(chat.log.entries.at(-1), { kind: 'notice', id: 1, notice: { key: 'chats.unseen_messages' } });
    assert.deepEqual(s.effects, [{ type: 'unseen', contact_id: 'c1' }]);
    // No toast for the refusal: the notice in the chat says it.
    assert.equal(s.effects.some((e) => e.type === 'error'), false);
    assert.equal(closeFrame(s, 'c1', 'resolved_in_chat').last_seen_seq, 3);
    s = closing(s, 'c1');
    assert.equal(chatOf(s, 'c1').unseen, null);
    s = staff([{ type: 'closed', contact_id: 'c1', outcome: 'resolved_in_chat' }], s);
    assert.equal(chatOf(s, 'c1').closed, true);
  });

  test('unseen_messages without its history asks for the messages', () => {
    const s = staff([{ type: 'error', code: 'unseen_messages', message: 'x', contact_id: 'c1', newest_seq: 4 }], picked());
    assert.deepEqual(sendsOf(s), [{ type: 'sync', contact_id: 'c1', after_seq: 2 }]);
    assert.equal(chatOf(s, 'c1').closed, false);
  });

  test('our reply takes the ack\'s server time, also from a duplicate ack', () => {
    let s = staffWritten(picked(), 'c1', 's9', 'Har du feber?');
    s = staff([{ type: 'ack', client_id: 's9', contact_id: 'c1', seq: 3, sent_at: SERVER_TIME }], s);
    assert.equal(messages(chatOf(s, 'c1').log).at(-1).sent_at, SERVER_TIME);
    const later = '2026-12-01T10:15:01.000000Z';
    s = staff([{ type: 'ack', client_id: 's9', contact_id: 'c1', seq: 3, sent_at: later, duplicate: true }], s);
    assert.equal(messages(chatOf(s, 'c1').log).at(-1).sent_at, later);
  });

  test('storage_unavailable on a reply: pending, saving, resent with its contact_id after the back-off', () => {
    let s = staffWritten(picked(), 'c1', 's9', 'Har du feber?');
    s = staff([storageError({ client_id: 's9', contact_id: 'c1', retry_after_s: 1 })], s, { random: 0 });
    assert.deepEqual(s.effects, [{
      type: 'resend', frame: { type: 'message', contact_id: 'c1', client_id: 's9', body: 'Har du feber?' }, delayMs: 50,
    }]);
    assert.equal(chatOf(s, 'c1').log.pending[0].saving, true);
    for (let i = 0; i < 6; i += 1) s = staff([storageError({ client_id: 's9', contact_id: 'c1', retry_after_s: 1 })], s, { random: 1 });
    assert.equal(s.effects[0].delayMs, 1000); // capped at retry_after_s
  });

  test('storage_unavailable of a reply already acked is ignored; of a pick or close it is told', () => {
    const s = picked();
    const ignored = staff([storageError({ client_id: 's1', contact_id: 'c1' })], s);
    assert.deepEqual(ignored.effects, []);
    assert.equal(ignored.chats, s.chats);
    const refused = staff([storageError({ contact_id: 'c1' })], picking(s));
    assert.deepEqual([refused.pickPending, refused.effects], [false, [{ type: 'error', code: 'storage_unavailable' }]]);
  });
});

describe('texts of the reliability states', () => {
  test('Swedish first, English too', async () => {
    const sv = JSON.parse(await readFile(new URL('../../webclient/i18n/sv.json', import.meta.url)));
    const en = JSON.parse(await readFile(new URL('../../webclient/i18n/en.json', import.meta.url)));
    assert.equal(sv['chats.unseen_messages'], 'Patienten har skrivit något nytt – läs innan du avslutar.');
    assert.equal(sv['login.err_busy'], 'Många loggar in just nu – försök igen om en stund.');
    assert.match(sv['error.storage_unavailable'], /Försök igen om en stund/);
    assert.equal(sv['chat.saving'], 'Sparar …');
    for (const key of ['chats.unseen_messages', 'login.err_busy', 'error.storage_unavailable', 'chat.saving',
      'intake.err_storage', 'intake.err_storage_manual']) {
      assert.ok(en[key] && en[key] !== sv[key], key);
    }
  });
});
