// The staff dashboard's keyboard shortcuts (webclient/staff/shortcuts.js) and
// the sign-in hint that keeps a signed-out visit from asking /api/staff/me.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { hasSignInHint } from '../../webclient/common/signin-hint.js';
import { shortcutOf } from '../../webclient/staff/shortcuts.js';

const key = (k, extra = {}) => ({ key: k, code: '', altKey: false, ctrlKey: false, metaKey: false, target: { tagName: 'BODY' }, ...extra });

describe('staff shortcuts', () => {
  test('? opens the help, but not while typing text', () => {
    assert.deepEqual(shortcutOf(key('?')), { type: 'help' });
    assert.equal(shortcutOf(key('?', { target: { tagName: 'TEXTAREA' } })), null);
    assert.equal(shortcutOf(key('?', { target: { tagName: 'INPUT', type: 'text' } })), null);
    assert.deepEqual(shortcutOf(key('?', { target: { tagName: 'INPUT', type: 'checkbox' } })), { type: 'help' });
    assert.equal(shortcutOf(key('?', { ctrlKey: true })), null);
    assert.equal(shortcutOf(key('a')), null);
  });

  test('Alt+N takes the next, Alt+1..9 a chat, Alt+J the journal, by key position', () => {
    assert.deepEqual(shortcutOf(key('˜', { altKey: true, code: 'KeyN' })), { type: 'next' });
    assert.deepEqual(shortcutOf(key('j', { altKey: true, code: 'KeyJ' })), { type: 'journal' });
    assert.deepEqual(shortcutOf(key('3', { altKey: true, code: 'Digit3' })), { type: 'chat', index: 2 });
    assert.equal(shortcutOf(key('0', { altKey: true, code: 'Digit0' })), null);
    assert.equal(shortcutOf(key('x', { altKey: true, code: 'KeyX' })), null);
  });
});

describe('sign-in hint', () => {
  test('only the exact hint cookie counts', () => {
    assert.equal(hasSignInHint('staff_signed_in=1'), true);
    assert.equal(hasSignInHint('a=b; staff_signed_in=1; c=d'), true);
    assert.equal(hasSignInHint(''), false);
    assert.equal(hasSignInHint('staff_signed_in=0; xstaff_signed_in=1'), false);
  });
});

describe('journal note', () => {
  test('carries the handover: transfer notes, the screen answers and the triage words', async () => {
    const { journalNote } = await import('../../webclient/staff/journal.js');
    const contact = {
      name: 'Petra', age: 40, text: 'Ont i bröstet', created_at: '2026-12-01T08:00:00.000Z', identified: false,
      triage: { level: 'urgent', tags: [], reasons: [{ rule_id: 'R1', level: 'urgent', matched: ['ont i bröstet'] }] },
    };
    const notes = [
      { kind: 'note', body: 'Feber', author: 'Nina Nurse' },
      { kind: 'transfer', body: 'Bedöm EKG', author: 'Nina Nurse' },
    ];
    const screening = [
      { id: 'chest_pain_now', answer: true, sv: 'Har du ont i bröstet just nu?' },
      { id: 'stroke_signs', answer: false, sv: 'Sned mun?' },
    ];
    const text = journalNote(contact, [], notes, { screening });
    assert.match(text, /^Triageord: ont i bröstet$/m);
    assert.match(text, /^Akutfrågor vid start: ja på Har du ont i bröstet just nu\?, nej på 1$/m);
    assert.match(text, /^- Nina Nurse: Feber$/m);
    assert.match(text, /^- Nina Nurse \(överlämning\): Bedöm EKG$/m);
    assert.doesNotMatch(journalNote(contact, [], [], {}), /Akutfrågor/);
  });
});
