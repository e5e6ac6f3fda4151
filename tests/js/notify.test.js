// Notifications while away, the pure parts: the staff page's attention count
// and preferences, the patient's SMS offer, the VAPID key's bytes and the
// service worker's notification for each push type.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import vm from 'node:vm';

const sv = JSON.parse(readFileSync(new URL('../../webclient/i18n/sv.json', import.meta.url), 'utf8'));

// Browser globals the modules touch at import time.
globalThis.document ??= { title: '', addEventListener() {} };
globalThis.window ??= { addEventListener() {} };

const { attention, badgeTitle, readPrefs, DEFAULT_PREFS } = await import('../../webclient/staff/notify.js');
const { resultKey, smsOffered } = await import('../../webclient/patient/notify.js');
const { keyBytes, pushSupported } = await import('../../webclient/common/push.js');

function serviceWorker() {
  const sandbox = { module: { exports: {} } };
  vm.runInNewContext(readFileSync(new URL('../../webclient/sw.js', import.meta.url), 'utf8'), sandbox);
  return sandbox.module.exports;
}

const queues = (primed, ...ids) => ({ primed, seen: Object.fromEntries(ids.map((id) => [id, true])) });

test('a patient message counts only in a background chat or hidden page', () => {
  const before = { active: 'c1', queues: queues(true) };
  const msg = (id, sender = 'patient') => ({ type: 'message', contact_id: id, sender });
  assert.deepEqual(attention(before, before, msg('c2'), false), { messages: 1, arrivals: 0 });
  assert.deepEqual(attention(before, before, msg('c1'), false), { messages: 0, arrivals: 0 });
  assert.deepEqual(attention(before, before, msg('c1'), true), { messages: 1, arrivals: 0 });
  assert.deepEqual(attention(before, before, msg('c2', 'staff'), true), { messages: 0, arrivals: 0 });
});

test('new contacts in the queues are arrivals, those at sign-in are not', () => {
  const frame = { type: 'queues' };
  const after = { queues: queues(true, 'a', 'b', 'c') };
  assert.equal(attention({ active: null, queues: queues(true, 'a') }, after, frame, false).arrivals, 2);
  assert.equal(attention({ active: null, queues: queues(false) }, after, frame, false).arrivals, 0);
});

test('the title carries the count only when there is one', () => {
  assert.equal(badgeTitle('Chattmottagning', 3), '(3) Chattmottagning');
  assert.equal(badgeTitle('Chattmottagning', 0), 'Chattmottagning');
});

test('preferences keep booleans and fall back to the defaults', () => {
  assert.deepEqual(readPrefs(null), DEFAULT_PREFS);
  assert.deepEqual(readPrefs('not json'), DEFAULT_PREFS);
  assert.deepEqual(readPrefs('{"badge":false,"soundArrivals":"yes","soundMessages":true}'), {
    badge: false,
    soundMessages: true,
    soundArrivals: false,
  });
});

test('the SMS field is offered where a listed unit sends SMS', () => {
  assert.equal(smsOffered([{ id: 'a', sms: false }, { id: 'b', sms: true }]), true);
  assert.equal(smsOffered([{ id: 'a' }]), false);
  assert.equal(smsOffered(undefined), false);
  assert.equal(resultKey('denied'), 'notify.denied');
  assert.equal(resultKey('whatever'), 'notify.error');
});

test('the VAPID key decodes from base64url', () => {
  assert.deepEqual([...keyBytes('BAEC_-8')], [4, 1, 2, 255, 239]);
  assert.equal(pushSupported({ navigator: {} }), false);
});

test('the service worker words each push type from the texts, and nothing else', () => {
  const { noticeFor, noticeLang } = serviceWorker();
  for (const type of ['picked', 'message', 'closed', 'red_flag']) {
    const notice = noticeFor({ type, url: '/' }, sv);
    assert.equal(notice.title, sv[`notify.push.${type}_title`]);
    assert.equal(notice.options.body, sv[`notify.push.${type}_body`]);
  }
  assert.equal(noticeFor({ type: 'red_flag', url: '/staff' }, sv).options.requireInteraction, true);
  assert.equal(noticeFor({ type: 'other' }, sv), null);
  assert.equal(noticeFor(null, sv), null);
  // A link elsewhere never leaves the site.
  assert.equal(noticeFor({ type: 'picked', url: '//evil.example/' }, sv).options.data.url, '/');
  assert.equal(noticeFor({ type: 'picked', url: 'https://evil.example/' }, sv).options.data.url, '/');
  assert.equal(noticeLang(['en-GB', 'sv']), 'en');
  assert.equal(noticeLang(['de']), 'sv');
});
