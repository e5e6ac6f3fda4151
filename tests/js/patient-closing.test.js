// Issue 17 on the patient's and manager's side, the pure parts: the language a
// page opens in, the end of the chat (outcome kept in the state, its heading
// and text), the transcript the patient keeps, and the manager's numbers.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, describe, test } from 'node:test';

import { chooseLang, loadBilingual, setLang, t, translate } from '../../webclient/common/i18n.js';
import { addNotice, addMessage, emptyLog } from '../../webclient/common/message-log.js';
import { transcriptFileName, transcriptText } from '../../webclient/common/transcript-export.js';
import { isSeconds, minutesText, shareText } from '../../webclient/manager/format.js';
import { closingBody, closingHeadingKey } from '../../webclient/patient/closing.js';
import { applyFrame, initialState } from '../../webclient/patient/state.js';
import { message, NOW, patientWelcome } from './frames.js';

const I18N = new URL('../../webclient/i18n/', import.meta.url);
const OUTCOMES = [
  'resolved_in_chat',
  'physical_visit_booked',
  'video_visit_booked',
  'phone_callback',
  'referred_emergency',
  'referred_other_unit',
  'patient_left',
  'no_response',
];

before(async () => {
  globalThis.fetch = async (url) => {
    const name = String(url).replace('/static/i18n/', '');
    return new Response(await readFile(new URL(name, I18N)), { status: 200 });
  };
  // setLang touches the document and the stored choice: the smallest stand-ins.
  globalThis.document = { documentElement: {}, querySelectorAll: () => [] };
  const store = new Map();
  globalThis.localStorage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) };
  await loadBilingual();
});

describe('the language a page opens in', () => {
  test('a remembered choice wins over the browser', () => {
    assert.equal(chooseLang('sv', ['en-GB', 'en']), 'sv');
    assert.equal(chooseLang('en', ['sv-SE']), 'en');
  });

  test('otherwise the first of the browser languages we have, by its base language', () => {
    assert.equal(chooseLang(null, ['en-US', 'sv']), 'en');
    assert.equal(chooseLang(null, ['de-DE', 'fi', 'SV-fi', 'en']), 'sv');
    assert.equal(chooseLang(null, ['nb', 'EN']), 'en');
  });

  test('Swedish when nothing fits, and an unknown stored value is ignored', () => {
    assert.equal(chooseLang(null, ['de', 'fr-CA']), 'sv');
    assert.equal(chooseLang(null, []), 'sv');
    assert.equal(chooseLang(null, undefined), 'sv');
    assert.equal(chooseLang('fr', ['en']), 'en');
  });

  test('opening in a language does not remember it; the switch does', async () => {
    await setLang('en');
    assert.equal(localStorage.getItem('chat.lang'), null);
    await setLang('en', { remember: true });
    assert.equal(localStorage.getItem('chat.lang'), 'en');
    await setLang('sv');
  });
});

describe('the end of the chat', () => {
  const session = { token: 'tok', contact_id: 'c1', name: 'Petra', pending: [] };

  test('the closed frame keeps its outcome; a closed welcome after a reload too', () => {
    const live = applyFrame(applyFrame(initialState(session), patientWelcome(), { now: NOW }), {
      type: 'closed', contact_id: 'c1', outcome: 'physical_visit_booked',
    });
    assert.deepEqual([live.status, live.outcome], ['closed', 'physical_visit_booked']);
    const again = applyFrame(live, { type: 'closed', contact_id: 'c1', outcome: 'no_response' });
    assert.equal(again.outcome, 'physical_visit_booked');
    const reloaded = applyFrame(initialState(session), patientWelcome({ status: 'closed', outcome: 'phone_callback' }));
    assert.deepEqual([reloaded.status, reloaded.outcome], ['closed', 'phone_callback']);
    assert.equal(initialState(session).outcome, null);
  });

  test('every outcome has its own heading for the patient, in both languages', async () => {
    const headings = OUTCOMES.map(closingHeadingKey);
    assert.equal(new Set(headings).size, OUTCOMES.length);
    for (const code of ['sv', 'en']) {
      await setLang(code);
      for (const key of headings) assert.notEqual(t(key), key);
    }
    await setLang('sv');
    assert.equal(closingHeadingKey('physical_visit_booked'), 'outcome.patient_physical_visit_booked');
    assert.equal(closingHeadingKey('something_new'), 'outcome.patient_closed');
    assert.equal(closingHeadingKey(null), 'outcome.patient_closed');
    assert.equal(closingHeadingKey('toString'), 'outcome.patient_closed');
  });

  test('the text in the page language, Swedish when English is missing, else the general text', () => {
    const texts = { sv: 'Besök på Storgatan 1.', en: 'Visit at Storgatan 1.' };
    assert.deepEqual(closingBody(texts, 'en'), { text: 'Visit at Storgatan 1.' });
    assert.deepEqual(closingBody({ sv: 'Bara svenska.', en: '' }, 'en'), { text: 'Bara svenska.' });
    assert.deepEqual(closingBody(null, 'sv'), { key: 'outcome.patient_fallback' });
  });
});

describe('the transcript the patient keeps', () => {
  test('every message with time and sender, notices, the outcome and a footer', () => {
    let log = emptyLog('patient');
    log = addMessage(log, message(1, { sender: 'patient', sender_name: 'Petra', body: 'Ont i halsen.\nSedan i måndags.' }));
    log = addNotice(log, { key: 'chat.joined', vars: { name: 'Nina Nurse' } });
    log = addMessage(log, message(2, { body: 'Hej Petra!' }));
    const who = (m) => (m.sender === 'patient' ? 'Du' : m.sender_name);
    const text = transcriptText(log, {
      who,
      t,
      translate,
      lang: 'sv',
      unit: 'Hälsocentralen Ett',
      closing: { heading: 'Vården ringer upp dig', text: 'Vi ringer inom två timmar.' },
      now: NOW,
    });
    const time = (iso) => new Date(iso).toLocaleTimeString('sv-SE', { hour: '2-digit', minute: '2-digit' });
    assert.equal(text, [
      'Chatt med vården',
      `Kopia gjord ${new Date(NOW).toLocaleString('sv-SE', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Stockholm' })}`,
      'Hälsocentralen Ett',
      '',
      `[${time(message(1).sent_at)}] Du: Ont i halsen.\n    Sedan i måndags.`,
      '— Nina Nurse har anslutit till chatten.',
      `[${time(message(2).sent_at)}] Nina Nurse: Hej Petra!`,
      '',
      'Vården ringer upp dig',
      'Vi ringer inom två timmar.',
      '',
      t('patient.transcript_footer'),
      '',
    ].join('\n'));
  });

  test('the file is named by the Stockholm day it was made', () => {
    assert.equal(transcriptFileName('2026-12-01T22:30:00.000Z'), 'chatt-2026-12-01.txt');
    assert.equal(transcriptFileName('2026-12-01T23:30:00.000Z'), 'chatt-2026-12-02.txt');
  });
});

describe('the manager page numbers', () => {
  test('seconds are shown as minutes with one decimal', () => {
    assert.equal(isSeconds('median_s'), true);
    assert.equal(isSeconds('oldest_wait_s'), true);
    assert.equal(isSeconds('mean'), false);
    assert.equal(isSeconds(3), false);
    assert.equal(minutesText(150, 'en'), '2.5');
    assert.equal(minutesText(150, 'sv'), '2,5');
    assert.equal(minutesText(0, 'sv'), '0,0');
    assert.equal(minutesText(null, 'en'), '0.0');
  });

  test('a share is a percentage; no share (no visit counts) is null, never 100 %', () => {
    assert.equal(shareText(0.25, 'en'), '25 %');
    assert.equal(shareText(1 / 3, 'sv'), '33,3 %');
    assert.equal(shareText(null, 'sv'), null);
    assert.equal(shareText(undefined, 'en'), null);
  });
});
