// "Texter vid avslut": what a patient reads when the chat ends, per unit and
// outcome, in Swedish and English (GET/PUT/DELETE
// /api/admin/units/{unit}/closing-texts[/{outcome}]). Without the unit's own
// text the built-in one is shown, and the form starts from it.

import { $, h, replaceChildren } from '../common/dom.js';
import { call } from '../common/http.js';
import { t } from '../common/i18n.js';

// The contract's outcomes (PROTOCOL.md "Staff actions"), in its order.
export const OUTCOMES = [
  'resolved_in_chat',
  'physical_visit_booked',
  'video_visit_booked',
  'phone_callback',
  'referred_emergency',
  'referred_other_unit',
  'patient_left',
  'no_response',
];

export class ClosingTexts {
  /**
   * @param {{change: Function, fail: Function}} page the admin page's request
   *   helpers: change(method, url, body, okText) → response or null; fail(response).
   */
  constructor(page) {
    this.page = page;
    this.texts = []; // the chosen unit's texts as the server listed them
    $('#closing-unit').addEventListener('change', () => this.load());
    $('#closing-outcome').addEventListener('change', () => this.fill());
    $('#closing-form').addEventListener('submit', (ev) => this.save(ev));
    $('#closing-reset').addEventListener('click', () => this.reset());
  }

  url(outcome = '') {
    const base = `/api/admin/units/${encodeURIComponent($('#closing-unit').value)}/closing-texts`;
    return outcome ? `${base}/${encodeURIComponent(outcome)}` : base;
  }

  /** The outcome list in the page's language (the chosen one kept). */
  relabel() {
    const select = $('#closing-outcome');
    const keep = select.value || OUTCOMES[0];
    replaceChildren(select, OUTCOMES.map((o) => h('option', { value: o }, t(`outcome.${o}`))));
    select.value = keep;
    this.fill();
  }

  async load() {
    if (!$('#closing-unit').value) return;
    this.relabel();
    const r = await call('GET', this.url());
    if (r.status !== 200) {
      this.page.fail(r);
      return;
    }
    this.texts = r.data.texts;
    this.fill();
  }

  /** The chosen outcome's texts into the form; whether they are the unit's own. */
  fill() {
    const text = this.texts.find((x) => x.outcome === $('#closing-outcome').value);
    $('#closing-sv').value = text ? text.sv : '';
    $('#closing-en').value = text ? text.en : '';
    $('#closing-state').textContent = text ? t(text.custom ? 'outcome.admin_custom' : 'outcome.admin_default') : '';
    $('#closing-reset').disabled = !text?.custom;
  }

  async save(ev) {
    ev.preventDefault();
    const outcome = $('#closing-outcome').value;
    const body = { sv: $('#closing-sv').value.trim(), en: $('#closing-en').value.trim() };
    if (await this.page.change('PUT', this.url(outcome), body, t('admin.saved'))) await this.load();
  }

  async reset() {
    const outcome = $('#closing-outcome').value;
    if (await this.page.change('DELETE', this.url(outcome), undefined, t('outcome.admin_reset_done'))) {
      await this.load();
      $('#closing-sv').focus();
    }
  }
}
