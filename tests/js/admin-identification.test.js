// The admin page's per-unit patient identification (webclient/admin/identification.js),
// without a browser: what the select shows, what is sent, and the server's refusal.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import {
  IDENTIFICATION_CHOICES,
  IDENTIFICATION_KEYS,
  identificationBody,
  identificationChoice,
  identificationKey,
  identificationRefused,
} from '../../webclient/admin/identification.js';

const texts = (lang) => JSON.parse(readFileSync(new URL(`../../webclient/i18n/${lang}.json`, import.meta.url)));

describe('admin unit identification', () => {
  test('the unit value from the API selects its choice; null and anything else is "default"', () => {
    assert.equal(identificationChoice('optional'), 'optional');
    assert.equal(identificationChoice('required'), 'required');
    for (const value of [null, undefined, '', 'none', 'toString', 'REQUIRED']) {
      assert.equal(identificationChoice(value), 'default');
    }
  });

  test('the choice is sent as the API takes it: default is null (the global setting)', () => {
    assert.equal(identificationBody('optional'), 'optional');
    assert.equal(identificationBody('required'), 'required');
    assert.equal(identificationBody('default'), null);
    assert.equal(identificationBody(''), null);
    assert.deepEqual(IDENTIFICATION_CHOICES.map(identificationBody), [null, 'optional', 'required']);
  });

  test('each choice has its words in both languages; the list shows the same words', () => {
    assert.deepEqual(Object.keys(IDENTIFICATION_KEYS), IDENTIFICATION_CHOICES);
    assert.equal(identificationKey(null), 'admin.identification_default');
    assert.equal(identificationKey('required'), 'admin.identification_required');
    const sv = texts('sv');
    const en = texts('en');
    assert.deepEqual(IDENTIFICATION_CHOICES.map((c) => sv[IDENTIFICATION_KEYS[c]]), [
      'Enligt tjänstens inställning',
      'Frivillig',
      'Krävs',
    ]);
    for (const key of Object.values(IDENTIFICATION_KEYS)) assert.ok(en[key], key);
  });

  test('only a 422 invalid_field naming identification is the refusal', () => {
    const refusal = {
      status: 422,
      data: { error: { code: 'invalid_field', message: 'x', fields: { identification: 'needs CHATSERVER_PATIENT_OIDC_ISSUER' } } },
    };
    assert.equal(identificationRefused(refusal), true);
    assert.equal(identificationRefused({ status: 422, data: { error: { code: 'invalid_field', fields: { name: 'x' } } } }), false);
    assert.equal(identificationRefused({ status: 422, data: { error: { code: 'invalid_field' } } }), false);
    assert.equal(identificationRefused({ status: 409, data: { error: { code: 'already_exists' } } }), false);
    assert.equal(identificationRefused({ status: 0, data: null }), false);
    assert.equal(identificationRefused(null), false);
  });
});
