// How the log review shows an audit event's time: Swedish local time
// (Europe/Stockholm, where the care units are), to the second, as
// "2026-12-02 14:05:31". The API's `at` is UTC with microseconds.

const STOCKHOLM = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Europe/Stockholm',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** "2026-12-02T13:05:31.123456Z" → "2026-12-02 14:05:31"; anything else as given. */
export function localTime(at) {
  if (typeof at !== 'string') return '';
  // Date parses at most milliseconds reliably: drop the digits beyond them.
  const trimmed = at.replace(/(\.\d{3})\d+/, '$1');
  const date = new Date(trimmed);
  if (Number.isNaN(date.getTime())) return at;
  const parts = Object.fromEntries(STOCKHOLM.formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}
