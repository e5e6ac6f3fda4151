// A unit's Swedish public holidays on the admin page, under its opening hours:
// whether the unit closes on them (`public_holidays`, PATCH /api/admin/units/{id})
// and the next ones (`next_holidays` of GET /api/admin/units/{id}/hours).
// holidayLines and holidayState are pure; Holidays wires the form.

import { $, h, replaceChildren } from '../common/dom.js';
import { lang, t } from '../common/i18n.js';

/** "2026-12-24" → "tors 24 dec. 2026" (sv) / "Thu 24 Dec 2026" (en), the date's own day. */
export function holidayDate(iso, language) {
  const [y, m, d] = iso.split('-').map(Number);
  const locale = language === 'sv' ? 'sv-SE' : 'en-GB';
  return new Intl.DateTimeFormat(locale, {
    timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short', year: 'numeric',
  }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** The list's lines: date and the holiday's Swedish name. */
export function holidayLines(next, language) {
  return (next || []).map((x) => `${holidayDate(x.date, language)}: ${x.name}`);
}

/** The text key saying what the unit does on holidays. */
export function holidayState(data) {
  if (data.always_open) return 'holidays.state_always_open';
  return data.public_holidays ? 'holidays.state_closed' : 'holidays.state_open';
}

export class Holidays {
  /**
   * @param {{change: Function, reload: Function}} page the admin page's helpers:
   *   change(method, url, body, okText) → response or null; reload() after a save.
   */
  constructor(page) {
    this.page = page;
    this.data = null;
    $('#holidays-form').addEventListener('submit', (ev) => this.save(ev));
  }

  /** Show the hours answer of the unit chosen under "Öppettider". */
  show(data) {
    this.data = data;
    $('#holidays-follow').checked = Boolean(data.public_holidays);
    $('#holidays-state').textContent = t(holidayState(data));
    replaceChildren(
      $('#holidays-next'),
      ...holidayLines(data.next_holidays, lang()).map((line) => h('li', {}, line)),
    );
  }

  async save(ev) {
    ev.preventDefault();
    if (!this.data) return;
    const url = `/api/admin/units/${encodeURIComponent(this.data.unit_id)}`;
    const body = { public_holidays: $('#holidays-follow').checked };
    if (await this.page.change('PATCH', url, body, t('admin.saved'))) await this.page.reload();
  }
}
