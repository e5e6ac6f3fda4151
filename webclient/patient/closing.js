// What the patient reads when the chat has ended: the outcome in plain words
// (a heading per outcome code) and what happens next, the unit's own text or
// the built-in one (GET /api/contacts/closing with the chat's token; the
// texts are written per unit in /admin, "Texter vid avslut").

import { call } from '../common/http.js';

// Outcome code (PROTOCOL.md "Staff actions") → its heading for the patient.
const HEADINGS = {
  resolved_in_chat: 'outcome.patient_resolved_in_chat',
  physical_visit_booked: 'outcome.patient_physical_visit_booked',
  video_visit_booked: 'outcome.patient_video_visit_booked',
  phone_callback: 'outcome.patient_phone_callback',
  referred_emergency: 'outcome.patient_referred_emergency',
  referred_other_unit: 'outcome.patient_referred_other_unit',
  patient_left: 'outcome.patient_patient_left',
  no_response: 'outcome.patient_no_response',
};

/** The text key of the heading for `outcome` (an unknown or missing one: "the chat has ended"). Pure. */
export function closingHeadingKey(outcome) {
  return Object.hasOwn(HEADINGS, outcome ?? '') ? HEADINGS[outcome] : 'outcome.patient_closed';
}

/**
 * What happens next, in the page's language: the server's text (`texts`
 * {sv, en}), else the general text (key). Pure.
 * @returns {{text: string} | {key: string}}
 */
export function closingBody(texts, lang) {
  const text = texts?.[lang] || texts?.sv;
  return typeof text === 'string' && text ? { text } : { key: 'outcome.patient_fallback' };
}

/** The closed chat's outcome and texts ({outcome, texts}), or null when they cannot be read. */
export async function loadClosing(token) {
  const r = await call('GET', '/api/contacts/closing', undefined, { bearer: token });
  return r.status === 200 && r.data && typeof r.data.texts === 'object' ? r.data : null;
}
