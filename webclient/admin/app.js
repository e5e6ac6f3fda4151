// Administration page: sign-in (common/signin.js), then units, opening hours,
// queues, users, canned responses, the service notice and retention, all via
// /api/admin/... with the session's CSRF token. Text only ever enters the DOM
// as text nodes (common/dom.js); no inline script or style (strict CSP).

import { bannerView } from '../common/banner.js';
import { $, h, replaceChildren, showView } from '../common/dom.js';
import { call } from '../common/http.js';
import { bindLangSwitch, lang, onLangChange, preferredLang, setLang, t } from '../common/i18n.js';
import { wireSignIn } from '../common/signin.js';
import { ClosingTexts } from './closing-texts.js';
import { Holidays } from './holidays.js';
import { identificationBody, identificationChoice, identificationKey, identificationRefused } from './identification.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const ROLES = ['nurse', 'doctor', 'manager', 'admin'];
const RANGE = /^(\d{2}:\d{2})\s*[-–]\s*(\d{2}:\d{2})$/;

let me = null;
let signin = null;
let units = [];
let users = [];
let banners = { active: null, history: [] };
let closingTexts = null; // "Texter vid avslut" (closing-texts.js)
let holidays = null; // public holidays under "Öppettider" (holidays.js)

// -- feedback ---------------------------------------------------------------------

function say(text) {
  const err = $('#error');
  err.hidden = true;
  const st = $('#status');
  st.textContent = text;
  st.hidden = false;
}

function fail(r) {
  const code = r.data?.error?.code;
  let text = t('admin.err_generic');
  if (r.status === 401) text = t('admin.err_session');
  else if (code === 'already_exists') text = t('admin.err_exists');
  else if (code === 'cannot_change_self') text = t('admin.err_self');
  else if (code === 'weak_password') text = t('account.err_weak');
  else if (r.status === 404) text = t('admin.err_not_found');
  $('#status').hidden = true;
  const err = $('#error');
  err.textContent = text;
  err.hidden = false;
  if (r.status === 401) {
    signedOut();
    signin.showLogin();
  }
}

async function change(method, url, body, okText) {
  const r = await call(method, url, body);
  if (r.status >= 200 && r.status < 300) {
    if (okText) say(okText);
    return r;
  }
  fail(r);
  return null;
}

function fmtTime(epoch) {
  if (epoch === null || epoch === undefined) return '';
  const locale = lang() === 'sv' ? 'sv-SE' : 'en-GB';
  return new Intl.DateTimeFormat(locale, {
    timeZone: 'Europe/Stockholm', dateStyle: 'short', timeStyle: 'short',
  }).format(new Date(epoch * 1000));
}

function fmtIso(iso) {
  return iso ? fmtTime(Date.parse(iso) / 1000) : '';
}

// -- sign-in ----------------------------------------------------------------------

async function main() {
  wireForms();
  closingTexts = new ClosingTexts({ change, fail });
  holidays = new Holidays({ change, reload: () => loadAll() });
  // setLang() relabels the data-i18n elements; what the script made follows here.
  onLangChange(() => {
    renderDayInputs();
    if (me) renderAll();
  });
  bindLangSwitch($('#lang-switch'));
  await setLang(preferredLang());
  signin = wireSignIn({ view: $('#view-login'), logout: $('#logout'), onSignedIn: start, onSignedOut: signedOut });
  await signin.start();
}

function signedOut() {
  me = null;
  $('#user-name').hidden = true;
}

async function start(session) {
  me = session.user;
  const name = $('#user-name');
  name.textContent = me.display_name;
  name.hidden = false;
  $('#logout').hidden = false;
  if (me.role !== 'admin') {
    showView('view-denied');
    $('#denied-heading').focus();
    return;
  }
  await loadAll();
  showView('view-dash');
  $('#dash-heading').focus();
}

async function loadAll() {
  const [u, us, b] = await Promise.all([
    call('GET', '/api/admin/units'),
    call('GET', '/api/admin/users'),
    call('GET', '/api/admin/banners'),
  ]);
  if (u.status !== 200 || us.status !== 200 || b.status !== 200) {
    fail([u, us, b].find((r) => r.status !== 200));
    return;
  }
  units = u.data.units;
  users = us.data.users;
  banners = b.data;
  renderAll();
}

function renderAll() {
  renderBanners();
  renderUnits();
  fillUnitSelects();
  fillRoleSelects();
  renderUsers();
  loadHours();
  renderQueues();
  loadCanned();
  closingTexts.load();
}

// -- service notice -----------------------------------------------------------------

function renderBanners() {
  const current = $('#banner-current');
  if (banners.active) {
    replaceChildren(
      current,
      h('p', {}, t('admin.banner_now')),
      bannerView(banners.active, lang()),
      h('button', { type: 'button', class: 'btn btn--danger btn--small', id: 'banner-end' }, t('admin.end_banner')),
    );
    $('#banner-end').addEventListener('click', endBanner);
  } else {
    replaceChildren(current, h('p', { class: 'hint' }, t('admin.no_banner')));
  }
  replaceChildren(
    $('#banner-history'),
    banners.history.map((b) => h(
      'li', {},
      h('strong', {}, `${t(`admin.sev_${b.severity}`)}: `),
      b.message[lang()] || b.message.sv,
      h('span', { class: 'hint' }, ` (${fmtTime(b.created_at)}${b.ended_at ? ` – ${t('admin.ended')} ${fmtTime(b.ended_at)}` : b.ends_at ? ` ${t('admin.until')} ${fmtTime(b.ends_at)}` : ''})`),
    )),
  );
}

async function publishBanner(ev) {
  ev.preventDefault();
  const body = {
    severity: $('#banner-severity').value,
    message_sv: $('#banner-sv').value.trim(),
  };
  if ($('#banner-en').value.trim()) body.message_en = $('#banner-en').value.trim();
  if ($('#banner-ends').value) body.ends_at = $('#banner-ends').value;
  if (await change('POST', '/api/admin/banners', body, t('admin.banner_published'))) {
    $('#banner-sv').value = '';
    $('#banner-en').value = '';
    $('#banner-ends').value = '';
    await reloadBanners();
  }
}

async function endBanner() {
  if (!banners.active) return;
  if (await change('POST', `/api/admin/banners/${banners.active.id}/end`, undefined, t('admin.banner_ended'))) {
    await reloadBanners();
  }
}

async function reloadBanners() {
  const r = await call('GET', '/api/admin/banners');
  if (r.status === 200) banners = r.data;
  renderBanners();
}

// -- units --------------------------------------------------------------------------

function unitById(id) {
  return units.find((u) => u.id === id);
}

function renderUnits() {
  replaceChildren(
    $('#units-table tbody'),
    units.map((u) => h(
      'tr', {},
      h('td', {}, u.id),
      h('td', {}, u.name),
      h('td', {}, u.rollout === 'live' ? t('admin.live') : t('admin.pilot')),
      h('td', {}, t(identificationKey(u.identification))),
      h('td', {}, u.always_open ? t('admin.always') : u.open ? t('admin.yes') : t('admin.no')),
      h('td', {}, fmtIso(u.next_change)),
    )),
  );
}

function fillUnitSelects() {
  for (const select of document.querySelectorAll('.unit-select')) {
    const keep = select.value;
    replaceChildren(select, units.map((u) => h('option', { value: u.id }, `${u.name} (${u.id})`)));
    if (keep && unitById(keep)) select.value = keep;
  }
  fillUnitEdit();
  for (const box of ['#user-new-units', '#user-edit-units']) {
    replaceChildren($(box), units.map((u) => {
      const id = `${box.slice(1)}-${u.id}`;
      return h('div', { class: 'check' },
        h('input', { type: 'checkbox', id, value: u.id }),
        h('label', { for: id, class: 'inline-label' }, u.name));
    }));
  }
  fillUserEdit();
}

function fillRoleSelects() {
  for (const select of document.querySelectorAll('.role-select')) {
    const keep = select.value;
    replaceChildren(select, ROLES.map((r) => h('option', { value: r }, t(`admin.role_${r}`))));
    if (keep) select.value = keep;
  }
}

function fillUnitEdit() {
  const u = unitById($('#unit-edit-id').value);
  if (!u) return;
  $('#unit-edit-name').value = u.name;
  $('#unit-edit-rollout').value = u.rollout;
  $('#unit-edit-always').checked = u.always_open;
  $('#unit-edit-identification').value = identificationChoice(u.identification);
  showIdentificationError('edit', false);
}

// The 422 for `required` without patient sign-in, in words beside the select
// (`form` is edit or new); any other answer clears it.
function showIdentificationError(form, refused) {
  const select = $(`#unit-${form}-identification`);
  const err = $(`#unit-${form}-identification-error`);
  err.textContent = refused ? t('admin.identification_refused') : '';
  err.hidden = !refused;
  if (refused) select.setAttribute('aria-invalid', 'true');
  else select.removeAttribute('aria-invalid');
}

// A unit's POST or PATCH: the identification refusal is shown at its select,
// anything else as every other change.
async function changeUnit(form, method, url, body, okText) {
  const r = await call(method, url, body);
  const refused = identificationRefused(r);
  showIdentificationError(form, refused);
  if (r.status >= 200 && r.status < 300) {
    say(okText);
    return r;
  }
  if (refused) {
    $('#status').hidden = true;
    $('#error').hidden = true;
    $(`#unit-${form}-identification`).focus();
  } else {
    fail(r);
  }
  return null;
}

async function saveUnit(ev) {
  ev.preventDefault();
  const id = $('#unit-edit-id').value;
  const body = {
    name: $('#unit-edit-name').value.trim(),
    rollout: $('#unit-edit-rollout').value,
    always_open: $('#unit-edit-always').checked,
    identification: identificationBody($('#unit-edit-identification').value),
  };
  if (await changeUnit('edit', 'PATCH', `/api/admin/units/${encodeURIComponent(id)}`, body, t('admin.saved'))) await loadAll();
}

async function createUnit(ev) {
  ev.preventDefault();
  const body = {
    id: $('#unit-new-id').value.trim(),
    name: $('#unit-new-name').value.trim(),
    always_open: $('#unit-new-always').checked,
    identification: identificationBody($('#unit-new-identification').value),
  };
  if (await changeUnit('new', 'POST', '/api/admin/units', body, t('admin.unit_created'))) {
    $('#unit-new-id').value = '';
    $('#unit-new-name').value = '';
    $('#unit-new-identification').value = 'default';
    await loadAll();
  }
}

// -- opening hours --------------------------------------------------------------------

function renderDayInputs() {
  replaceChildren($('#weekly-days'), DAYS.map((d) => h(
    'div', { class: 'field' },
    h('label', { for: `day-${d}` }, t(`admin.day_${d}`)),
    h('input', { id: `day-${d}`, type: 'text', 'aria-describedby': 'weekly-hint', autocomplete: 'off' }),
  )));
}

function rangesText(list) {
  return list.map(([a, b]) => `${a}-${b}`).join(', ');
}

function parseRanges(text) {
  const trimmed = text.trim();
  if (!trimmed || trimmed.toLowerCase() === t('admin.closed_word') || /^(stängt|closed)$/i.test(trimmed)) return [];
  return trimmed.split(',').map((part) => {
    const m = RANGE.exec(part.trim());
    if (!m) throw new Error('bad range');
    return [m[1], m[2]];
  });
}

async function loadHours() {
  const id = $('#hours-unit').value;
  if (!id) return;
  const r = await call('GET', `/api/admin/units/${encodeURIComponent(id)}/hours`);
  if (r.status !== 200) return fail(r);
  const { hours } = r.data;
  for (const d of DAYS) $(`#day-${d}`).value = rangesText(hours.weekly[d] || []);
  $('#hours-exceptions').value = Object.entries(hours.exceptions)
    .map(([date, list]) => `${date} ${list.length ? rangesText(list) : t('admin.closed_word')}`)
    .join('\n');
  $('#hours-stop').value = hours.intake_stop_min ?? '';
  $('#hours-state').textContent = r.data.always_open
    ? t('admin.hours_always')
    : r.data.configured ? t('admin.hours_is_custom') : t('admin.hours_is_default');
  holidays.show(r.data);
}

async function saveHours(ev) {
  ev.preventDefault();
  const err = $('#hours-error');
  err.hidden = true;
  const body = { weekly: {}, exceptions: {} };
  try {
    for (const d of DAYS) body.weekly[d] = parseRanges($(`#day-${d}`).value);
    for (const line of $('#hours-exceptions').value.split('\n')) {
      if (!line.trim()) continue;
      const [date, ...rest] = line.trim().split(/\s+/);
      body.exceptions[date] = parseRanges(rest.join(' '));
    }
  } catch {
    err.textContent = t('admin.hours_bad');
    err.hidden = false;
    return;
  }
  const stop = $('#hours-stop').value;
  if (stop !== '') body.intake_stop_min = Number(stop);
  const id = $('#hours-unit').value;
  if (await change('PUT', `/api/admin/units/${encodeURIComponent(id)}/hours`, body, t('admin.saved'))) {
    await loadAll();
  }
}

async function defaultHours() {
  const id = $('#hours-unit').value;
  if (await change('DELETE', `/api/admin/units/${encodeURIComponent(id)}/hours`, undefined, t('admin.saved'))) {
    await loadAll();
  }
}

// -- queues -----------------------------------------------------------------------------

function renderQueues() {
  const u = unitById($('#queues-unit').value);
  if (!u) return;
  replaceChildren($('#queue-list'), u.queues.map((q) => {
    const id = `max-${q.id.replace(/[^a-z0-9_-]/gi, '-')}`;
    const form = h('form', { class: 'inline-form', 'data-queue': q.id },
      h('label', { for: id }, t('admin.max_for', { name: q.name })),
      h('input', { id, type: 'number', min: '1', max: '10000', inputmode: 'numeric', value: q.max_waiting ?? '' }),
      h('button', { type: 'submit', class: 'btn btn--secondary btn--small' }, t('admin.save')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const raw = $(`#${id}`).value;
      const body = { max_waiting: raw === '' ? null : Number(raw) };
      if (await change('PATCH', `/api/admin/queues/${encodeURIComponent(q.id)}`, body, t('admin.saved'))) await loadAll();
    });
    return h('li', {}, form);
  }));
}

async function createQueue(ev) {
  ev.preventDefault();
  const id = $('#queues-unit').value;
  const body = { competence: $('#queue-competence').value.trim(), name: $('#queue-name').value.trim() };
  if ($('#queue-max').value !== '') body.max_waiting = Number($('#queue-max').value);
  if (await change('POST', `/api/admin/units/${encodeURIComponent(id)}/queues`, body, t('admin.saved'))) {
    $('#queue-competence').value = '';
    $('#queue-name').value = '';
    $('#queue-max').value = '';
    await loadAll();
  }
}

// -- users ------------------------------------------------------------------------------

function checkedUnits(box) {
  return Array.from(document.querySelectorAll(`${box} input:checked`), (el) => el.value);
}

function renderUsers() {
  replaceChildren($('#user-list'), users.map((u) => h(
    'li', {},
    h('strong', {}, u.display_name),
    ` (${u.username}) – ${t(`admin.role_${u.role}`)} – ${u.units.join(', ')}`,
    u.disabled ? h('span', { class: 'badge' }, ` ${t('admin.disabled_mark')}`) : null,
  )));
  const select = $('#user-edit-id');
  const keep = select.value;
  replaceChildren(select, users.map((u) => h('option', { value: String(u.id) }, `${u.display_name} (${u.username})`)));
  if (keep) select.value = keep;
  fillUserEdit();
}

function selectedUser() {
  return users.find((u) => String(u.id) === $('#user-edit-id').value);
}

function fillUserEdit() {
  const u = selectedUser();
  if (!u) return;
  $('#user-edit-role').value = u.role;
  for (const box of document.querySelectorAll('#user-edit-units input')) box.checked = u.units.includes(box.value);
  $('#user-toggle').textContent = u.disabled ? t('admin.enable') : t('admin.disable');
}

async function saveUser(ev) {
  ev.preventDefault();
  const u = selectedUser();
  if (!u) return;
  const body = { role: $('#user-edit-role').value, units: checkedUnits('#user-edit-units') };
  const r = await change('PATCH', `/api/admin/users/${u.id}`, body);
  if (r) {
    say(t('admin.sessions_ended', { n: r.data.sessions_ended }));
    await loadAll();
  }
}

async function toggleUser() {
  const u = selectedUser();
  if (!u) return;
  const r = await change('PATCH', `/api/admin/users/${u.id}`, { disabled: !u.disabled });
  if (r) {
    say(t('admin.sessions_ended', { n: r.data.sessions_ended }));
    await loadAll();
  }
}

async function resetOtp() {
  const u = selectedUser();
  if (!u) return;
  // The server shows no secret: the user enrols a new one at their next sign-in.
  const r = await change('POST', `/api/admin/users/${u.id}/reset-second-factor`);
  if (r) say(t('account.admin_otp_reset', { user: u.username }));
}

function showOtp(username, uri) {
  const out = $('#otp-result');
  replaceChildren(out, t('admin.otp_uri', { user: username }), h('br'), h('code', {}, uri));
  out.hidden = false;
}

async function createUser(ev) {
  ev.preventDefault();
  const body = {
    username: $('#user-new-username').value.trim(),
    role: $('#user-new-role').value,
    units: checkedUnits('#user-new-units'),
    password: $('#user-new-password').value,
  };
  if ($('#user-new-display').value.trim()) body.display_name = $('#user-new-display').value.trim();
  const r = await change('POST', '/api/admin/users', body, t('account.admin_user_created'));
  if (r) {
    $('#user-new-password').value = '';
    $('#user-new-username').value = '';
    $('#user-new-display').value = '';
    if (r.data.otpauth_uri) showOtp(r.data.user.username, r.data.otpauth_uri);
    await loadAll();
  }
}

// -- canned responses ----------------------------------------------------------------------

async function loadCanned() {
  const id = $('#canned-unit').value;
  if (!id) return;
  const r = await call('GET', `/api/admin/units/${encodeURIComponent(id)}/canned`);
  if (r.status !== 200) return fail(r);
  replaceChildren($('#canned-list'), r.data.canned.map((c) => {
    const del = h('button', { type: 'button', class: 'btn btn--quiet btn--small', 'aria-label': t('admin.delete_named', { name: c.title }) }, t('admin.delete'));
    del.addEventListener('click', async () => {
      if (await change('DELETE', `/api/admin/units/${encodeURIComponent(id)}/canned/${c.id}`, undefined, t('admin.saved'))) loadCanned();
    });
    return h('li', {}, h('strong', {}, c.title), ` – ${c.body} `, del);
  }));
}

async function addCanned(ev) {
  ev.preventDefault();
  const id = $('#canned-unit').value;
  const body = { title: $('#canned-title').value.trim(), body: $('#canned-body').value.trim() };
  if (await change('POST', `/api/admin/units/${encodeURIComponent(id)}/canned`, body, t('admin.saved'))) {
    $('#canned-title').value = '';
    $('#canned-body').value = '';
    loadCanned();
  }
}

// -- legal hold and retention ------------------------------------------------------------------

async function saveHold(ev) {
  ev.preventDefault();
  const id = $('#hold-contact').value.trim();
  const body = { hold: $('#hold-action').value === 'hold', reason: $('#hold-reason').value.trim() };
  await change('PUT', `/api/admin/contacts/${encodeURIComponent(id)}/legal-hold`, body, t('admin.saved'));
}

async function runRetention() {
  const r = await change('POST', '/api/admin/retention/run', {});
  if (r) say(t('admin.retention_done', { n: r.data.purged, days: r.data.retention_days }));
}

function wireForms() {
  renderDayInputs();
  $('#banner-form').addEventListener('submit', publishBanner);
  $('#unit-edit-form').addEventListener('submit', saveUnit);
  $('#unit-edit-id').addEventListener('change', fillUnitEdit);
  $('#unit-create-form').addEventListener('submit', createUnit);
  $('#hours-form').addEventListener('submit', saveHours);
  $('#hours-unit').addEventListener('change', loadHours);
  $('#hours-default').addEventListener('click', defaultHours);
  $('#queues-unit').addEventListener('change', renderQueues);
  $('#queue-create-form').addEventListener('submit', createQueue);
  $('#user-edit-id').addEventListener('change', fillUserEdit);
  $('#user-edit-form').addEventListener('submit', saveUser);
  $('#user-toggle').addEventListener('click', toggleUser);
  $('#user-reset-otp').addEventListener('click', resetOtp);
  $('#user-create-form').addEventListener('submit', createUser);
  $('#canned-unit').addEventListener('change', loadCanned);
  $('#canned-form').addEventListener('submit', addCanned);
  $('#hold-form').addEventListener('submit', saveHold);
  $('#retention-run').addEventListener('click', runRetention);
}

main();
