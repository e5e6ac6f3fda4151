// The view of one conversation's message log (common/message-log.js): stored
// messages, notices, then our own messages still pending. Rendering reuses the
// element of every entry already shown (keyed by seq, notice id or client_id),
// so the role="log" region announces only what is new. Bodies are inserted as
// text nodes only.

import { clock, h } from './dom.js';
import { translate } from './i18n.js';

function keyOf(entry) {
  return entry.kind === 'message' ? `m${entry.seq}` : `n${entry.id}`;
}

/**
 * Bring `listEl` in line with `log`.
 * @param {{who: (m: object) => string, t: Function, lang: () => string, decorate?: Function}} opts
 *   who: the sender's name as shown; t and lang: the page's texts; decorate:
 *   what a message shows besides its text (a photo: patient/photos.js,
 *   staff/photos.js), an element or null.
 */
export function renderTranscript(listEl, log, opts) {
  const wanted = log.entries.map((e) => [keyOf(e), () => (e.kind === 'message'
    ? messageView(e.message, 'sent', log.self, opts)
    : noticeView(e.notice))]);
  for (const p of log.pending) {
    // A message the server could not store yet is being retried: "Sparar …".
    const state = p.saving ? 'saving' : 'pending';
    wanted.push([`p${p.client_id}-${state}`, () => messageView({ ...p, mine: true }, state, log.self, opts)]);
  }
  const shown = new Map([...listEl.children].map((el) => [el.dataset.key, el]));
  let cursor = listEl.firstElementChild;
  for (const [key, make] of wanted) {
    let el = shown.get(key);
    shown.delete(key);
    if (!el) {
      el = make();
      el.dataset.key = key;
    }
    if (el === cursor) cursor = cursor.nextElementSibling;
    else listEl.insertBefore(el, cursor);
  }
  for (const el of shown.values()) el.remove();
}

function noticeView(notice) {
  return h('div', { class: 'msg msg--notice' }, h('p', { class: 'msg__body' }, translate(notice)));
}

function messageView(m, state, self, { who, t, lang, decorate }) {
  const mine = m.mine || m.sender === self;
  const kind = m.sender === 'system' ? 'system' : mine ? 'mine' : 'theirs';
  let status = mine ? t('chat.sent') : '';
  if (state === 'pending') status = t('chat.pending');
  else if (state === 'saving') status = t('chat.saving');
  const extra = decorate ? decorate(m) : null;
  return h(
    'div',
    {
      class: `msg msg--${kind}`,
      'data-state': state,
      'data-seq': m.seq !== undefined ? m.seq : null,
      'data-client-id': m.client_id || null,
    },
    h('p', { class: 'msg__meta' },
      h('span', { class: 'msg__who' }, who(m)),
      ' ',
      h('time', { class: 'msg__time', datetime: m.sent_at || null }, clock(m.sent_at, lang())),
    ),
    // A photo's text is its caption: a photo without one shows no empty line.
    m.body || !extra ? h('p', { class: 'msg__body' }, m.body) : null,
    extra,
    status ? h('p', { class: 'msg__state' }, status) : null,
  );
}
