// The patient page's sign-in decisions (webclient/patient/identity.js), without a browser.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { firstName, identificationRequired } from '../../webclient/patient/identity.js';

const optional = { id: 'hc1', identification: 'optional' };
const required = { id: 'req1', identification: 'required' };
const none = { id: 'hc2', identification: 'none' };

describe('patient identification', () => {
  test('the chosen unit decides whether anonymous chat is offered', () => {
    assert.equal(identificationRequired(required, [optional, required]), true);
    assert.equal(identificationRequired(optional, [optional, required]), false);
    assert.equal(identificationRequired(none, [none]), false);
    // A server without the field (older version): optional.
    assert.equal(identificationRequired({ id: 'x' }, [{ id: 'x' }]), false);
  });

  test('before a unit is chosen, only when every listed unit requires it', () => {
    assert.equal(identificationRequired(null, [required, { ...required, id: 'req2' }]), true);
    assert.equal(identificationRequired(null, [optional, required]), false);
    assert.equal(identificationRequired(null, []), false);
  });

  test('the first name of a name from the broker fills the intake', () => {
    assert.equal(firstName('Anna Maria Andersson'), 'Anna');
    assert.equal(firstName('  Bertil\tBerg '), 'Bertil');
    assert.equal(firstName(''), '');
    assert.equal(firstName(undefined), '');
  });
});
