// Manager dashboard: sign-in (common/signin.js), filters, then every statistics
// table with its server-rendered SVG chart beside it and a CSV link each, and
// the triage-safety figures (GET /api/stats/triage-safety) for the same filters.

import { $, h, replaceChildren, showView } from '../common/dom.js';
import { call } from '../common/http.js';
import { bindLangSwitch, has, lang, onLangChange, preferredLang, setLang, t } from '../common/i18n.js';
import { wireSignIn } from '../common/signin.js';
import { isSeconds, minutesText, shareText } from './format.js';
import { NowView } from './now.js';

let user = null;
let lastTables = null;
let nowView = null; // "Just nu" (now.js), read every few seconds while signed in
// Triage safety of the current filters: null before the first load, else
// {status: 'loading' | 'ok' | 'failed', data}. Its section node is kept across
// renders so it can be refreshed on its own.
let safety = null;
let safetyLoad = 0;
const safetySection = h('section', { id: 'triage-safety', class: 'stat-section card', 'aria-labelledby': 'h-triage-safety' });

// Section order; each names its table and the charts shown beside it.
const SECTIONS = [
  { table: 'channel_shift', title: 'manager.sec_channel', note: 'manager.sec_channel_note', charts: ['chat-share', 'shifted'] },
  { table: 'summary', title: 'manager.sec_summary', charts: [] },
  { table: 'durations', title: 'manager.sec_durations', charts: [] },
  { table: 'outcomes', title: 'manager.sec_outcomes', charts: ['outcomes'] },
  { table: 'triage_levels', title: 'manager.sec_triage', charts: ['triage-levels'] },
  { table: 'triage_overrides', title: 'manager.sec_overrides', charts: [] },
  { table: 'busiest_hours', title: 'manager.sec_hours', charts: ['busiest-hours'] },
  { table: 'concurrency', title: 'manager.sec_concurrency', charts: [] },
];
const PERCENT_KEYS = new Set(['chat_share', 'abandonment_rate', 'satisfaction_response_rate', 'model_false_alarm_rate']);

// Triage-safety figures in three groups; each figure has a label
// (manager.ts_KEY) and a one-line explanation (manager.ts_KEY_hint).
const SAFETY_GROUPS = [
  { title: 'manager.ts_group_screen', figures: ['screens_answered', 'screens_yes', 'screens_yes_continued'] },
  { title: 'manager.ts_group_followup', figures: ['followups_asked', 'followups_yes'] },
  { title: 'manager.ts_group_model', figures: ['model_raised', 'model_raised_overridden_down', 'model_false_alarm_rate'] },
];

/** A column or row name of a statistics table in words (the name itself when unknown). */
function term(name) {
  return has(`stats.${name}`) ? t(`stats.${name}`) : String(name);
}

function isoDate(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

async function main() {
  // setLang() relabels the data-i18n elements; what the script made follows here.
  onLangChange(() => {
    if (lastTables) renderReport(lastTables);
    renderSafety();
    nowView?.render();
  });
  bindLangSwitch($('#lang-switch'));
  $('#filters').addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  $('#f-unit').addEventListener('change', fillQueues);
  await setLang(preferredLang());
  const signin = wireSignIn({ view: $('#view-login'), logout: $('#logout'), onSignedIn: start, onSignedOut: signedOut });
  await signin.start();
}

function signedOut() {
  user = null;
  nowView?.stop();
  $('#user-name').hidden = true;
  lastTables = null;
  safety = null;
  safetyLoad += 1; // a request still under way no longer applies
  replaceChildren(safetySection);
  replaceChildren($('#report'));
}

let units = [];

async function start(session) {
  user = session.user;
  const name = $('#user-name');
  name.textContent = user.display_name;
  name.hidden = false;
  $('#logout').hidden = false;
  if (!['manager', 'admin'].includes(user.role)) {
    showView('view-denied');
    $('#denied-heading').focus();
    return;
  }
  const r = await call('GET', '/api/stats/units');
  units = r.status === 200 ? r.data.units : [];
  const select = $('#f-unit');
  replaceChildren(select,
    h('option', { value: '', 'data-i18n': 'manager.all_units' }, t('manager.all_units')),
    units.map((u) => h('option', { value: u.id }, u.name)));
  if (units.length === 1) select.value = units[0].id;
  fillQueues();
  const today = new Date();
  const from = new Date(today);
  from.setDate(from.getDate() - 7 * 12); // twelve weeks: a quarter of weekly trends
  $('#f-from').value = isoDate(from);
  $('#f-to').value = isoDate(today);
  showView('view-dash');
  $('#dash-heading').focus();
  nowView ??= new NowView($('#now'));
  nowView.start();
  load();
}

function fillQueues() {
  const unit = units.find((u) => u.id === $('#f-unit').value);
  const queues = unit ? unit.queues : [];
  replaceChildren($('#f-queue'),
    h('option', { value: '', 'data-i18n': 'manager.all_queues' }, t('manager.all_queues')),
    queues.map((q) => h('option', { value: q.id }, q.name)));
  $('#f-queue').disabled = !unit;
}

function query() {
  const p = new URLSearchParams({ from: $('#f-from').value, to: $('#f-to').value });
  if ($('#f-unit').value) p.set('unit', $('#f-unit').value);
  if ($('#f-queue').value) p.set('queue', $('#f-queue').value);
  return p.toString();
}

async function load() {
  const err = $('#filter-error');
  err.hidden = true;
  const from = $('#f-from').value;
  const to = $('#f-to').value;
  if (!from || !to || from > to) {
    err.textContent = t('manager.bad_period');
    err.hidden = false;
    return;
  }
  loadSafety();
  const r = await call('GET', `/api/stats/tables?${query()}`);
  if (r.status !== 200) {
    err.textContent = t('manager.load_failed');
    err.hidden = false;
    return;
  }
  lastTables = r.data.tables;
  renderReport(lastTables);
  $('#status').textContent = t('manager.loaded');
}

function cellText(key, value) {
  // No visit counts imported: the share is unknown, not 100 %.
  if (key === 'chat_share') return shareText(value, lang()) ?? t('manager.no_data');
  if (value === null || value === undefined) return '–';
  if (typeof value === 'number' && PERCENT_KEYS.has(key)) return shareText(value, lang());
  if (typeof value === 'number' && isSeconds(key)) return minutesText(value, lang());
  if (typeof value === 'number') return value.toLocaleString(lang());
  return term(value);
}

/** A column's name; one holding seconds is shown in minutes and says so. */
function columnName(name) {
  return isSeconds(name) ? t('manager.in_minutes', { name: term(name) }) : term(name);
}

function renderTable(table, captionKey) {
  const [first, ...rest] = table.header;
  const rowKey = (row, i) => (table.name === 'summary' ? row[0] : table.header[i]);
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t(captionKey) },
    h('table', { class: 'stat-table' },
      h('caption', {}, t(captionKey)),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, term(first)),
        rest.map((c) => h('th', { scope: 'col' }, columnName(c))))),
      h('tbody', {}, table.rows.length
        ? table.rows.map((row) => h('tr', {},
          h('th', { scope: 'row' }, cellText(first, row[0])),
          row.slice(1).map((v, i) => h('td', {}, cellText(rowKey(row, i + 1), v)))))
        : h('tr', {}, h('td', { colspan: String(table.header.length) }, t('manager.none'))))));
}

async function insertChart(figure, name) {
  const r = await call('GET', `/api/stats/charts/${name}.svg?${query()}&lang=${lang()}`, undefined, { as: 'text' });
  if (r.status !== 200) return;
  const doc = new DOMParser().parseFromString(r.data, 'image/svg+xml');
  figure.prepend(document.importNode(doc.documentElement, true));
}

// Fetched beside the tables for the same filters (unit, queue, period); only the
// latest request's answer is shown.
async function loadSafety() {
  const id = ++safetyLoad;
  safety = { status: 'loading', data: null };
  renderSafety();
  const r = await call('GET', `/api/stats/triage-safety?${query()}`);
  if (id !== safetyLoad) return;
  safety = r.status === 200 ? { status: 'ok', data: r.data } : { status: 'failed', data: null };
  renderSafety();
}

function safetyValue(key, data) {
  // No raised contacts: no rate to speak of (the server sends 0).
  if (key === 'model_false_alarm_rate' && !data.model_raised) return '–';
  return cellText(key, data[key]);
}

function renderSafety() {
  if (!safety) return;
  let body;
  if (safety.status === 'failed') {
    body = h('p', { class: 'form-error', role: 'alert' }, t('manager.ts_failed'));
  } else if (safety.status === 'loading') {
    body = h('p', { class: 'hint' }, t('common.loading'));
  } else {
    body = h('div', { class: 'safety-groups' }, SAFETY_GROUPS.map((g) => h('div', { class: 'safety-group' },
      h('h3', {}, t(g.title)),
      h('dl', { class: 'figures' }, g.figures.map((key) => [
        h('dt', {}, t(`manager.ts_${key}`)),
        h('dd', { class: 'figures__value', id: `ts-${key}` }, safetyValue(key, safety.data)),
        h('dd', { class: 'figures__hint hint' }, t(`manager.ts_${key}_hint`)),
      ])))));
  }
  safetySection.setAttribute('aria-busy', String(safety.status === 'loading'));
  replaceChildren(safetySection,
    h('h2', { id: 'h-triage-safety' }, t('manager.sec_safety')),
    h('p', { class: 'hint safety-note' }, t('manager.sec_safety_note')),
    body);
  // Shown even when the tables could not be loaded (the report is then empty).
  if (!safetySection.isConnected) $('#report').append(safetySection);
}

function renderReport(tables) {
  const byName = Object.fromEntries(tables.map((tb) => [tb.name, tb]));
  const q = query();
  const sections = SECTIONS.map((s) => {
    const headingId = `h-${s.table}`;
    const figures = s.charts.map((name) => {
      const fig = h('figure', {}, h('figcaption', { class: 'hint' }, t(`manager.chart_${name}`)));
      insertChart(fig, name);
      return fig;
    });
    return h('section', { class: 'stat-section card', 'aria-labelledby': headingId },
      h('h2', { id: headingId }, t(s.title)),
      s.note ? h('p', { class: 'hint' }, t(s.note)) : null,
      h('div', { class: 'stat-pair' }, figures, renderTable(byName[s.table], s.title)),
      h('ul', { class: 'downloads' }, h('li', {},
        h('a', { href: `/api/stats/tables/${s.table}.csv?${q}`, download: `${s.table}.csv` },
          `${t('manager.csv')}: ${t(s.title)}`))));
  });
  const exportSection = h('section', { class: 'stat-section card', 'aria-labelledby': 'h-export' },
    h('h2', { id: 'h-export' }, t('manager.export_heading')),
    h('p', {}, t('manager.export_text')),
    h('ul', { class: 'downloads' },
      h('li', {}, h('a', { href: `/api/stats/export/contacts.csv?${q}`, download: 'contacts.csv' }, t('manager.contacts_csv'))),
      h('li', {}, h('a', { href: `/api/stats/export/contacts.json?${q}`, download: 'contacts.json' }, t('manager.contacts_json')))));
  // Triage safety right after the staff triage changes.
  const at = SECTIONS.findIndex((s) => s.table === 'triage_overrides') + 1;
  sections.splice(at, 0, safetySection);
  replaceChildren($('#report'), sections, exportSection);
}

main();
