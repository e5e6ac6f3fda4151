// The log review's pure parts (webclient/audit/format.js, actions.js) without a
// browser: Swedish local time to the second, and the action filter's list.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { ACTION_GROUPS, ACTIONS, actionKey, groupKey } from '../../webclient/audit/actions.js';
import { localTime } from '../../webclient/audit/format.js';

const texts = (lang) => JSON.parse(readFileSync(new URL(`../../webclient/i18n/${lang}.json`, import.meta.url)));

describe('audit page times', () => {
  test('UTC with microseconds becomes Stockholm time to the second', () => {
    assert.equal(localTime('2026-12-02T13:05:31.123456Z'), '2026-12-02 14:05:31');
    assert.equal(localTime('2026-12-02T13:05:31.999999Z'), '2026-12-02 14:05:31');
  });

  test('summer time, the day boundary and the switch to summer time', () => {
    assert.equal(localTime('2026-07-01T22:00:00.000001Z'), '2026-07-02 00:00:00');
    assert.equal(localTime('2026-03-29T00:59:59Z'), '2026-03-29 01:59:59');
    assert.equal(localTime('2026-03-29T01:00:00Z'), '2026-03-29 03:00:00');
    assert.equal(localTime('2026-12-31T23:00:00.000000Z'), '2027-01-01 00:00:00');
  });

  test('anything that is not a time is shown as given; no value is empty', () => {
    assert.equal(localTime('not a time'), 'not a time');
    assert.equal(localTime(null), '');
    assert.equal(localTime(undefined), '');
  });
});

describe('audit page action filter', () => {
  test('every action once, each action and group with words in both languages', () => {
    assert.equal(new Set(ACTIONS).size, ACTIONS.length);
    assert.ok(ACTIONS.includes('fhir_export'));
    for (const lang of ['sv', 'en']) {
      const dict = texts(lang);
      assert.deepEqual(ACTIONS.filter((a) => !dict[actionKey(a)]), [], lang);
      assert.deepEqual(ACTION_GROUPS.map(([g]) => g).filter((g) => !dict[groupKey(g)]), [], lang);
    }
  });
});
