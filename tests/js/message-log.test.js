// The message log shared by the patient and staff pages: each message once,
// in seq order, pending until acked, and where to resume after a gap.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  ackPending,
  addMessage,
  addMessages,
  addNotice,
  addPending,
  emptyLog,
  messages,
  resumeSeq,
  savingPending,
  skipsAhead,
  unacked,
} from '../../webclient/common/message-log.js';
import { message } from './frames.js';

const seqs = (log) => messages(log).map((m) => m.seq);
const kinds = (log) => log.entries.map((e) => (e.kind === 'message' ? e.seq : `notice:${e.notice.key}`));

describe('message log', () => {
  test('a message seen twice is kept once and the log is unchanged', () => {
    const once = addMessage(emptyLog('patient'), message(1));
    assert.equal(addMessage(once, message(1, { body: 'annan text' })), once);
    assert.deepEqual(seqs(once), [1]);
    assert.equal(messages(once)[0].body, 'meddelande 1');
  });

  test('history arriving after live messages is put in seq order', () => {
    const log = addMessages(emptyLog('staff'), [message(3), message(1), message(2)]);
    assert.deepEqual(seqs(log), [1, 2, 3]);
    assert.equal(log.lastSeq, 3);
  });

  test('a message without a numeric seq is ignored', () => {
    const log = emptyLog('patient');
    assert.equal(addMessage(log, message('7')), log);
    assert.equal(addMessage(log, null), log);
  });

  test('notices stay where they happened; a late message goes before later ones', () => {
    let log = addMessage(emptyLog('patient'), message(1));
    log = addNotice(log, { key: 'chat.joined', vars: { name: 'Nina Nurse' } });
    log = addMessage(log, message(3));
    log = addMessage(log, message(2));
    assert.deepEqual(kinds(log), [1, 'notice:chat.joined', 2, 3]);
    assert.deepEqual(log.entries[1], { kind: 'notice', id: 1, notice: { key: 'chat.joined', vars: { name: 'Nina Nurse' } } });
  });

  test('extra frame fields (a photo request) go with every resend and into the stored copy', () => {
    let log = addPending(emptyLog('staff'), 's1', 'Kan du skicka en bild?', 'Nina', { photo_request: true });
    assert.deepEqual(unacked(log), [{ photo_request: true, client_id: 's1', body: 'Kan du skicka en bild?' }]);
    const saving = savingPending(log, 's1');
    assert.deepEqual(saving.message, { photo_request: true, client_id: 's1', body: 'Kan du skicka en bild?' });
    log = ackPending(saving.log, 's1', 3, { sender: 'staff', sent_at: '2026-12-02T10:00:00.000Z' });
    assert.equal(messages(log)[0].photo_request, true);
    assert.deepEqual(unacked(addPending(emptyLog('staff'), 's2', 'Hej')), [{ client_id: 's2', body: 'Hej' }]);
  });

  test('the ack turns the pending message into a stored one with the given fields', () => {
    let log = addPending(emptyLog('patient'), 'p1', 'Det gör ont');
    assert.deepEqual(unacked(log), [{ client_id: 'p1', body: 'Det gör ont' }]);
    log = ackPending(log, 'p1', 4, { sender: 'patient', sender_name: 'Petra', sent_at: '2026-12-01T10:15:00.000Z' });
    assert.deepEqual(unacked(log), []);
    assert.deepEqual(messages(log), [{
      sender: 'patient', sender_name: 'Petra', sent_at: '2026-12-01T10:15:00.000Z',
      client_id: 'p1', body: 'Det gör ont', seq: 4, mine: true,
    }]);
  });

  test('an ack for an unknown client_id changes nothing', () => {
    const log = addPending(emptyLog('patient'), 'p1', 'Hej');
    assert.equal(ackPending(log, 'p9', 1, {}), log);
  });

  test('our own message coming back from another tab settles the pending copy', () => {
    let log = addPending(emptyLog('patient'), 'p1', 'Hej');
    log = addMessage(log, message(1, { sender: 'patient', client_id: 'p1', body: 'Hej' }));
    assert.deepEqual(log.pending, []);
    assert.deepEqual(seqs(log), [1]);
  });

  test("someone else's message with the same client_id leaves our pending one", () => {
    let log = addPending(emptyLog('patient'), 's1', 'Hej');
    log = addMessage(log, message(1, { sender: 'staff', client_id: 's1' }));
    assert.deepEqual(unacked(log), [{ client_id: 's1', body: 'Hej' }]);
  });

  test('the same pending client_id is kept once', () => {
    const log = addPending(emptyLog('staff'), 's1', 'Hej', 'Nina Nurse');
    assert.equal(addPending(log, 's1', 'Hej', 'Nina Nurse'), log);
    assert.deepEqual(log.pending, [{ client_id: 's1', body: 'Hej', sender_name: 'Nina Nurse' }]);
  });

  test('resume after the last seq with nothing missing before it', () => {
    assert.equal(resumeSeq(emptyLog('patient')), 0);
    assert.equal(resumeSeq(addMessages(emptyLog('patient'), [message(1), message(2), message(4)])), 2);
    assert.equal(resumeSeq(addMessages(emptyLog('patient'), [message(2), message(3)])), 0);
    assert.equal(resumeSeq(addMessages(emptyLog('patient'), [message(1), message(2), message(3)])), 3);
  });

  test('a live message that skips a seq is noticed', () => {
    const log = addMessages(emptyLog('patient'), [message(1), message(2)]);
    assert.equal(skipsAhead(log, message(3)), false);
    assert.equal(skipsAhead(log, message(5)), true);
    assert.equal(skipsAhead(log, message(2)), false);
  });
});
