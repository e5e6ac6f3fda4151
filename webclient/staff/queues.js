// Live queues of the user's units: merged by id from `welcome.queues` and
// `queues` pushes; each with count, oldest wait, level colour and its contacts.

import { $, h, replaceChildren, minutes } from '../common/dom.js';
import { t } from '../common/i18n.js';
import { reasonsLine } from './reasons.js';

const LEVEL_ORDER = ['emergency', 'urgent', 'standard', 'non_urgent'];

export function levelBadge(level) {
  return h('span', { class: `badge badge--${level}` }, t(`level.${level}`));
}

export function flagBadge() {
  return h('span', { class: 'badge badge--flag' }, t('queues.red_flag'));
}

export function tagBadges(tags) {
  return (tags || []).map((tag) => h('span', { class: 'badge badge--tag' }, tag));
}

export class Queues {
  /** @param {{onPick: (queueId: string, contactId?: string) => void, onNew: (c: object) => void}} handlers */
  constructor(handlers) {
    this.handlers = handlers;
    this.byId = new Map();
    this.seen = new Set();
    this.primed = false;
  }

  /** Merge queues (a push names only the changed unit's queues). */
  merge(queues) {
    for (const q of queues || []) this.byId.set(q.id, q);
    const fresh = [];
    for (const q of this.byId.values()) {
      for (const c of q.contacts || []) {
        if (!this.seen.has(c.contact_id)) {
          this.seen.add(c.contact_id);
          fresh.push(c);
        }
      }
    }
    // Contacts already waiting at sign-in are not "new"; later arrivals are.
    if (this.primed) {
      for (const c of fresh) {
        if (c.red_flag || c.level === 'emergency' || c.level === 'urgent') this.handlers.onNew(c);
      }
    }
    this.primed = true;
    this.render();
  }

  all() {
    return [...this.byId.values()];
  }

  render() {
    const list = $('#queue-list');
    const cards = this.all().map((q) => this.card(q));
    if (!cards.length) cards.push(h('p', { class: 'card empty' }, t('queues.none')));
    // Keep keyboard focus on the same button across re-renders.
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.focusKey : null;
    replaceChildren(list, cards);
    if (focused) {
      const again = list.querySelector(`[data-focus-key="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  }

  /** The queue's name, with its unit when the user works in more than one. */
  label(q) {
    const units = new Set(this.all().map((x) => x.unit_id));
    return units.size > 1 ? `${q.unit_id} · ${q.name}` : q.name;
  }

  card(q) {
    const contacts = q.contacts || [];
    const top = LEVEL_ORDER.find((lv) => contacts.some((c) => c.level === lv)) || 'none';
    const headingId = `queue-${q.id.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
    const oldest = contacts.length ? t('queues.oldest', { minutes: minutes(q.oldest_wait_s) }) : t('queues.empty');
    const items = contacts.map((c) =>
      h('li', { class: 'queue__contact' },
        h('div', { class: 'queue__who' },
          h('p', {},
            `${c.position}. `,
            levelBadge(c.level), ' ',
            c.red_flag ? flagBadge() : null, c.red_flag ? ' ' : null,
            tagBadges(c.tags), ' ',
            t('queues.waited', { minutes: minutes(c.waited_s) }),
          ),
          // What raised the level (rows carry `reasons` like a contact's triage).
          reasonsLine(c.reasons || (c.triage && c.triage.reasons), 'reasons reasons--row'),
        ),
        h('button', {
          type: 'button',
          class: 'btn btn--secondary btn--small',
          'data-focus-key': `pick-${c.contact_id}`,
          'aria-label': t('queues.pick_this', { position: c.position, level: t(`level.${c.level}`) }),
        }, t('queues.pick_one')),
      ),
    );
    items.forEach((li, i) => li.querySelector('button').addEventListener('click', () => this.handlers.onPick(q.id, contacts[i].contact_id)));
    const next = h('button', {
      type: 'button',
      class: 'btn btn--primary btn--small',
      disabled: contacts.length === 0,
      'data-focus-key': `next-${q.id}`,
      'aria-describedby': headingId,
    }, t('queues.pick_next'));
    next.addEventListener('click', () => this.handlers.onPick(q.id));
    return h('section', { class: `queue queue--${top}`, 'aria-labelledby': headingId },
      h('h2', { id: headingId }, `${this.label(q)} – ${t('queues.count', { count: q.count ?? contacts.length })}`),
      h('p', { class: 'queue__stats' }, oldest),
      next,
      items.length ? h('ul', { class: 'queue__contacts' }, items) : null,
    );
  }
}
