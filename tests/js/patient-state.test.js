// The patient chat's applyFrame(): every server frame of docs/protocol.md that
// reaches /ws/patient, and what the patient does, without a browser.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { messages } from '../../webclient/common/message-log.js';
import {
  answered,
  applyFrame,
  followupAsked,
  helloFrame,
  initialState,
  pendingForSession,
  typingOver,
  unanswered,
  written,
} from '../../webclient/patient/state.js';
import {
  banner,
  breathQuestion,
  chestQuestion,
  emergencyAdvice,
  message,
  NOW,
  patientWelcome,
} from './frames.js';

const session = { token: 'tok', contact_id: 'c1', name: 'Petra', pending: [] };

/** Apply frames in order from a fresh chat (or `state`). */
function run(frames, state = initialState(session)) {
  return frames.reduce((s, f) => applyFrame(s, f, { now: NOW }), state);
}

const seqs = (state) => messages(state.log).map((m) => m.seq);
const notices = (state) => state.log.entries.filter((e) => e.kind === 'notice').map((e) => e.notice);

describe('patient applyFrame', () => {
  test('welcome while queued: status, queue place, replayed messages, no effects', () => {
    const s = run([patientWelcome({ messages: [message(1, { sender: 'patient', client_id: 'p1' })] })]);
    assert.equal(s.status, 'queued');
    assert.deepEqual(s.queue, { position: 2, estimated_wait_s: 720 });
    assert.deepEqual(seqs(s), [1]);
    assert.deepEqual(s.effects, []);
  });

  test('welcome resends every unacked message with its client_id', () => {
    const start = initialState({ ...session, pending: [{ client_id: 'p7', body: 'Skrivet utan nät' }] });
    const s = run([patientWelcome()], start);
    assert.deepEqual(s.effects, [
      { type: 'send', frame: { type: 'message', client_id: 'p7', body: 'Skrivet utan nät' } },
    ]);
  });

  test('welcome of an assigned chat names the nurse; of a closed chat ends it without a notice', () => {
    const assigned = run([patientWelcome({ status: 'assigned', staff_name: 'Nina Nurse', queue: null })]);
    assert.deepEqual([assigned.status, assigned.staffName], ['assigned', 'Nina Nurse']);
    const closed = run([
      patientWelcome({ status: 'closed', queue: null, followup: { questions: [chestQuestion] } }),
    ], initialState({ ...session, pending: [{ client_id: 'p1', body: 'x' }] }));
    assert.equal(closed.status, 'closed');
    assert.deepEqual(notices(closed), []);
    assert.deepEqual(closed.followup.questions, []);
    assert.deepEqual(closed.effects, []); // nothing is resent to a closed chat
  });

  test('welcome carries the open follow-up questions and the banner', () => {
    const s = run([patientWelcome({ followup: { questions: [chestQuestion] }, banner })]);
    assert.deepEqual(s.followup, { questions: [chestQuestion], sent: null, error: null });
    assert.equal(s.banner, banner);
    assert.deepEqual(notices(s), []);
  });

  test('a welcome without banner keeps the one shown; a banner frame replaces it', () => {
    const shown = run([{ type: 'banner', banner }]);
    const { banner: _dropped, ...noBanner } = patientWelcome();
    assert.equal(run([noBanner], shown).banner, banner);
    assert.equal(run([{ type: 'banner', banner: null }], shown).banner, null);
  });

  test('hello resumes after the last message with nothing missing before it', () => {
    const s = run([patientWelcome({ messages: [message(1), message(2), message(4)] })]);
    assert.deepEqual(helloFrame(s, 'tok'), { type: 'hello', token: 'tok', last_seq: 2 });
  });

  test('duplicates by seq (live after replay) are shown once', () => {
    const s = run([patientWelcome({ messages: [message(1), message(2)] }), message(2), message(1), message(3)]);
    assert.deepEqual(seqs(s), [1, 2, 3]);
  });

  test('a live message that skips seqs asks once for the gap; history fills it', () => {
    let s = run([patientWelcome({ messages: [message(1)] }), message(4)]);
    assert.deepEqual(s.effects, [{ type: 'send', frame: { type: 'sync', after_seq: 1 } }]);
    s = run([message(5)], s);
    assert.deepEqual(s.effects, []); // already asked
    s = run([{ type: 'history', contact_id: 'c1', messages: [message(2), message(3), message(4)] }], s);
    assert.deepEqual(seqs(s), [1, 2, 3, 4, 5]);
    assert.equal(s.log.syncing, false);
    assert.deepEqual(helloFrame(s, 'tok').last_seq, 5);
  });

  test('the ack stores our pending message with our name and the time it came', () => {
    let s = written(run([patientWelcome()]), 'p1', 'Det gör ont');
    assert.deepEqual(pendingForSession(s), [{ client_id: 'p1', body: 'Det gör ont' }]);
    s = run([{ type: 'ack', client_id: 'p1', contact_id: 'c1', seq: 1 }], s);
    assert.deepEqual(pendingForSession(s), []);
    assert.deepEqual(messages(s.log), [{
      sender: 'patient', sender_name: 'Petra', sent_at: NOW, client_id: 'p1', body: 'Det gör ont', seq: 1, mine: true,
    }]);
  });

  test('a duplicate ack (resent message) changes nothing', () => {
    const s = run([patientWelcome(), message(1, { sender: 'patient', client_id: 'p1' })]);
    const again = run([{ type: 'ack', client_id: 'p1', contact_id: 'c1', seq: 1, duplicate: true }], s);
    assert.equal(again.log, s.log);
  });

  test('queue updates move the place in line', () => {
    const s = run([patientWelcome(), { type: 'queue', contact_id: 'c1', position: 1, estimated_wait_s: 360 }]);
    assert.deepEqual(s.queue, { position: 1, estimated_wait_s: 360 });
  });

  test('assigned: the nurse joins with a notice; without a name the notice says staff', () => {
    const s = run([patientWelcome(), { type: 'assigned', contact_id: 'c1', staff_name: 'Nina Nurse' }]);
    assert.deepEqual([s.status, s.staffName], ['assigned', 'Nina Nurse']);
    assert.deepEqual(notices(s), [{ key: 'chat.joined', vars: { name: 'Nina Nurse' } }]);
    const nameless = run([patientWelcome(), { type: 'assigned', contact_id: 'c1', staff_name: null }]);
    assert.deepEqual(notices(nameless), [{ key: 'chat.joined', vars: { name: { key: 'chat.staff' } } }]);
  });

  test('transferred: back in the queue with a notice', () => {
    const s = run([
      patientWelcome({ status: 'assigned', staff_name: 'Nina Nurse' }),
      { type: 'transferred', contact_id: 'c1', queue: 'hc1:doctor' },
    ]);
    assert.deepEqual([s.status, s.staffName], ['queued', null]);
    assert.deepEqual(notices(s), [{ key: 'chat.transferred' }]);
  });

  test("the nurse's typing shows until her message arrives", () => {
    let s = run([patientWelcome({ status: 'assigned' }), { type: 'typing', contact_id: 'c1', sender: 'staff', sender_name: 'Nina Nurse' }]);
    assert.deepEqual(s.typing, { name: 'Nina Nurse' });
    s = run([message(1)], s);
    assert.equal(s.typing, null);
    s = run([{ type: 'typing', contact_id: 'c1', sender: 'staff' }], s);
    assert.deepEqual(typingOver(s).typing, null);
    assert.deepEqual(run([{ type: 'typing', contact_id: 'c1', sender: 'patient' }], typingOver(s)).typing, null);
  });

  test('closed: the chat ends with a notice, once; typing and open questions go', () => {
    let s = run([
      patientWelcome({ status: 'assigned', followup: { questions: [chestQuestion] } }),
      { type: 'typing', contact_id: 'c1', sender: 'staff', sender_name: 'Nina Nurse' },
      { type: 'closed', contact_id: 'c1', outcome: 'resolved_in_chat' },
    ]);
    assert.equal(s.status, 'closed');
    assert.deepEqual([s.typing, s.followup.questions], [null, []]);
    assert.deepEqual(notices(s), [{ key: 'chat.closed_notice' }]);
    s = run([{ type: 'closed', contact_id: 'c1', outcome: 'resolved_in_chat' }], s);
    assert.deepEqual(notices(s), [{ key: 'chat.closed_notice' }]);
  });

  test('an emergency triage shows the advice above the chat and in the log', () => {
    const s = run([patientWelcome(), {
      type: 'triage', contact_id: 'c1', level: 'emergency', tags: ['bröstsmärta'], reasons: [], advice: emergencyAdvice,
    }]);
    assert.deepEqual(s.emergency, { advice: emergencyAdvice });
    assert.deepEqual(notices(s), [{ text: 'Ring 112 nu. Vänta inte på chatten.' }]);
  });

  test('a triage that is not an emergency changes nothing the patient sees', () => {
    const before = run([patientWelcome()]);
    const s = run([{ type: 'triage', contact_id: 'c1', level: 'urgent', tags: [], reasons: [] }], before);
    assert.deepEqual([s.emergency, s.log], [null, before.log]);
  });

  test('follow-up questions are added once each, with one notice', () => {
    let s = run([patientWelcome(), { type: 'followup', contact_id: 'c1', questions: [chestQuestion] }]);
    s = run([{ type: 'followup', contact_id: 'c1', questions: [chestQuestion, breathQuestion] }], s);
    assert.deepEqual(s.followup.questions, [chestQuestion, breathQuestion]);
    assert.deepEqual(notices(s), [{ key: 'followup.notice' }, { key: 'followup.notice' }]);
    s = run([{ type: 'followup', contact_id: 'c1', questions: [chestQuestion] }], s);
    assert.equal(notices(s).length, 2);
  });

  test('follow-up questions of the intake reply need no notice; none come after the close', () => {
    const asked = followupAsked(initialState(session), [chestQuestion]);
    assert.deepEqual([asked.followup.questions, notices(asked)], [[chestQuestion], []]);
    const closed = run([patientWelcome({ status: 'closed' }), { type: 'followup', contact_id: 'c1', questions: [breathQuestion] }]);
    assert.deepEqual(closed.followup.questions, []);
  });

  test('answers: all needed unless a yes; the ack removes the answered ones and thanks', () => {
    let s = run([patientWelcome(), { type: 'followup', contact_id: 'c1', questions: [chestQuestion, breathQuestion] }]);
    assert.equal(unanswered(s, { chest_pain_now: false }), breathQuestion);
    assert.equal(unanswered(s, { short_of_breath: true }), null);
    s = answered(s, { chest_pain_now: false, short_of_breath: false }, true);
    assert.deepEqual(s.followup.sent, ['chest_pain_now', 'short_of_breath']);
    assert.equal(s.emergency, null);
    s = run([{ type: 'followup_ack', contact_id: 'c1', raised: false, level: 'standard' }], s);
    assert.deepEqual(s.followup, { questions: [], sent: null, error: null });
    assert.deepEqual(notices(s).at(-1), { key: 'followup.thanks' });
  });

  test('a yes shows 112 at once, even offline; the raised ack keeps the advice', () => {
    const asked = run([patientWelcome(), { type: 'followup', contact_id: 'c1', questions: [chestQuestion] }]);
    const offline = answered(asked, { chest_pain_now: true }, false);
    assert.deepEqual([offline.emergency, offline.followup.error, offline.followup.sent], [{ advice: null }, 'followup.err_offline', null]);
    let s = answered(asked, { chest_pain_now: true }, true);
    s = run([{ type: 'triage', contact_id: 'c1', level: 'emergency', tags: [], reasons: [], advice: emergencyAdvice }], s);
    s = run([{ type: 'followup_ack', contact_id: 'c1', raised: true, level: 'emergency' }], s);
    assert.deepEqual(s.emergency, { advice: emergencyAdvice });
  });

  test('an error while answers are on their way lets them be sent again', () => {
    let s = run([patientWelcome(), { type: 'followup', contact_id: 'c1', questions: [chestQuestion] }]);
    s = answered(s, { chest_pain_now: false }, true);
    s = run([{ type: 'error', code: 'invalid_field', message: 'bad answers' }], s);
    assert.deepEqual(s.followup, { questions: [chestQuestion], sent: null, error: 'error.generic' });
    assert.equal(s.chatError, null);
  });

  test('other errors show under the composer, except rate limiting; contact_closed ends the chat', () => {
    const s = run([patientWelcome()]);
    assert.equal(run([{ type: 'error', code: 'invalid_field', message: 'x', client_id: 'p1' }], s).chatError, 'error.generic');
    assert.equal(run([{ type: 'error', code: 'rate_limited', message: 'x' }], s).chatError, null);
    const closed = run([{ type: 'error', code: 'contact_closed', message: 'the contact is closed' }], s);
    assert.deepEqual([closed.status, notices(closed)], ['closed', []]);
    assert.equal(written(run([{ type: 'error', code: 'internal_error', message: 'x' }], s), 'p2', 'Hej').chatError, null);
  });

  test('effects belong to one step only; unknown frames change nothing', () => {
    const s = run([patientWelcome({ messages: [message(1)] }), message(3)]);
    assert.equal(s.effects.length, 1);
    const next = run([{ type: 'pong' }], s);
    assert.deepEqual(next.effects, []);
    assert.deepEqual({ ...next, effects: s.effects }, s);
  });

  test('applyFrame leaves its input untouched', () => {
    const before = run([patientWelcome()]);
    const copy = structuredClone(before);
    run([message(1), { type: 'assigned', contact_id: 'c1', staff_name: 'Nina Nurse' }, { type: 'closed', contact_id: 'c1', outcome: 'patient_left' }], before);
    assert.deepEqual(before, copy);
  });

  test('a resumed session keeps the 112 advice it had', () => {
    assert.deepEqual(initialState({ ...session, emergency: emergencyAdvice }).emergency, { advice: emergencyAdvice });
  });
});
