// The staff dashboard's applyFrame(): every server frame of docs/protocol.md
// that reaches /ws/staff, and what the nurse does, without a browser.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { messages, unacked } from '../../webclient/common/message-log.js';
import {
  activate,
  applyFrame,
  chatOf,
  initialState,
  minutesSince,
  overrideSent,
  picking,
  queueLabel,
  removeChat,
  signedIn,
  typingOver,
  waitingSince,
  written,
} from '../../webclient/staff/state.js';
import { banner, contact, message, NOW, nurse, queue, staffWelcome, waiting } from './frames.js';

function run(frames, state = signedIn(initialState(), nurse), env = {}) {
  return frames.reduce((s, f) => applyFrame(s, f, { now: NOW, hidden: false, ...env }), state);
}

const assigned = (c = contact(), msgs = []) => ({ type: 'assigned', contact: c, messages: msgs });
const seqs = (state, id = 'c1') => messages(chatOf(state, id).log).map((m) => m.seq);
const notices = (state, id = 'c1') =>
  chatOf(state, id).log.entries.filter((e) => e.kind === 'notice').map((e) => e.notice);
const tabs = (state) => state.chats.map((c) => [c.contact.contact_id, c.unread]);

describe('staff applyFrame', () => {
  test('welcome: the user, the queues and the banner; waiting contacts raise no alert', () => {
    const q = queue([waiting('c9', { level: 'emergency', red_flag: true })]);
    const s = run([staffWelcome({ queues: [q], banner })]);
    assert.equal(s.user, nurse);
    assert.deepEqual(s.queues, { list: [q], seen: { c9: true }, primed: true });
    assert.equal(s.banner, banner);
    assert.deepEqual(s.effects, []);
  });

  test('welcome resumes each assigned chat: sync after what we have, resend the unacked', () => {
    let s = run([staffWelcome(), assigned(contact(), [message(1), message(2)])]);
    s = written(s, 'c1', 's9', 'Har du feber?');
    s = run([staffWelcome({ assigned: [contact('c1', { last_seq: 3 })] })], s);
    assert.deepEqual(s.effects, [
      { type: 'send', frame: { type: 'sync', contact_id: 'c1', after_seq: 2 } },
      { type: 'send', frame: { type: 'message', contact_id: 'c1', client_id: 's9', body: 'Har du feber?' } },
    ]);
    assert.deepEqual(tabs(s), [['c1', 0]]);
    // The sync is under way: a live message that skips ahead asks no second time.
    assert.deepEqual(run([message(5, { sender: 'patient' })], s).effects, []);
  });

  test('a new urgent or red-flag arrival alerts; a standard one does not; each contact once', () => {
    let s = run([staffWelcome()]);
    s = run([{ type: 'queues', queues: [queue([waiting('c2', { red_flag: true })])] }], s);
    assert.deepEqual(s.effects, [{ type: 'alert', message: { key: 'alert.red_flag' } }]);
    s = run([{ type: 'queues', queues: [queue([waiting('c2', { red_flag: true }), waiting('c3', { level: 'urgent', position: 2 })])] }], s);
    assert.deepEqual(s.effects, [{ type: 'alert', message: { key: 'alert.urgent' } }]);
    s = run([{ type: 'queues', queues: [queue([waiting('c4', { level: 'standard' })])] }], s);
    assert.deepEqual(s.effects, []);
    assert.deepEqual(s.queues.list.map((q) => q.contacts.map((c) => c.contact_id)), [['c4']]);
  });

  test('queue pushes merge by id: another unit is added, the same queue replaced', () => {
    const other = queue([], { id: 'hc2:nurse', unit_id: 'hc2', name: 'Sjuksköterska' });
    let s = run([staffWelcome(), { type: 'queues', queues: [other] }]);
    s = run([{ type: 'queues', queues: [queue([waiting('c5')])] }], s);
    assert.deepEqual(s.queues.list.map((q) => [q.id, q.count]), [['hc1:nurse', 1], ['hc2:nurse', 0]]);
    assert.equal(queueLabel(s, s.queues.list[1]), 'hc2 · Sjuksköterska');
    assert.equal(queueLabel(run([staffWelcome()]), queue()), 'Sjuksköterska');
  });

  test('escalation alerts with the whole minutes waited', () => {
    const s = run([staffWelcome(), {
      type: 'escalation', contact_id: 'c2', unit_id: 'hc1', queue_id: 'hc1:nurse', level: 'urgent', red_flag: false, waited_s: 1259, target_s: 900,
    }]);
    assert.deepEqual(s.effects, [{ type: 'alert', message: { key: 'alert.escalation', vars: { minutes: 20 } } }]);
  });

  test('our pick opens the chat in view with the focus in the reply', () => {
    const s = run([staffWelcome(), assigned(contact(), [message(1, { sender: 'patient', sender_name: 'Petra' })])], picking(run([staffWelcome()])));
    assert.equal(s.active, 'c1');
    assert.equal(s.pickPending, false);
    assert.deepEqual(s.effects, [{ type: 'focus-reply', contact_id: 'c1' }]);
    assert.deepEqual(seqs(s), [1]);
  });

  test("another tab's pick opens a tab without taking the view", () => {
    let s = run([staffWelcome(), assigned(contact('c1'))]);
    s = run([assigned(contact('c2'))], s);
    assert.deepEqual([s.active, s.effects], ['c1', []]);
    assert.deepEqual(tabs(s), [['c1', 0], ['c2', 0]]);
  });

  test('an assigned frame for an open chat refreshes it; messages are not doubled', () => {
    let s = run([staffWelcome(), assigned(contact(), [message(1)])]);
    s = run([assigned(contact('c1', { text: 'ny text' }), [message(1), message(2)])], s);
    assert.equal(chatOf(s, 'c1').contact.text, 'ny text');
    assert.deepEqual(seqs(s), [1, 2]);
    assert.equal(s.chats.length, 1);
  });

  test('patient messages count as unread when not in view or the page is hidden', () => {
    let s = run([staffWelcome(), assigned(contact('c1')), assigned(contact('c2'))]);
    s = run([message(1, { contact_id: 'c2', sender: 'patient' })], s);
    s = run([message(1, { contact_id: 'c1', sender: 'patient' })], s);
    assert.deepEqual(tabs(s), [['c1', 0], ['c2', 1]]);
    s = run([message(2, { contact_id: 'c1', sender: 'patient' })], s, { hidden: true });
    assert.deepEqual(tabs(s), [['c1', 1], ['c2', 1]]);
    s = activate(s, 'c2');
    assert.deepEqual([s.active, tabs(s)], ['c2', [['c1', 1], ['c2', 0]]]);
  });

  test('a duplicate message by seq is not counted again', () => {
    let s = run([staffWelcome(), assigned(contact('c1')), assigned(contact('c2'))]);
    const m = message(1, { contact_id: 'c2', sender: 'patient' });
    s = run([m, m], s);
    assert.deepEqual(tabs(s), [['c1', 0], ['c2', 1]]);
  });

  test('frames of a chat that is not open are ignored', () => {
    const s = run([staffWelcome()]);
    for (const frame of [message(1, { contact_id: 'zz' }), { type: 'note', contact_id: 'zz', body: 'x' },
      { type: 'closed', contact_id: 'zz', outcome: 'resolved_in_chat' }, { type: 'history', contact_id: 'zz', messages: [message(1)] }]) {
      assert.deepEqual(run([frame], s).chats, []);
    }
  });

  test('a skipped seq asks for that chat\'s gap once; history fills it', () => {
    let s = run([staffWelcome(), assigned(contact(), [message(1)])]);
    s = run([message(3, { sender: 'patient' })], s);
    assert.deepEqual(s.effects, [{ type: 'send', frame: { type: 'sync', contact_id: 'c1', after_seq: 1 } }]);
    s = run([message(4, { sender: 'patient' })], s);
    assert.deepEqual(s.effects, []);
    s = run([{ type: 'history', contact_id: 'c1', messages: [message(2)] }], s);
    assert.deepEqual(seqs(s), [1, 2, 3, 4]);
    assert.equal(chatOf(s, 'c1').log.syncing, false);
  });

  test('the ack stores our reply under our name', () => {
    let s = run([staffWelcome(), assigned()]);
    s = written(s, 'c1', 's1', 'Drick varmt och vila rösten.');
    assert.deepEqual(chatOf(s, 'c1').log.pending, [{ client_id: 's1', body: 'Drick varmt och vila rösten.', sender_name: 'Nina Nurse' }]);
    s = run([{ type: 'ack', client_id: 's1', contact_id: 'c1', seq: 1 }], s);
    assert.deepEqual(unacked(chatOf(s, 'c1').log), []);
    assert.deepEqual(messages(chatOf(s, 'c1').log), [{
      sender: 'staff', sender_name: 'Nina Nurse', sent_at: NOW, client_id: 's1', body: 'Drick varmt och vila rösten.', seq: 1, mine: true,
    }]);
  });

  test("the patient's typing shows until a message or the timeout", () => {
    let s = run([staffWelcome(), assigned(), { type: 'typing', contact_id: 'c1', sender: 'patient' }]);
    assert.equal(chatOf(s, 'c1').typing, true);
    assert.equal(chatOf(typingOver(s, 'c1'), 'c1').typing, false);
    s = run([message(1, { sender: 'patient' })], s);
    assert.equal(chatOf(s, 'c1').typing, false);
    assert.equal(chatOf(run([{ type: 'typing', contact_id: 'c1', sender: 'staff' }], s), 'c1').typing, false);
  });

  test('notes are kept in order', () => {
    const s = run([staffWelcome(), assigned(),
      { type: 'note', contact_id: 'c1', body: 'Misstänkt halsfluss.', author: 'Nina Nurse', at: 1796112000 }]);
    assert.deepEqual(chatOf(s, 'c1').notes, [
      { body: 'Misstänkt halsfluss.', author: 'Nina Nurse', at: 1796112000, kind: 'note', to_queue: null },
    ]);
  });

  test('notes and screen answers travel with the contact and come back with a resync', () => {
    const handover = {
      notes: [
        { kind: 'note', body: 'Feber sedan fredag', author: 'Nina Nurse', at: '2026-12-01T08:00:00.000Z', to_queue: null },
        { kind: 'transfer', body: 'Bedöm halsfluss', author: 'Nina Nurse', at: '2026-12-01T08:05:00.000Z', to_queue: 'hc1:doctor' },
      ],
      screening: [{ id: 'chest_pain_now', answer: false, sv: 'Har du ont i bröstet nu?', en: 'Chest pain now?' }],
    };
    let s = run([staffWelcome(), assigned(contact('c1', { handover }))]);
    assert.deepEqual(chatOf(s, 'c1').notes.map((n) => [n.kind, n.body, n.to_queue]), [
      ['note', 'Feber sedan fredag', null],
      ['transfer', 'Bedöm halsfluss', 'hc1:doctor'],
    ]);
    assert.equal(chatOf(s, 'c1').screening.length, 1);
    // A note written here, then a reload's welcome: the server's list is the truth.
    s = run([{ type: 'note', contact_id: 'c1', body: 'Ny', author: 'Doris Doctor', at: 1 }], s);
    assert.equal(chatOf(s, 'c1').notes.length, 3);
    const stored = { ...handover, notes: [...handover.notes, { kind: 'note', body: 'Ny', author: 'Doris Doctor', at: 'x', to_queue: null }] };
    s = run([staffWelcome({ assigned: [contact('c1', { handover: stored })] })], s);
    assert.deepEqual(chatOf(s, 'c1').notes.map((n) => n.body), ['Feber sedan fredag', 'Bedöm halsfluss', 'Ny']);
  });

  test('presence: the patient socket coming and going is kept per chat', () => {
    let s = run([staffWelcome(), assigned()]);
    assert.equal(chatOf(s, 'c1').presence, null);
    s = run([{ type: 'presence', contact_id: 'c1', patient: 'disconnected', since: '2026-12-01T08:00:00.000Z' }], s);
    assert.deepEqual(chatOf(s, 'c1').presence, { patient: 'disconnected', since: '2026-12-01T08:00:00.000Z' });
    s = run([{ type: 'presence', contact_id: 'c9', patient: 'connected', since: 'x' }], s);
    assert.equal(chatOf(s, 'c9'), null);
  });

  test('waiting for a reply since: the intake, then the first patient message after ours', () => {
    const c = contact('c1', { created_at: '2026-12-01T08:00:00.000Z' });
    let s = run([staffWelcome(), assigned(c)]);
    assert.equal(waitingSince(chatOf(s, 'c1')), '2026-12-01T08:00:00.000Z');
    s = run([message(1, { sender: 'staff', sent_at: '2026-12-01T08:02:00.000Z' })], s);
    assert.equal(waitingSince(chatOf(s, 'c1')), null);
    s = run([message(2, { sender: 'patient', sent_at: '2026-12-01T08:03:00.000Z' }),
      message(3, { sender: 'patient', sent_at: '2026-12-01T08:04:00.000Z' })], s);
    assert.equal(waitingSince(chatOf(s, 'c1')), '2026-12-01T08:03:00.000Z');
    assert.equal(waitingSince(chatOf(written(s, 'c1', 's1', 'Hej'), 'c1')), null);
    assert.equal(minutesSince('2026-12-01T08:03:00.000Z', Date.parse('2026-12-01T08:10:30.000Z')), 7);
    assert.equal(minutesSince('not a time', 0), 0);
    s = run([{ type: 'closed', contact_id: 'c1', outcome: 'patient_left' }], s);
    assert.equal(waitingSince(chatOf(s, 'c1')), null);
  });

  test('our override is confirmed with its reason for the journal', () => {
    let s = overrideSent(run([staffWelcome(), assigned()]), 'c1', 'Svårt att svälja vätska');
    s = run([{ type: 'triage', contact_id: 'c1', level: 'urgent', previous_level: 'standard', tags: ['hals'], by: 'Nina Nurse' }], s);
    const chat = chatOf(s, 'c1');
    assert.equal(chat.contact.triage.level, 'urgent');
    assert.deepEqual(chat.overrides, [{ level: 'urgent', previous_level: 'standard', by: 'Nina Nurse', reason: 'Svårt att svälja vätska' }]);
    assert.equal(chat.pendingReason, '');
    assert.deepEqual(notices(s), [{ key: 'override.done', vars: { level: { key: 'level.urgent' } } }]);
  });

  test('a raise by the patient\'s words puts its reasons first', () => {
    const old = { rule_id: 'R-throat', level: 'standard', matched: ['hals'] };
    const fresh = { rule_id: 'R-chest', level: 'emergency', matched: ['bröstet'] };
    let s = run([staffWelcome(), assigned(contact('c1', { triage: { level: 'standard', tags: [], reasons: [old], red_flag: false } }))]);
    s = run([{ type: 'triage', contact_id: 'c1', level: 'emergency', tags: ['bröstsmärta'], reasons: [fresh, { ...old }] }], s);
    const chat = chatOf(s, 'c1');
    assert.deepEqual(chat.contact.triage.reasons, [fresh, old]);
    assert.deepEqual(chat.contact.triage.tags, ['bröstsmärta']);
    assert.deepEqual(chat.overrides, []);
    assert.deepEqual(notices(s), [{ key: 'override.raised', vars: { level: { key: 'level.emergency' } } }]);
  });

  test('closed ends the chat once with its outcome', () => {
    let s = run([staffWelcome(), assigned(), { type: 'closed', contact_id: 'c1', outcome: 'resolved_in_chat' }]);
    s = run([{ type: 'closed', contact_id: 'c1', outcome: 'patient_left' }], s);
    const chat = chatOf(s, 'c1');
    assert.deepEqual([chat.closed, chat.outcome], [true, 'resolved_in_chat']);
    assert.deepEqual(notices(s), [{ key: 'chats.closed', vars: { outcome: { key: 'outcome.resolved_in_chat' } } }]);
  });

  test('transferred ends the chat here without an outcome', () => {
    const s = run([staffWelcome(), assigned(), { type: 'transferred', contact_id: 'c1', queue: 'hc1:doctor' }]);
    assert.deepEqual([chatOf(s, 'c1').closed, chatOf(s, 'c1').outcome], [true, null]);
    assert.deepEqual(notices(s), [{ key: 'chats.transferred' }]);
  });

  test('an error ends a pending pick and is reported by code', () => {
    const s = run([{ type: 'error', code: 'queue_empty', message: 'nobody is waiting' }], picking(run([staffWelcome()])));
    assert.deepEqual([s.pickPending, s.effects], [false, [{ type: 'error', code: 'queue_empty' }]]);
  });

  test('closing the tab in view brings the first remaining one into view', () => {
    let s = run([staffWelcome(), assigned(contact('c1')), assigned(contact('c2')), assigned(contact('c3'))]);
    s = activate(s, 'c3');
    s = run([message(1, { contact_id: 'c1', sender: 'patient' })], s);
    s = removeChat(s, 'c3');
    assert.deepEqual([s.active, tabs(s)], ['c1', [['c1', 0], ['c2', 0]]]);
    s = removeChat(s, 'c2');
    assert.equal(s.active, 'c1');
    assert.deepEqual(removeChat(s, 'c1').active, null);
    assert.equal(removeChat(s, 'zz'), s);
  });

  test('a banner frame replaces or clears the notice', () => {
    const s = run([{ type: 'banner', banner }]);
    assert.equal(s.banner, banner);
    assert.equal(run([{ type: 'banner', banner: null }], s).banner, null);
  });

  test('applyFrame leaves its input untouched', () => {
    const before = run([staffWelcome({ queues: [queue([waiting('c2')])] }), assigned()]);
    const copy = structuredClone(before);
    run([message(1), { type: 'note', contact_id: 'c1', body: 'x', author: 'N', at: 1 },
      { type: 'queues', queues: [queue([waiting('c3', { level: 'urgent' })])] },
      { type: 'closed', contact_id: 'c1', outcome: 'no_response' }], before);
    assert.deepEqual(before, copy);
  });
});
