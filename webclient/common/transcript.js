// One conversation's message list: every message exactly once (deduplicated by
// seq), in seq order, with the sender's own messages shown pending until acked.
// Bodies are inserted as text nodes only.

import { h, clock } from './dom.js';

export class Transcript {
  /**
   * @param {HTMLElement} listEl the role="log" container
   * @param {{isMine: (m: object) => boolean, who: (m: object) => string,
   *          t: Function, lang: () => string}} opts
   */
  constructor(listEl, opts) {
    this.listEl = listEl;
    this.opts = opts;
    this.bySeq = new Map(); // seq → message
    this.pending = new Map(); // client_id → {body, el}
    this.lastSeq = 0;
  }

  /** Add a stored message; false when it was already shown. */
  add(m) {
    if (typeof m.seq !== 'number' || this.bySeq.has(m.seq)) return false;
    this.bySeq.set(m.seq, m);
    this.lastSeq = Math.max(this.lastSeq, m.seq);
    const pending = m.client_id ? this.pending.get(m.client_id) : null;
    if (pending && this.opts.isMine(m)) {
      // Our own message came back (another tab, or a resume): settle the pending one.
      this.pending.delete(m.client_id);
      pending.el.remove();
    }
    const el = this.render(m, 'sent');
    // Insert before the first later message (history can arrive after live ones).
    const later = [...this.listEl.querySelectorAll('[data-seq]')].find(
      (e) => Number(e.dataset.seq) > m.seq,
    );
    const firstPending = this.listEl.querySelector('[data-state="pending"]');
    this.listEl.insertBefore(el, later || firstPending || null);
    return true;
  }

  addAll(messages) {
    let added = 0;
    for (const m of messages || []) if (this.add(m)) added += 1;
    return added;
  }

  /** Show our own message right away, marked as pending. */
  addPending(clientId, body, senderName) {
    const m = { client_id: clientId, body, sender_name: senderName, mine: true };
    const el = this.render(m, 'pending');
    this.pending.set(clientId, { body, el });
    this.listEl.appendChild(el);
    return el;
  }

  /** The server stored our message as `seq`. */
  ack(clientId, seq, senderFields) {
    const p = this.pending.get(clientId);
    if (!p) return;
    this.pending.delete(clientId);
    p.el.remove();
    // The ack carries no time: the moment it arrived is within milliseconds of it.
    this.add({ sent_at: new Date().toISOString(), ...senderFields, client_id: clientId, body: p.body, seq, mine: true });
  }

  /** Messages still waiting for an ack, to resend with the same client_id. */
  unacked() {
    return [...this.pending.entries()].map(([clientId, p]) => ({ client_id: clientId, body: p.body }));
  }

  /** A line from the service itself (nurse joined, chat closed); not a message. */
  notice(text) {
    const el = h('div', { class: 'msg msg--notice' }, h('p', { class: 'msg__body' }, text));
    this.listEl.appendChild(el);
    return el;
  }

  messages() {
    return [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  render(m, state) {
    const { t, lang } = this.opts;
    const mine = m.mine || this.opts.isMine(m);
    const kind = m.sender === 'system' ? 'system' : mine ? 'mine' : 'theirs';
    const status = state === 'pending' ? t('chat.pending') : mine ? t('chat.sent') : '';
    return h(
      'div',
      {
        class: `msg msg--${kind}`,
        'data-state': state,
        'data-seq': m.seq !== undefined ? m.seq : null,
        'data-client-id': m.client_id || null,
      },
      h('p', { class: 'msg__meta' },
        h('span', { class: 'msg__who' }, this.opts.who(m)),
        ' ',
        h('time', { class: 'msg__time', datetime: m.sent_at || null }, clock(m.sent_at, lang())),
      ),
      h('p', { class: 'msg__body' }, m.body),
      status ? h('p', { class: 'msg__state' }, status) : null,
    );
  }
}
