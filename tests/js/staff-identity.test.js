// The nurse sees who it is: an identified contact's fields through the staff
// state (the audited "Visa personnummer" read), and the journal note's first
// line (docs/identity.md, "What staff see").

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { formatPersonnummer, identityMethod } from '../../webclient/staff/identity.js';
import { journalNote } from '../../webclient/staff/journal.js';
import {
  applyFrame,
  chatOf,
  identityFailed,
  identityRequested,
  identityShown,
  initialState,
  signedIn,
} from '../../webclient/staff/state.js';
import { contact, NOW, nurse, queue, staffWelcome, waiting } from './frames.js';

const PNR = '198112189876';
const identified = (fields = {}) =>
  contact('c1', { identified: true, identity_method: 'bankid', personnummer: PNR, age: 44, reported_age: 40, ...fields });
const anonymous = () => contact('c2', { identified: false });

function run(frames, state = signedIn(initialState(), nurse)) {
  return frames.reduce((s, f) => applyFrame(s, f, { now: NOW, hidden: false }), state);
}

const assigned = (c) => ({ type: 'assigned', contact: c, messages: [] });

describe('staff identity', () => {
  test('formatPersonnummer: YYYYMMDD-NNNN from the 12 digits only', () => {
    assert.equal(formatPersonnummer(PNR), '19811218-9876');
    assert.equal(formatPersonnummer('19811218-9876'), '19811218-9876');
    assert.equal(formatPersonnummer(null), '');
  });

  test('identityMethod: bankid and freja as they are, anything else e-legitimation', () => {
    assert.deepEqual(['bankid', 'freja', 'eid', 'oidc', undefined, 'toString'].map(identityMethod),
      ['bankid', 'freja', 'eid', 'eid', 'eid', 'eid']);
  });

  test('the contact keeps its identity; the number waits for the click', () => {
    const s = run([staffWelcome(), assigned(identified()), assigned(anonymous())]);
    const chat = chatOf(s, 'c1');
    assert.equal(chat.contact.identified, true);
    assert.equal(chat.contact.age, 44);
    assert.equal(chat.personnummer, null);
    assert.equal(chat.identityPending, false);
    assert.equal(chatOf(s, 'c2').contact.identified, false);
  });

  test('Visa personnummer: pending, then shown; a failure brings the button back', () => {
    const s0 = run([staffWelcome(), assigned(identified({ personnummer: null }))]);
    const pending = identityRequested(s0, 'c1');
    assert.equal(chatOf(pending, 'c1').identityPending, true);
    const shown = identityShown(pending, 'c1', {
      identified: true, identity_method: 'freja', personnummer: PNR, name: 'Anna Andersson', age: 44,
    });
    const chat = chatOf(shown, 'c1');
    assert.deepEqual([chat.identityPending, chat.personnummer], [false, PNR]);
    assert.equal(chat.contact.identity_method, 'freja');
    assert.equal(chat.contact.personnummer, PNR); // withheld in the frame, read on request
    assert.equal(chatOf(identityFailed(pending, 'c1'), 'c1').identityPending, false);
    assert.equal(identityFailed(s0, 'c1'), s0);
    assert.equal(identityShown(s0, 'zz', { identified: false }), s0);
  });

  test('an anonymous answer clears the identity', () => {
    const s = identityShown(run([staffWelcome(), assigned(identified())]), 'c1', { identified: false });
    assert.deepEqual([chatOf(s, 'c1').contact.identified, chatOf(s, 'c1').personnummer], [false, null]);
  });

  test('the reducers leave their input untouched', () => {
    const before = run([staffWelcome(), assigned(identified())]);
    const copy = structuredClone(before);
    identityFailed(identityShown(identityRequested(before, 'c1'), 'c1', { identified: true, personnummer: PNR }), 'c1');
    assert.deepEqual(before, copy);
  });

  test('queue rows carry the flag through unchanged', () => {
    const q = queue([waiting('c5', { identified: true }), waiting('c6', { identified: false, position: 2 })]);
    const s = run([staffWelcome({ queues: [q] })]);
    assert.deepEqual(s.queues.list[0].contacts.map((c) => c.identified), [true, false]);
  });

  test('a photo is named in the journal draft, with its caption', () => {
    const at = '2026-12-02T10:00:00.000Z';
    const photo = { sender: 'patient', sent_at: at, body: 'Utslaget', attachment: { id: 'a1' } };
    const bare = { sender: 'patient', sent_at: at, body: '', attachment: { id: 'a2' } };
    const lines = journalNote(identified(), [photo, bare], []).split('\n');
    assert.ok(lines.some((l) => l.endsWith('Patient: [Bild] Utslaget')));
    assert.ok(lines.some((l) => l.endsWith('Patient: [Bild]')));
  });

  test('the journal note starts with the personnummer of an identified patient', () => {
    const lines = journalNote(identified(), [], []).split('\n');
    assert.equal(lines[0], '19811218-9876 – identifierad med BankID');
    assert.match(lines[1], /^Chattkontakt .* – Petra, 44 år$/);
    assert.equal(journalNote(identified({ identity_method: 'oidc' }), [], []).split('\n')[0],
      '19811218-9876 – identifierad med e-legitimation');
    assert.equal(journalNote(identified({ personnummer: null }), [], []).split('\n')[0],
      'Identifierad med BankID (personnummer ej hämtat)');
  });

  test('the journal note of an anonymous patient says so first', () => {
    assert.equal(journalNote(anonymous(), [], []).split('\n')[0], 'Anonym kontakt');
    assert.equal(journalNote(contact('c3'), [], []).split('\n')[0], 'Anonym kontakt');
  });
});
