// The translation system's pure parts against the real dictionaries
// (webclient/i18n/*.json, served to the module through a stubbed fetch).

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, describe, test } from 'node:test';

import { both, bothTexts, format, has, loadBilingual, t, textIn, translate } from '../../webclient/common/i18n.js';

const I18N = new URL('../../webclient/i18n/', import.meta.url);

before(async () => {
  globalThis.fetch = async (url) => {
    const name = String(url).replace('/static/i18n/', '');
    return new Response(await readFile(new URL(name, I18N)), { status: 200 });
  };
  await loadBilingual();
});

describe('i18n', () => {
  test('format fills known placeholders and leaves others', () => {
    assert.equal(format('{name} har anslutit {x}', { name: 'Nina' }), 'Nina har anslutit {x}');
    assert.equal(format('{n} av {n}', { n: 0 }), '0 av 0');
  });

  test('t is Swedish until the language is switched; a missing key shows itself', () => {
    assert.equal(t('chat.joined', { name: 'Nina Nurse' }), 'Nina Nurse har anslutit till chatten.');
    assert.equal(t('no.such_key'), 'no.such_key');
    assert.equal(has('chat.joined'), true);
    assert.equal(has('no.such_key'), false);
    assert.equal(textIn('en', 'chat.joined', { name: 'Nina Nurse' }), 'Nina Nurse has joined the chat.');
  });

  test('translate: descriptions from the state, nested and literal', () => {
    assert.equal(translate({ key: 'chats.closed', vars: { outcome: { key: 'outcome.resolved_in_chat' } } }),
      'Chatten är avslutad: Löst i chatten.');
    assert.equal(translate({ key: 'chat.joined', vars: { name: { key: 'chat.staff' } } }),
      'Vårdpersonal har anslutit till chatten.');
    assert.equal(translate({ text: 'Ring 112 nu.' }), 'Ring 112 nu.');
    assert.equal(translate({ key: 'chat.transferred' }), t('chat.transferred'));
  });

  test('bilingual texts: labels in parentheses, sentences side by side, one word once', () => {
    assert.equal(both('audit.search'), 'Sök (Search)');
    assert.equal(both('audit.denied_text'),
      'Loggkontrollen är till för administratörer. The audit log review is for administrators.');
    assert.deepEqual(bothTexts('audit.col_seq'), { sv: 'Nr', en: '', sentence: false });
    assert.equal(both('audit.col_seq'), 'Nr');
    assert.equal(`${both('audit.search_result')}: 1 ${both('audit.events')}`, 'Sökresultat (search): 1 händelser (events)');
  });
});
