// Open chats in tabs (WAI-ARIA tabs pattern, arrow keys move between tabs), each
// with its transcript, internal notes, triage override, transfer, close, canned
// responses and the journal note.

import { $, h, replaceChildren, randomId } from '../common/dom.js';
import { t, lang, applyTexts } from '../common/i18n.js';
import { Transcript } from '../common/transcript.js';
import { levelBadge, flagBadge, tagBadges } from './queues.js';
import { reasonsLine } from './reasons.js';
import { journalNote } from './journal.js';

const TYPING_SEND_EVERY_MS = 3000;
const TYPING_SHOW_MS = 5000;

function safeId(id) {
  return String(id).replace(/[^a-zA-Z0-9_-]/g, '_');
}

class Chat {
  constructor(chats, contact) {
    this.chats = chats;
    this.owner = chats.owner; // the app: user, queues, send, toast, cannedFor
    this.contact = contact;
    this.id = contact.contact_id;
    this.notes = [];
    this.overrides = [];
    this.unread = 0;
    this.closed = contact.status === 'closed';
    this.outcome = contact.outcome || null;
    this.lastTyping = 0;
    this.typingTimer = null;
    this.build();
  }

  build() {
    const sid = safeId(this.id);
    this.tab = h('button', {
      type: 'button', role: 'tab', class: 'tab', id: `tab-${sid}`,
      'aria-controls': `panel-${sid}`, 'aria-selected': 'false', tabindex: '-1',
    });
    this.tab.addEventListener('click', () => this.chats.activate(this.id));
    this.tab.addEventListener('keydown', (ev) => this.chats.tabKey(ev, this.id));
    const panel = $('#panel-template').content.firstElementChild.cloneNode(true);
    panel.id = `panel-${sid}`;
    panel.setAttribute('aria-labelledby', `tab-${sid}`);
    panel.hidden = true;
    for (const el of panel.querySelectorAll('[data-id]')) el.id = `${el.dataset.id}-${sid}`;
    for (const el of panel.querySelectorAll('[data-for]')) el.setAttribute('for', `${el.dataset.for}-${sid}`);
    applyTexts(panel);
    this.panel = panel;
    this.q = (sel) => panel.querySelector(sel);
    const log = this.q('.messages');
    log.setAttribute('aria-label', t('chat.messages_with', { name: this.contact.name }));
    this.transcript = new Transcript(log, {
      isMine: (m) => m.sender === 'staff',
      who: (m) => (m.sender === 'patient' ? this.contact.name : m.sender === 'system' ? t('chat.system') : m.sender_name || t('chat.you')),
      t,
      lang,
    });
    this.q('[data-form="reply"]').addEventListener('submit', (ev) => this.onReply(ev));
    const reply = this.q('[data-id="reply"]');
    reply.addEventListener('input', () => this.onInput());
    reply.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey) {
        ev.preventDefault();
        this.q('[data-form="reply"]').requestSubmit();
      }
    });
    this.q('[data-action="insert-canned"]').addEventListener('click', () => this.insertCanned());
    this.q('[data-form="note"]').addEventListener('submit', (ev) => this.onNote(ev));
    this.q('[data-form="override"]').addEventListener('submit', (ev) => this.onOverride(ev));
    this.q('[data-form="transfer"]').addEventListener('submit', (ev) => this.onTransfer(ev));
    this.q('[data-form="close"]').addEventListener('submit', (ev) => this.onClose(ev));
    this.q('[data-action="copy-journal"]').addEventListener('click', () => this.copyJournal());
    this.q('[data-section="journal"]').addEventListener('toggle', () => this.renderJournal());
    this.q('[data-action="close-tab"]').addEventListener('click', () => this.chats.remove(this.id));
    this.renderHead();
    this.renderTab();
    this.renderQueues();
    this.renderCanned();
  }

  renderHead() {
    const c = this.contact;
    const tri = c.triage || {};
    this.q('.panel__title').textContent = `${c.name}, ${t('chat.age', { age: c.age })}`;
    replaceChildren(this.q('.panel__triage'),
      h('span', {}, `${t('chat.triage')}:`), levelBadge(tri.level || 'standard'),
      tri.red_flag ? flagBadge() : null, tagBadges(tri.tags));
    const why = reasonsLine(tri.reasons);
    replaceChildren(this.q('.panel__reasons'), why ? [...why.childNodes] : []);
    this.q('.panel__reasons').hidden = !why;
    replaceChildren(this.q('.panel__meta'),
      `${t('intake.otherwise')} ${t(`otherwise.${c.would_otherwise || 'unknown'}`)}`);
    this.q('.panel__intake').textContent = c.text || '';
  }

  renderTab() {
    const label = this.closed ? `${this.contact.name} (${t('chats.ended')})` : this.contact.name;
    const children = [label];
    if (this.unread) {
      children.push(' ', h('span', { class: 'tab__unread', 'aria-hidden': 'true' }, String(this.unread)));
      children.push(h('span', { class: 'visually-hidden' }, t('chats.unread', { count: this.unread })));
    }
    replaceChildren(this.tab, children);
    this.tab.classList.toggle('tab--closed', this.closed);
  }

  renderQueues() {
    const select = this.q('[data-id="queue"]');
    const options = this.owner.queues.all()
      .filter((q) => q.id !== this.contact.queue)
      .map((q) => h('option', { value: q.id }, this.owner.queues.label(q)));
    replaceChildren(select, options.length ? options : [h('option', { value: '' }, t('transfer.none'))]);
  }

  renderCanned() {
    const list = this.owner.cannedFor(this.contact.unit_id);
    const select = this.q('[data-id="canned"]');
    replaceChildren(select,
      h('option', { value: '' }, t('canned.choose')),
      list.map((c) => h('option', { value: String(c.id) }, c.title)));
  }

  insertCanned() {
    const id = this.q('[data-id="canned"]').value;
    const c = this.owner.cannedFor(this.contact.unit_id).find((x) => String(x.id) === id);
    if (!c) return;
    const reply = this.q('[data-id="reply"]');
    reply.value = reply.value ? `${reply.value}\n${c.body}` : c.body;
    reply.focus();
  }

  onReply(ev) {
    ev.preventDefault();
    const reply = this.q('[data-id="reply"]');
    const body = reply.value.trim();
    if (!body || this.closed) return;
    const clientId = randomId('s');
    this.transcript.addPending(clientId, body, this.owner.user.display_name);
    this.owner.send({ type: 'message', contact_id: this.id, client_id: clientId, body });
    reply.value = '';
    reply.focus();
  }

  onInput() {
    const now = Date.now();
    if (!this.closed && now - this.lastTyping > TYPING_SEND_EVERY_MS) {
      this.lastTyping = now;
      this.owner.send({ type: 'typing', contact_id: this.id });
    }
  }

  onNote(ev) {
    ev.preventDefault();
    const field = this.q('[data-id="note"]');
    const body = field.value.trim();
    if (!body) return;
    if (this.owner.send({ type: 'note', contact_id: this.id, body })) field.value = '';
  }

  onOverride(ev) {
    ev.preventDefault();
    const reason = this.q('[data-id="reason"]');
    if (!reason.value.trim()) {
      this.fieldError(reason, t('override.err_reason'));
      return;
    }
    this.fieldError(reason, null);
    const level = this.q('[data-id="level"]').value;
    if (this.owner.send({ type: 'override', contact_id: this.id, level, reason: reason.value.trim() })) {
      this.pendingReason = reason.value.trim();
      reason.value = '';
    }
  }

  onTransfer(ev) {
    ev.preventDefault();
    const queue = this.q('[data-id="queue"]').value;
    if (!queue) return;
    const note = this.q('[data-id="tnote"]').value.trim();
    const frame = { type: 'transfer', contact_id: this.id, queue };
    if (note) frame.note = note;
    this.owner.send(frame);
  }

  onClose(ev) {
    ev.preventDefault();
    const select = this.q('[data-id="outcome"]');
    if (!select.value) {
      this.fieldError(select, t('close.err_outcome'));
      return;
    }
    this.fieldError(select, null);
    this.owner.send({ type: 'close', contact_id: this.id, outcome: select.value });
  }

  /** Show (or clear) the error of a field, announced and linked to it. */
  fieldError(field, message) {
    const err = field.form.querySelector('[data-error]');
    err.id = `${field.id}-error`;
    err.textContent = message || '';
    err.hidden = !message;
    if (message) {
      field.setAttribute('aria-invalid', 'true');
      field.setAttribute('aria-describedby', err.id);
      field.focus();
    } else {
      field.removeAttribute('aria-invalid');
      field.removeAttribute('aria-describedby');
    }
  }

  addNote(frame) {
    this.notes.push({ body: frame.body, author: frame.author, at: frame.at });
    const meta = h('span', { class: 'note__meta' }, frame.author || '');
    this.q('.notes').appendChild(h('li', {}, meta, frame.body));
    this.renderJournal();
  }

  setTriage(frame) {
    const before = this.contact.triage || {};
    let reasons = before.reasons || [];
    if (Array.isArray(frame.reasons) && frame.reasons.length) {
      // A raise names its reasons: they go first, earlier ones stay after them.
      const fresh = new Set(frame.reasons.map((r) => r.rule_id));
      reasons = [...frame.reasons, ...reasons.filter((r) => !fresh.has(r.rule_id))];
    }
    this.contact.triage = { ...before, level: frame.level, tags: frame.tags || [], reasons };
    if (frame.previous_level) {
      this.overrides.push({ level: frame.level, previous_level: frame.previous_level, by: frame.by, reason: this.pendingReason || '' });
      this.pendingReason = '';
      this.transcript.notice(t('override.done', { level: t(`level.${frame.level}`) }));
    } else {
      this.transcript.notice(t('override.raised', { level: t(`level.${frame.level}`) }));
    }
    this.renderHead();
    this.renderJournal();
  }

  markEnded(text, outcome) {
    this.closed = true;
    if (outcome) this.outcome = outcome;
    this.transcript.notice(text);
    this.q('[data-form="reply"]').hidden = true;
    for (const f of this.panel.querySelectorAll('[data-form="override"], [data-form="transfer"], [data-form="close"], [data-form="note"]')) {
      f.closest('details, section').hidden = true;
    }
    this.q('[data-action="close-tab"]').hidden = false;
    this.renderTab();
    this.renderJournal();
  }

  typing() {
    const el = this.q('.typing');
    clearTimeout(this.typingTimer);
    el.textContent = t('chat.typing', { name: this.contact.name });
    this.typingTimer = setTimeout(() => { el.textContent = ''; }, TYPING_SHOW_MS);
  }

  clearTyping() {
    clearTimeout(this.typingTimer);
    this.q('.typing').textContent = '';
  }

  renderJournal() {
    this.q('[data-id="journal"]').value = journalNote(
      this.contact, this.transcript.messages(), this.notes, { outcome: this.outcome, overrides: this.overrides });
  }

  async copyJournal() {
    this.renderJournal();
    const field = this.q('[data-id="journal"]');
    const status = this.q('.copied');
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      // Clipboard API refused (not a secure context): select it for Ctrl+C.
      field.focus();
      field.select();
    }
    status.textContent = t('journal.copied');
  }
}

export class Chats {
  constructor(owner) {
    this.owner = owner; // {user, queues, send, toast, cannedFor}
    this.byId = new Map();
    this.active = null;
  }

  get(id) {
    return this.byId.get(id) || null;
  }

  all() {
    return [...this.byId.values()];
  }

  /** Open (or refresh) the chat of an assigned contact; returns it. */
  open(contact, messages, activate) {
    let chat = this.byId.get(contact.contact_id);
    if (!chat) {
      chat = new Chat(this, contact);
      this.byId.set(chat.id, chat);
      $('#tabs').appendChild(chat.tab);
      $('#panels').appendChild(chat.panel);
    } else {
      chat.contact = { ...chat.contact, ...contact };
      chat.renderHead();
    }
    chat.transcript.addAll(messages);
    this.update();
    if (activate || !this.active) this.activate(chat.id);
    return chat;
  }

  activate(id, focus = false) {
    for (const chat of this.byId.values()) {
      const on = chat.id === id;
      chat.tab.setAttribute('aria-selected', on ? 'true' : 'false');
      chat.tab.tabIndex = on ? 0 : -1;
      chat.panel.hidden = !on;
      if (on) {
        chat.unread = 0;
        chat.renderTab();
        if (focus) chat.tab.focus();
      }
    }
    this.active = this.byId.has(id) ? id : null;
  }

  tabKey(ev, id) {
    const ids = [...this.byId.keys()];
    const i = ids.indexOf(id);
    let next = null;
    if (ev.key === 'ArrowRight') next = ids[(i + 1) % ids.length];
    else if (ev.key === 'ArrowLeft') next = ids[(i - 1 + ids.length) % ids.length];
    else if (ev.key === 'Home') next = ids[0];
    else if (ev.key === 'End') next = ids[ids.length - 1];
    if (next) {
      ev.preventDefault();
      this.activate(next, true);
    }
  }

  remove(id) {
    const chat = this.byId.get(id);
    if (!chat) return;
    chat.tab.remove();
    chat.panel.remove();
    this.byId.delete(id);
    if (this.active === id) {
      const first = this.byId.keys().next();
      this.active = null;
      if (!first.done) this.activate(first.value, true);
      else $('#queues-heading').focus();
    }
    this.update();
  }

  /** A patient message arrived: count it as unread unless its tab is in view. */
  message(frame) {
    const chat = this.byId.get(frame.contact_id);
    if (!chat) return;
    if (chat.transcript.add(frame) && frame.sender === 'patient') {
      chat.clearTyping();
      if (this.active !== chat.id || document.hidden) {
        chat.unread += 1;
        chat.renderTab();
      }
    }
  }

  update() {
    $('#no-chats').hidden = this.byId.size > 0;
    $('#tabs').hidden = this.byId.size === 0;
  }

  refreshQueues() {
    for (const chat of this.byId.values()) chat.renderQueues();
  }

  refreshCanned() {
    for (const chat of this.byId.values()) chat.renderCanned();
  }

  relabel() {
    for (const chat of this.byId.values()) {
      applyTexts(chat.panel);
      chat.renderHead();
      chat.renderTab();
    }
  }
}
