// The intake form: unit list (or a unit preset by ?unit=ID), validation, and
// POST /api/contacts. Returns what the page should do next.

import { $, h, replaceChildren } from '../common/dom.js';
import { call } from '../common/http.js';
import { lang, t } from '../common/i18n.js';
import { phoneOf, showPhoneField } from './notify.js';

const FIELDS = ['unit', 'text', 'age', 'name', 'phone'];
// A retry after a 503 waits what the server asks (Retry-After), within reason.
const RETRY_AFTER_MIN_S = 1;
const RETRY_AFTER_MAX_S = 60;

/**
 * Seconds to wait before sending an intake again that the server could not
 * store (503 storage_unavailable): the error's retry_after_s, else the
 * Retry-After header (seconds), else 2; kept within 1..60. Pure.
 */
export function retryAfterSeconds(error, header) {
  const fromBody = error && typeof error.retry_after_s === 'number' ? error.retry_after_s : Number.NaN;
  const fromHeader = header != null && /^\d+$/.test(String(header).trim()) ? Number(header) : Number.NaN;
  const s = Number.isFinite(fromBody) ? fromBody : Number.isFinite(fromHeader) ? fromHeader : 2;
  return Math.min(RETRY_AFTER_MAX_S, Math.max(RETRY_AFTER_MIN_S, s));
}

export async function loadUnits(presetId, keep = '') {
  const url = presetId ? `/api/units?unit=${encodeURIComponent(presetId)}` : '/api/units';
  const r = await call('GET', url);
  const units = r.status === 200 && Array.isArray(r.data) ? r.data : [];
  const select = $('#unit');
  const options = [];
  let chosen = null;
  if (presetId) chosen = units.find((u) => u.id === presetId) || null;
  const shown = chosen
    ? [chosen]
    : units.filter((u) => u.rollout !== 'pilot').sort((a, b) => a.name.localeCompare(b.name, 'sv'));
  if (!chosen) options.push(h('option', { value: '' }, t('intake.unit_choose')));
  for (const u of shown) {
    const label = u.open === false ? `${u.name} (${t('intake.unit_closed_suffix')})` : u.name;
    const selected = chosen ? u.id === chosen.id : u.id === keep;
    options.push(h('option', { value: u.id, selected }, label));
  }
  replaceChildren(select, options);
  if (presetId && !chosen) fieldError('unit', t('intake.unit_unknown'));
  showPhoneField(shown);
  return shown;
}

/** After a language switch: the unit list and any shown errors in the new language. */
export async function relabelIntake(presetId) {
  await loadUnits(presetId, $('#unit').value);
  if (FIELDS.some((f) => !$(`#${f}-error`).hidden)) readForm(false, { withText: !$('#text-error').hidden });
}

export function fieldError(name, message) {
  const input = $(`#${name}`);
  const err = $(`#${name}-error`);
  if (message) {
    err.textContent = message;
    err.hidden = false;
    input.setAttribute('aria-invalid', 'true');
  } else {
    err.textContent = '';
    err.hidden = true;
    input.removeAttribute('aria-invalid');
  }
}

/** The intake body from the form, or null after marking the invalid fields
 * (and focusing the first, unless `focus` is false). Without `withText` the
 * free text is not required yet (the red-flag screen comes before it). */
export function readForm(focus = true, { withText = true } = {}) {
  for (const f of FIELDS) fieldError(f, null);
  const unit = $('#unit').value;
  const text = $('#text').value.trim();
  const ageRaw = $('#age').value.trim();
  const age = Number(ageRaw);
  const name = $('#name').value.trim();
  const otherwise = document.querySelector('input[name="would_otherwise"]:checked');
  const errors = [];
  // In the order of the page: focus goes to the first field in error.
  if (!unit) errors.push(['unit', t('intake.err_unit')]);
  if (!name) errors.push(['name', t('intake.err_name')]);
  if (!ageRaw || !Number.isInteger(age) || age < 0 || age > 120) errors.push(['age', t('intake.err_age')]);
  if (withText && !text) errors.push(['text', t('intake.err_text')]);
  for (const [f, msg] of errors) fieldError(f, msg);
  if (errors.length) {
    if (focus) $(`#${errors[0][0]}`).focus();
    return null;
  }
  return {
    unit_id: unit,
    lang: lang(),
    age,
    name,
    text,
    would_otherwise: otherwise ? otherwise.value : 'unknown',
    acknowledge_emergency: false,
    ...phoneOf(),
  };
}

/**
 * POST /api/contacts → {kind: 'queued'|'emergency'|'unavailable'|'invalid'|'retry'|'error', data}.
 * 'retry': nothing was stored (the service could not write just now); send
 * the same intake again after `retryAfterS` seconds.
 */
export async function submitIntake(body) {
  const { status, data, headers } = await call('POST', '/api/contacts', body);
  if (status === 0) return { kind: 'error', message: t('error.network') };
  if (status === 201) return { kind: 'queued', data };
  if (status === 200 && data.status === 'emergency') return { kind: 'emergency', data };
  const code = data.error ? data.error.code : '';
  if (status === 409 && (code === 'unit_closed' || code === 'queue_full')) {
    return {
      kind: 'unavailable', code, alternatives: data.error.alternatives || [], nextOpen: data.error.next_open || null,
    };
  }
  if (status === 422 && data.error && data.error.fields) {
    for (const f of Object.keys(data.error.fields)) {
      const name = f === 'unit_id' ? 'unit' : f;
      if (FIELDS.includes(name)) fieldError(name, t(name === 'phone' ? 'notify.phone_error' : `intake.err_${name}`));
    }
    return { kind: 'invalid' };
  }
  if (status === 429) return { kind: 'error', message: t('error.rate_limited') };
  // The emergency answer is too old to be acknowledged (docs/security.md): start again.
  if (status === 409 && code === 'acknowledgement_expired') {
    return { kind: 'error', message: t('emergency.ack_expired') };
  }
  if (status === 503 && code === 'storage_unavailable') {
    return {
      kind: 'retry',
      message: t('error.storage_unavailable'),
      retryAfterS: retryAfterSeconds(data.error, headers ? headers.get('retry-after') : null),
    };
  }
  // The unit (or the service) requires e-legitimation and this browser has no patient session.
  if (status === 401 && code === 'identification_required') {
    // A red flag in the words or the screen: the refusal carries the 112 advice.
    const urgent = data.error.triage && data.error.triage.level === 'emergency';
    return { kind: 'error', message: t(urgent ? 'patient.signin_required_emergency' : 'patient.signin_required_error') };
  }
  if (status === 404 && code === 'unknown_unit') return { kind: 'error', message: t('intake.unit_unknown') };
  return { kind: 'error', message: t('error.generic') };
}
