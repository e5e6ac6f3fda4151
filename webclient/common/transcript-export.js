// A copy of the conversation for the patient to keep: a plain-text transcript
// built from the chat's log (pure: transcriptText), saved by the browser as a
// file (downloadText: a Blob, nothing sent or stored anywhere else). Printing
// uses the page itself with the print stylesheet (common/styles.css @media print).

import { clock } from './dom.js';

/**
 * The conversation as plain text. Pure.
 * @param {object} log the chat's message log (common/message-log.js)
 * @param {object} opts
 *   who(m): a message's sender as shown; t(key, vars): the page's texts;
 *   translate(notice): a notice's text; lang: 'sv' | 'en';
 *   unit: the health centre's name or ''; closing: {heading, text} | null (the outcome);
 *   now: ISO time the copy was made.
 */
export function transcriptText(log, { who, t, translate, lang, unit = '', closing = null, now }) {
  const date = new Date(now).toLocaleString(lang === 'en' ? 'en-GB' : 'sv-SE', {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: 'Europe/Stockholm',
  });
  const lines = [t('patient.transcript_heading'), t('patient.transcript_made', { date })];
  if (unit) lines.push(unit);
  lines.push('');
  for (const entry of log.entries) {
    if (entry.kind === 'message') {
      const m = entry.message;
      const body = String(m.body || '').replace(/\r\n?/g, '\n').replace(/\n/g, '\n    ');
      lines.push(`[${clock(m.sent_at, lang)}] ${who(m)}: ${body}`);
    } else {
      lines.push(`— ${translate(entry.notice)}`);
    }
  }
  if (closing) lines.push('', closing.heading, closing.text);
  lines.push('', t('patient.transcript_footer'));
  return `${lines.join('\n')}\n`;
}

/** "chatt-2026-11-24.txt": the day the copy was made (Stockholm time). Pure. */
export function transcriptFileName(now) {
  const day = new Date(now).toLocaleDateString('sv-SE', { timeZone: 'Europe/Stockholm' });
  return `chatt-${day}.txt`;
}

/** Save `text` as a file through the browser (a Blob URL; nothing leaves the device). */
export function downloadText(fileName, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The click has started the download; the URL is not needed after this turn.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
