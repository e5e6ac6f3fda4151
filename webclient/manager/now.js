// "Just nu": the manager's units at this moment (GET /api/stats/now), read
// again every few seconds while the page is visible. Counts only: waiting per
// queue, the oldest wait, staff online and chats per staff member.

import { clock, h, replaceChildren } from '../common/dom.js';
import { call } from '../common/http.js';
import { lang, t } from '../common/i18n.js';
import { minutesText } from './format.js';

// Often enough to feel live, rare enough to cost nothing (one small query per unit).
export const NOW_REFRESH_MS = 5000;

export class NowView {
  constructor(section) {
    this.section = section;
    this.timer = null;
    this.data = null; // the last answer, null before the first one
    this.failed = false;
    document.addEventListener('visibilitychange', () => {
      if (this.timer === null) return;
      if (!document.hidden) this.load();
    });
  }

  /** Read now and then every NOW_REFRESH_MS (not while the tab is hidden). */
  start() {
    this.stop();
    this.timer = setInterval(() => {
      if (!document.hidden) this.load();
    }, NOW_REFRESH_MS);
    this.render(); // "Loading …" under its heading until the first answer
    this.load();
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.data = null;
    replaceChildren(this.section);
  }

  async load() {
    const r = await call('GET', '/api/stats/now');
    if (this.timer === null) return; // signed out meanwhile
    this.failed = r.status !== 200;
    if (!this.failed) this.data = r.data;
    this.render();
  }

  render() {
    if (this.timer === null) return;
    const body = [];
    if (this.failed) body.push(h('p', { class: 'form-error' }, t('manager.now_failed')));
    if (this.data) {
      body.push(h('p', { class: 'hint', id: 'now-updated' },
        t('manager.now_updated', { time: clock(new Date(this.data.at * 1000).toISOString(), lang()) })));
      for (const unit of this.data.units) body.push(unitView(unit));
    } else if (!this.failed) {
      body.push(h('p', { class: 'hint' }, t('common.loading')));
    }
    replaceChildren(this.section,
      h('h2', { id: 'h-now' }, t('manager.now_heading')),
      h('p', { class: 'hint' }, t('manager.now_note')),
      body);
  }
}

/** A table's box: it may scroll sideways on a phone, so it takes the keyboard focus. */
function scrollable(label) {
  return { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': label };
}

function figure(label, value, id) {
  return [h('dt', {}, label), h('dd', { class: 'figures__value', 'data-figure': id }, value)];
}

function unitView(unit) {
  const headingId = `now-${unit.unit_id}`;
  return h('div', { class: 'now-unit', 'aria-labelledby': headingId, role: 'group' },
    h('h3', { id: headingId }, unit.name),
    h('dl', { class: 'figures now-figures' },
      figure(t('manager.now_waiting'), String(unit.waiting), 'waiting'),
      figure(t('manager.now_oldest'), minutesText(unit.oldest_wait_s, lang()), 'oldest'),
      figure(t('manager.now_staff_online'), String(unit.staff_online), 'staff_online'),
      figure(t('manager.now_open_chats'), String(unit.open_chats), 'open_chats')),
    h('div', { class: 'now-tables' },
      h('div', scrollable(t('manager.now_queues')), h('table', { class: 'stat-table' },
        h('caption', {}, t('manager.now_queues')),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, t('manager.queue')),
          h('th', { scope: 'col' }, t('manager.now_waiting')),
          h('th', { scope: 'col' }, t('manager.now_oldest')))),
        h('tbody', {}, unit.queues.map((q) => h('tr', {},
          h('th', { scope: 'row' }, q.name),
          h('td', {}, String(q.waiting)),
          h('td', {}, minutesText(q.oldest_wait_s, lang()))))))),
      h('div', scrollable(t('manager.now_per_staff')), h('table', { class: 'stat-table' },
        h('caption', {}, t('manager.now_per_staff')),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, t('manager.now_staff')),
          h('th', { scope: 'col' }, t('manager.now_chats')),
          h('th', { scope: 'col' }, t('manager.now_online')))),
        h('tbody', {}, unit.chats_per_staff.length
          ? unit.chats_per_staff.map((s) => h('tr', {},
            h('th', { scope: 'row' }, s.display_name),
            h('td', {}, String(s.chats)),
            h('td', {}, t(s.online ? 'manager.now_yes' : 'manager.now_no'))))
          : h('tr', {}, h('td', { colspan: '3' }, t('manager.now_no_staff'))))))));
}
