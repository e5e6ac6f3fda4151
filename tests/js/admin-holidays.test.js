// The admin page's public holidays (webclient/admin/holidays.js), without a
// browser: the list's lines in both languages and the state text of a unit.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { holidayDate, holidayLines, holidayState } from '../../webclient/admin/holidays.js';

const texts = (lang) => JSON.parse(readFileSync(new URL(`../../webclient/i18n/${lang}.json`, import.meta.url)));

describe('admin public holidays', () => {
  test('a date is shown with its own weekday whatever the time zone', () => {
    assert.equal(holidayDate('2026-12-24', 'en'), 'Thu, 24 Dec 2026');
    assert.match(holidayDate('2026-12-24', 'sv'), /^tors 24 dec\.? 2026$/);
    assert.match(holidayDate('2027-01-06', 'sv'), /^ons 6 jan\.? 2027$/);
  });

  test('the next holidays become one line each, in the order given', () => {
    const next = [
      { date: '2026-12-24', name: 'Julafton' },
      { date: '2026-12-25', name: 'Juldagen' },
    ];
    assert.deepEqual(holidayLines(next, 'en'), ['Thu, 24 Dec 2026: Julafton', 'Fri, 25 Dec 2026: Juldagen']);
    assert.deepEqual(holidayLines(undefined, 'sv'), []);
  });

  test('the state text follows the flag; an always-open unit says holidays do not apply', () => {
    assert.equal(holidayState({ public_holidays: true, always_open: false }), 'holidays.state_closed');
    assert.equal(holidayState({ public_holidays: false, always_open: false }), 'holidays.state_open');
    assert.equal(holidayState({ public_holidays: true, always_open: true }), 'holidays.state_always_open');
  });

  test('every state key has Swedish and English text', () => {
    for (const lang of ['sv', 'en']) {
      for (const key of ['holidays.state_closed', 'holidays.state_open', 'holidays.state_always_open']) {
        assert.ok(texts(lang)[key], `${lang} ${key}`);
      }
    }
  });
});
