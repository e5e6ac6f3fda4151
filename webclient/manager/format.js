// How the manager page shows numbers (pure: no DOM). Durations are shown in
// minutes everywhere on /manager; the server's figures and CSV files keep
// seconds (their column names end in _s).

/** Whether a statistics column holds seconds (median_s, waiting_s, oldest_wait_s …). */
export function isSeconds(key) {
  return typeof key === 'string' && key.endsWith('_s');
}

/** Seconds as minutes with one decimal ("2,5" in Swedish, "2.5" in English). */
export function minutesText(seconds, lang) {
  const min = (Number(seconds) || 0) / 60;
  return min.toLocaleString(lang === 'en' ? 'en-GB' : 'sv-SE', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

/**
 * The chat share of a channel-shift row: a percentage, or null when no visit
 * counts were imported for it (the server sends null: "no data", never 100 %).
 */
export function shareText(share, lang) {
  if (share === null || share === undefined) return null;
  return `${(share * 100).toLocaleString(lang === 'en' ? 'en-GB' : 'sv-SE', { maximumFractionDigits: 1 })} %`;
}
