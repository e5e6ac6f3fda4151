// Server frames as docs/protocol.md documents them, for the unit tests of the
// pages' applyFrame(). Each builder takes overrides for the fields a test
// cares about; the rest are realistic values.

export const NOW = '2026-12-01T10:15:00.000Z';

/** A stored message as `message` frames, `history` and `welcome` carry it. */
export function message(seq, fields = {}) {
  return {
    type: 'message',
    contact_id: 'c1',
    seq,
    sender: 'staff',
    sender_name: 'Nina Nurse',
    body: `meddelande ${seq}`,
    client_id: `s${seq}`,
    sent_at: `2026-12-01T10:${String(seq).padStart(2, '0')}:00.000Z`,
    ...fields,
  };
}

export const banner = {
  id: 4,
  severity: 'warning',
  message: { sv: 'Chatten är långsam i dag.', en: 'The chat is slow today.' },
  created_at: 1796112000,
  ends_at: null,
  ended_at: null,
};

export function patientWelcome(fields = {}) {
  return {
    type: 'welcome',
    contact_id: 'c1',
    status: 'queued',
    queue: { position: 2, estimated_wait_s: 720 },
    messages: [],
    staff_name: null,
    outcome: null,
    lang: 'sv',
    last_seq: 0,
    followup: null,
    banner: null,
    ...fields,
  };
}

export const emergencyAdvice = {
  level: 'emergency',
  lang: 'sv',
  text: 'Ring 112 nu. Vänta inte på chatten.',
  phone_numbers: ['112'],
};

export const chestQuestion = { id: 'chest_pain_now', text: 'Har du ont i bröstet just nu?' };
export const breathQuestion = { id: 'short_of_breath', text: 'Har du svårt att andas?', help: 'Även i vila.' };

export const nurse = { id: 3, username: 'nurse1', display_name: 'Nina Nurse', role: 'nurse', units: ['hc1'] };

/** One waiting contact of a `queues` row. */
export function waiting(contactId, fields = {}) {
  return {
    contact_id: contactId,
    position: 1,
    level: 'standard',
    tags: [],
    reasons: [],
    red_flag: false,
    queued_at: '2026-12-01T10:00:00.000Z',
    waited_s: 120,
    ...fields,
  };
}

export function queue(contacts = [], fields = {}) {
  return {
    id: 'hc1:nurse',
    unit_id: 'hc1',
    competence: 'nurse',
    name: 'Sjuksköterska',
    count: contacts.length,
    oldest_wait_s: contacts.length ? 120 : null,
    red_flags: contacts.filter((c) => c.red_flag).length,
    levels: {},
    contacts,
    ...fields,
  };
}

/** A contact as staff see it (`assigned.contact`, `welcome.assigned`). */
export function contact(contactId = 'c1', fields = {}) {
  return {
    contact_id: contactId,
    unit_id: 'hc1',
    queue: 'hc1:nurse',
    status: 'assigned',
    triage: { level: 'standard', intake_level: 'standard', tags: ['hals'], reasons: [], red_flag: false },
    text: 'Jag har ont i halsen sedan fyra dagar.',
    name: 'Petra',
    age: 40,
    lang: 'sv',
    would_otherwise: 'physical_visit',
    created_at: '2026-12-01T09:58:00.000Z',
    queued_at: '2026-12-01T09:58:00.000Z',
    assigned_name: 'Nina Nurse',
    last_seq: 0,
    outcome: null,
    ...fields,
  };
}

export function staffWelcome(fields = {}) {
  return { type: 'welcome', user: nurse, queues: [queue()], assigned: [], banner: null, ...fields };
}
