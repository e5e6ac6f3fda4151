// "Vem har läst mina uppgifter" (/atkomstlogg): the signed-in patient's access
// log (GET /api/patient/access-log, PDL 8 kap. 5 §): when, who, role, unit and
// what, in words. Without a patient session the page offers the sign-in, which
// comes back here.

import { $, h, replaceChildren } from '../common/dom.js';
import { call } from '../common/http.js';
import { bindLangSwitch, lang, onLangChange, preferredLang, setLang, t } from '../common/i18n.js';

// Audit action → what it means for the patient; other actions read or changed
// something too (access_log.action_other).
const ACTION_TEXT = {
  pick: 'access_log.action_pick',
  sync: 'access_log.action_sync',
  close: 'access_log.action_close',
  transfer: 'access_log.action_transfer',
  triage_override: 'access_log.action_triage_override',
  note: 'access_log.action_note',
  personnummer_read: 'access_log.action_identity',
};
const ROLE_TEXT = {
  nurse: 'admin.role_nurse',
  doctor: 'admin.role_doctor',
  manager: 'admin.role_manager',
  admin: 'admin.role_admin',
};

// null: not loaded yet; 'signed_out' | 'error'; else the entries.
let entries = null;

function when(iso) {
  // The log's times carry microseconds; Date takes milliseconds.
  const d = new Date(String(iso).replace(/(\.\d{3})\d+/, '$1'));
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(lang() === 'en' ? 'en-GB' : 'sv-SE', {
    dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Stockholm',
  });
}

function fact(labelKey, value) {
  return [h('dt', {}, t(labelKey)), h('dd', {}, value)];
}

function entryItem(e) {
  return h('li', { class: 'access-log__item' },
    h('p', { class: 'access-log__when' }, when(e.at)),
    h('dl', { class: 'access-log__facts' },
      fact('access_log.who', e.name || '–'),
      fact('access_log.role', ROLE_TEXT[e.role] ? t(ROLE_TEXT[e.role]) : '–'),
      fact('access_log.unit', e.unit_name || t('access_log.unit_unknown')),
      fact('access_log.what', t(ACTION_TEXT[e.action] || 'access_log.action_other'))));
}

function render() {
  const status = $('#access-log-status');
  const list = $('#access-log-list');
  $('#access-log-signin').hidden = entries !== 'signed_out';
  $('#access-log-error').hidden = entries !== 'error';
  const loaded = Array.isArray(entries);
  list.hidden = !loaded || entries.length === 0;
  replaceChildren(list, loaded ? entries.map(entryItem) : []);
  if (entries === null) status.textContent = t('common.loading');
  else if (!loaded) status.textContent = '';
  else if (entries.length === 0) status.textContent = t('access_log.empty');
  else status.textContent = t('access_log.count', { count: entries.length });
  status.hidden = !status.textContent;
}

async function main() {
  await setLang(preferredLang());
  bindLangSwitch($('#lang-switch'));
  onLangChange(render);
  render();
  const r = await call('GET', '/api/patient/access-log');
  if (r.status === 200 && Array.isArray(r.data.entries)) entries = r.data.entries;
  else if (r.status === 401 || r.status === 404) entries = 'signed_out';
  else entries = 'error';
  render();
}

main();
