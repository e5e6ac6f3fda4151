// A ready-to-paste journal note (always Swedish: the record is kept in Swedish),
// built in the browser from the contact, its messages and the internal notes.
// Nothing leaves the page: staff copy it into the record system themselves.
// It starts with the personnummer of an identified patient (to find the record)
// and with "Anonym kontakt" otherwise.

import { formatPersonnummer, identityMethod, METHOD_SV } from './identity.js';
import { summarize } from './reasons.js';

const LEVEL_SV = {
  emergency: 'Akut',
  urgent: 'Brådskande',
  standard: 'Normal',
  non_urgent: 'Ej brådskande',
};

const OUTCOME_SV = {
  resolved_in_chat: 'Löst i chatten',
  physical_visit_booked: 'Fysiskt besök bokat',
  video_visit_booked: 'Videobesök bokat',
  phone_callback: 'Telefonåterkoppling',
  referred_emergency: 'Hänvisad till akuten/112',
  referred_other_unit: 'Hänvisad till annan enhet',
  patient_left: 'Patienten lämnade chatten',
  no_response: 'Inget svar från patienten',
};

const OTHERWISE_SV = {
  physical_visit: 'besökt hälsocentralen',
  phone: 'ringt',
  video: 'bokat videobesök',
  self_care: 'tagit hand om det själv',
  unknown: 'vet ej',
};

// One line per message keeps the note short; a very long message is cut so the
// note stays readable (the full transcript stays in the chat system).
const MAX_LINE_CHARS = 400;

function time(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleTimeString('sv-SE', { hour: '2-digit', minute: '2-digit' });
}

function date(iso) {
  const d = iso ? new Date(iso) : new Date();
  return d.toLocaleDateString('sv-SE');
}

function oneLine(text) {
  const flat = String(text).replace(/\s+/g, ' ').trim();
  return flat.length > MAX_LINE_CHARS ? `${flat.slice(0, MAX_LINE_CHARS - 1)}…` : flat;
}

/** The note's first line: who the patient is, as far as the service knows. */
function identityLine(contact) {
  if (!contact.identified) return 'Anonym kontakt';
  const method = METHOD_SV[identityMethod(contact.identity_method)];
  if (!contact.personnummer) return `Identifierad med ${method} (personnummer ej hämtat)`;
  return `${formatPersonnummer(contact.personnummer)} – identifierad med ${method}`;
}

/**
 * @param {object} contact contact_dict from the server (triage, text, name, age,
 *   identified, identity_method, personnummer, ...)
 * @param {Array} messages stored messages in seq order
 * @param {Array} notes internal notes and transfer notes {body, author, kind?}
 *   (kind 'transfer': the note of a handover to another queue)
 * @param {{outcome?: string, overrides?: Array<{level, previous_level, reason, by}>,
 *   screening?: Array<{id, answer, sv}>}} extra (screening: the red-flag screen at intake)
 */
export function journalNote(contact, messages, notes, extra = {}) {
  const triage = contact.triage || {};
  const lines = [identityLine(contact)];
  lines.push(`Chattkontakt ${date(contact.created_at)} – ${contact.name || 'patient'}, ${contact.age} år`);
  lines.push('');
  lines.push(`Kontaktorsak: ${oneLine(contact.text || '')}`);
  const tags = (triage.tags || []).join(', ');
  lines.push(`Triage: ${LEVEL_SV[triage.level] || triage.level || 'okänd'}${tags ? ` (${tags})` : ''}`);
  const { words, answers } = summarize(triage.reasons);
  if (words.length) lines.push(`Triageord: ${words.join(', ')}`);
  if (answers.length) lines.push(`Svarade ja på: ${answers.join('; ')}`);
  const screen = extra.screening || [];
  if (screen.length) {
    const yes = screen.filter((a) => a.answer).map((a) => oneLine(a.sv));
    const no = screen.length - yes.length;
    lines.push(`Akutfrågor vid start: ${yes.length ? `ja på ${yes.join('; ')}` : 'inget ja'}${no ? `, nej på ${no}` : ''}`);
  }
  for (const o of extra.overrides || []) {
    lines.push(
      `Triage ändrad från ${LEVEL_SV[o.previous_level] || o.previous_level} till ${LEVEL_SV[o.level] || o.level}` +
        `${o.by ? ` av ${o.by}` : ''}. Skäl: ${oneLine(o.reason || '')}`,
    );
  }
  if (contact.would_otherwise) {
    lines.push(`Patienten hade annars: ${OTHERWISE_SV[contact.would_otherwise] || contact.would_otherwise}`);
  }
  lines.push('');
  lines.push(`Sammanfattning av chatten (${messages.length} meddelanden):`);
  for (const m of messages) {
    const who = m.sender === 'patient' ? 'Patient' : m.sender === 'system' ? 'System' : m.sender_name || 'Personal';
    // A photo is named as one (its caption follows): the record links the image,
    // the draft only says it was there.
    const text = m.attachment ? `[Bild]${m.body ? ` ${oneLine(m.body)}` : ''}` : oneLine(m.body);
    lines.push(`- ${time(m.sent_at)} ${who}: ${text}`);
  }
  if (notes.length) {
    lines.push('');
    lines.push('Interna anteckningar:');
    for (const n of notes) {
      const who = `${n.author || ''}${n.kind === 'transfer' ? ' (överlämning)' : ''}`.trim();
      lines.push(`- ${who ? `${who}: ` : ''}${oneLine(n.body)}`);
    }
  }
  lines.push('');
  const outcome = extra.outcome || contact.outcome;
  lines.push(`Utfall: ${outcome ? OUTCOME_SV[outcome] || outcome : 'Pågår'}`);
  return lines.join('\n');
}
