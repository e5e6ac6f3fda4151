// The view of the live queues of the user's units (state.js merges them from
// `welcome.queues` and `queues` pushes): each with count, oldest wait, level
// colour and its contacts.

import { $, h, minutes, replaceChildren } from '../common/dom.js';
import { has, t } from '../common/i18n.js';
import { reasonsLine } from './reasons.js';
import { queueLabel } from './state.js';

const LEVEL_ORDER = ['emergency', 'urgent', 'standard', 'non_urgent'];

export function levelBadge(level) {
  return h('span', { class: `badge badge--${level}` }, t(`level.${level}`));
}

export function flagBadge() {
  return h('span', { class: 'badge badge--flag' }, t('queues.red_flag'));
}

/** An identified waiting patient: the badge says so in words, not only by colour. */
export function identifiedBadge() {
  return h('span', { class: 'badge badge--identified', title: t('staff.identity_badge_hint') },
    t('staff.identity_badge'),
    h('span', { class: 'visually-hidden' }, ` (${t('staff.identity_badge_hint')})`));
}

/** A triage tag in words (`staff.tag.*`); an unknown code is shown as it is. */
export function tagLabel(tag) {
  return has(`staff.tag.${tag}`) ? t(`staff.tag.${tag}`) : tag;
}

export function tagBadges(tags) {
  return (tags || []).map((tag) => h('span', { class: 'badge badge--tag' }, tagLabel(tag)));
}

/** The patient's language in words (`staff.lang.*`), or its code. */
export function langLabel(code) {
  return code && has(`staff.lang.${code}`) ? t(`staff.lang.${code}`) : code || '';
}

export class QueuesView {
  /** @param {{onPick: (queueId: string, contactId?: string) => void}} handlers */
  constructor(handlers) {
    this.handlers = handlers;
  }

  /** Show the queues of `state` (state.js). */
  render(state) {
    const list = $('#queue-list');
    const cards = state.queues.list.map((q) => this.card(q, queueLabel(state, q)));
    if (!cards.length) cards.push(h('p', { class: 'card empty' }, t('queues.none')));
    // Keep keyboard focus on the same button across re-renders.
    const focused = document.activeElement?.dataset ? document.activeElement.dataset.focusKey : null;
    replaceChildren(list, cards);
    if (focused) {
      const again = list.querySelector(`[data-focus-key="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  }

  card(q, label) {
    const contacts = q.contacts || [];
    const top = LEVEL_ORDER.find((lv) => contacts.some((c) => c.level === lv)) || 'none';
    const headingId = `queue-${q.id.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
    const oldest = contacts.length ? t('queues.oldest', { minutes: minutes(q.oldest_wait_s) }) : t('queues.empty');
    const items = contacts.map((c) =>
      h('li', { class: 'queue__contact', 'data-testid': 'queue-row' },
        h('div', { class: 'queue__who' },
          // Who, in which language, how urgent (in words) and how long waited.
          h('p', { class: 'queue__line' },
            h('strong', { class: 'queue__name' }, `${c.position}. ${c.name || ''}`), ' ',
            c.lang ? h('span', { class: 'queue__lang' }, t('staff.queue.lang', { lang: langLabel(c.lang) })) : null, ' ',
            levelBadge(c.level), ' ',
            c.red_flag ? flagBadge() : null, c.red_flag ? ' ' : null,
            c.identified ? identifiedBadge() : null, c.identified ? ' ' : null,
            h('span', { class: 'queue__waited' }, t('queues.waited', { minutes: minutes(c.waited_s) })),
          ),
          // The first words of the complaint, as the patient wrote them.
          c.preview ? h('p', { class: 'queue__preview', lang: c.lang || null }, c.preview) : null,
          (c.tags || []).length ? h('p', { class: 'queue__tags' }, tagBadges(c.tags)) : null,
          // What raised the level (red-flag words, yes-answers), like a contact's triage.
          reasonsLine(c.reasons || c.triage?.reasons, 'reasons reasons--row'),
        ),
        h('button', {
          type: 'button',
          class: 'btn btn--secondary btn--small',
          'data-focus-key': `pick-${c.contact_id}`,
          'aria-label': `${t('queues.pick_this', { position: c.position, level: t(`level.${c.level}`) })}: ${c.name || ''}`,
        }, t('queues.pick_one')),
      ),
    );
    items.forEach((li, i) => {
      li.querySelector('button').addEventListener('click', () => this.handlers.onPick(q.id, contacts[i].contact_id));
    });
    const next = h('button', {
      type: 'button',
      class: 'btn btn--primary btn--small',
      disabled: contacts.length === 0,
      'data-focus-key': `next-${q.id}`,
      'aria-describedby': headingId,
    }, t('queues.pick_next'));
    next.addEventListener('click', () => this.handlers.onPick(q.id));
    return h('section', { class: `queue queue--${top}`, 'aria-labelledby': headingId },
      h('h2', { id: headingId }, `${label} – ${t('queues.count', { count: q.count ?? contacts.length })}`),
      h('p', { class: 'queue__stats' }, oldest),
      next,
      items.length ? h('ul', { class: 'queue__contacts' }, items) : null,
    );
  }
}
