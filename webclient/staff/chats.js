// The view of the open chats (state.js `chats`) in tabs (WAI-ARIA tabs
// pattern, arrow keys move between tabs), each with its transcript, internal
// notes, triage override, transfer, close, canned responses and the journal
// note. What the user does goes to the page's `actions`; the state comes back
// through render().

import { $, h, replaceChildren } from '../common/dom.js';
import { applyTexts, lang, t } from '../common/i18n.js';
import { messages } from '../common/message-log.js';
import { renderTranscript } from '../common/transcript.js';
import { formatPersonnummer, identityMethod } from './identity.js';
import { journalNote } from './journal.js';
import { decorate as photoView, requestButton } from './photos.js';
import { flagBadge, langLabel, levelBadge, tagBadges } from './queues.js';
import { reasonsLine } from './reasons.js';
import { minutesSince, queueLabel, waitingSince } from './state.js';

// The patient's socket gone this long: the tab and the header say so.
const GONE_NOTICE_MIN = 1;

function safeId(id) {
  return String(id).replace(/[^a-zA-Z0-9_-]/g, '_');
}

/** One chat's tab and panel. */
class ChatView {
  /**
   * @param {string} id contact_id
   * @param {object} chat its state (state.js)
   * @param {object} actions the page's handlers: activate(id, focus), tabKey(ev, id),
   *   reply(id, body), typing(id), note(id, body), override(id, level, reason),
   *   transfer(id, queue, note), close(id, outcome), closeTab(id), cannedFor(unit),
   *   showPersonnummer(id), photoRequest(id)
   */
  constructor(id, chat, actions) {
    this.id = id;
    this.actions = actions;
    this.chat = null; // the state last rendered
    const sid = safeId(id);
    this.tab = h('button', {
      type: 'button', role: 'tab', class: 'tab', id: `tab-${sid}`,
      'aria-controls': `panel-${sid}`, 'aria-selected': 'false', tabindex: '-1',
    });
    this.tab.addEventListener('click', () => actions.activate(id, false));
    this.tab.addEventListener('keydown', (ev) => actions.tabKey(ev, id));
    const panel = $('#panel-template').content.firstElementChild.cloneNode(true);
    panel.id = `panel-${sid}`;
    panel.setAttribute('aria-labelledby', `tab-${sid}`);
    panel.hidden = true;
    for (const el of panel.querySelectorAll('[data-id]')) el.id = `${el.dataset.id}-${sid}`;
    for (const el of panel.querySelectorAll('[data-for]')) el.setAttribute('for', `${el.dataset.for}-${sid}`);
    applyTexts(panel);
    this.panel = panel;
    this.q = (sel) => panel.querySelector(sel);
    this.q('.messages').setAttribute('aria-label', t('chat.messages_with', { name: chat.contact.name }));
    this.q('[data-form="reply"]').addEventListener('submit', (ev) => this.onReply(ev));
    const reply = this.q('[data-id="reply"]');
    reply.addEventListener('input', () => {
      if (!this.chat.closed) actions.typing(id);
    });
    reply.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey) {
        ev.preventDefault();
        this.q('[data-form="reply"]').requestSubmit();
      }
    });
    this.q('[data-action="insert-canned"]').addEventListener('click', () => this.insertCanned());
    requestButton(this.q('[data-form="reply"]'), () => actions.photoRequest(id));
    this.q('[data-form="note"]').addEventListener('submit', (ev) => this.onNote(ev));
    this.q('[data-form="override"]').addEventListener('submit', (ev) => this.onOverride(ev));
    this.q('[data-form="transfer"]').addEventListener('submit', (ev) => this.onTransfer(ev));
    this.q('[data-form="close"]').addEventListener('submit', (ev) => this.onClose(ev));
    this.q('[data-action="copy-journal"]').addEventListener('click', () => this.copyJournal());
    this.q('[data-section="journal"]').addEventListener('toggle', () => this.renderJournal());
    this.q('[data-action="close-tab"]').addEventListener('click', () => actions.closeTab(id));
  }

  /**
   * Show `chat`. `state` is the whole dashboard (for the queues and which chat
   * is active); `all` redraws everything (first render, language switch).
   */
  render(chat, state, { all = false, queuesChanged = false } = {}) {
    const prev = this.chat;
    this.chat = chat;
    const changed = (pick) => all || !prev || pick(prev) !== pick(chat);
    if (changed((c) => c.contact)) this.renderHead();
    if (changed((c) => c.contact) || changed((c) => c.personnummer) || changed((c) => c.identityPending)) {
      this.renderIdentity();
    }
    if (changed((c) => c.log)) {
      renderTranscript(this.q('.messages'), chat.log, {
        who: (m) => {
          if (m.sender === 'patient') return chat.contact.name;
          if (m.sender === 'system') return t('chat.system');
          return m.sender_name || t('chat.you');
        },
        t,
        lang,
        decorate: photoView,
      });
    }
    if (changed((c) => c.notes)) this.renderNotes();
    if (changed((c) => c.screening)) this.renderScreening();
    if (changed((c) => c.typing)) {
      this.q('.typing').textContent = chat.typing ? t('chat.typing', { name: chat.contact.name }) : '';
    }
    if (all || queuesChanged || changed((c) => c.contact.queue)) this.renderQueues(state);
    // After a language switch too: its first option ("Choose a canned reply") is a text.
    if (!prev || all) this.renderCanned();
    if (changed((c) => c.closed)) this.renderEnded();
    if (changed((c) => c.unseen)) this.renderUnseen();
    this.renderTab();
    this.renderStatus();
    const on = state.active === this.id;
    this.tab.setAttribute('aria-selected', on ? 'true' : 'false');
    this.tab.tabIndex = on ? 0 : -1;
    this.panel.hidden = !on;
    if (prev && prev !== chat && this.q('[data-section="journal"]').open) this.renderJournal();
  }

  renderHead() {
    const c = this.chat.contact;
    const tri = c.triage || {};
    this.q('.panel__title').textContent = `${c.name}, ${t('chat.age', { age: c.age })}`;
    replaceChildren(this.q('.panel__triage'),
      h('span', {}, `${t('chat.triage')}:`), levelBadge(tri.level || 'standard'),
      tri.red_flag ? flagBadge() : null, tagBadges(tri.tags));
    const why = reasonsLine(tri.reasons);
    replaceChildren(this.q('.panel__reasons'), why ? [...why.childNodes] : []);
    this.q('.panel__reasons').hidden = !why;
    replaceChildren(this.q('.panel__meta'),
      c.lang ? h('span', { class: 'panel__lang', 'data-testid': 'chat-lang' }, t('staff.queue.lang', { lang: langLabel(c.lang) })) : null,
      `${t('intake.otherwise')} ${t(`otherwise.${c.would_otherwise || 'unknown'}`)}`);
    this.q('.panel__intake').textContent = c.text || '';
  }

  /**
   * Who the patient is: "Identifierad med BankID", the age from the
   * personnummer and "Visa personnummer" (an audited read), then the number;
   * or "Anonym – ej identifierad".
   */
  renderIdentity() {
    const { contact: c, personnummer, identityPending } = this.chat;
    const line = this.q('.panel__identity');
    if (!c.identified) {
      replaceChildren(line, h('span', { class: 'identity--anonymous' }, t('staff.identity_anonymous')));
      return;
    }
    const hadFocus = line.contains(document.activeElement);
    const method = t(`staff.identity_method_${identityMethod(c.identity_method)}`);
    const parts = [
      h('span', { class: 'identity--identified' }, t('staff.identity_by', { method })),
      h('span', {}, t('staff.identity_age', { age: c.age })),
    ];
    if (c.reported_age != null && c.reported_age !== c.age) {
      parts.push(h('span', {}, t('staff.identity_reported_age', { age: c.reported_age })));
    }
    let number = null;
    if (personnummer) {
      number = h('span', { class: 'identity__pnr', 'data-testid': 'personnummer', tabindex: '-1' },
        formatPersonnummer(personnummer));
      parts.push(h('span', {}, `${t('staff.identity_personnummer')}:`), number);
    } else {
      const show = h('button', {
        type: 'button',
        class: 'btn btn--quiet btn--small',
        'data-testid': 'show-personnummer',
        disabled: identityPending,
      }, t('staff.identity_show'));
      show.addEventListener('click', () => this.actions.showPersonnummer(this.id));
      parts.push(show);
    }
    // Spaces between the parts keep the line's text readable (copy, screen readers).
    replaceChildren(line, parts.flatMap((part, i) => (i ? [' ', part] : [part])));
    // The button gave way to the number: the focus follows it (and reads it out).
    if (hadFocus && number) number.focus();
  }

  /** Notes that travelled with the contact and the ones written here; a transfer note says so. */
  renderNotes() {
    replaceChildren(this.q('.notes'), this.chat.notes.map((n) => {
      const meta = n.kind === 'transfer'
        ? t('staff.handover.transfer_note', { author: n.author || t('staff.handover.someone') })
        : n.author || '';
      return h('li', { class: n.kind === 'transfer' ? 'note--transfer' : null },
        h('span', { class: 'note__meta' }, meta), n.body);
    }));
  }

  /** The red-flag screen's answers at intake: yes first (they raised the level). */
  renderScreening() {
    const answers = [...(this.chat.screening || [])].sort((a, b) => Number(b.answer) - Number(a.answer));
    const box = this.q('[data-testid="screening"]');
    box.hidden = answers.length === 0;
    replaceChildren(this.q('.screening__list'), answers.map((a) =>
      h('li', { class: a.answer ? 'screening__yes' : null },
        `${lang() === 'en' ? a.en : a.sv} `,
        h('strong', {}, t(a.answer ? 'staff.handover.yes' : 'staff.handover.no')))));
  }

  /**
   * What the patient's side is: left, or gone for a while (presence frames);
   * `short` for the tab ("ej ansluten 3 min"), else the header's sentence.
   */
  status(nowMs, short = false) {
    const { closed, outcome, presence } = this.chat;
    if (closed && outcome === 'patient_left') return t('staff.presence.left');
    if (closed || !presence || presence.patient !== 'disconnected') return '';
    const minutes = minutesSince(presence.since, nowMs);
    const key = short ? 'staff.presence.tab_gone' : 'staff.presence.gone';
    return minutes >= GONE_NOTICE_MIN ? t(key, { minutes }) : t(`${key}_now`);
  }

  renderStatus(nowMs = Date.now()) {
    const el = this.q('.panel__status');
    const text = this.status(nowMs);
    if (el.textContent !== text) el.textContent = text;
    el.hidden = !text;
  }

  /** The tab: name, level in words, "waiting for your reply N min", the patient's status. */
  renderTab(nowMs = Date.now()) {
    const { contact, closed, unread } = this.chat;
    const level = contact.triage?.level || 'standard';
    const since = waitingSince(this.chat);
    const status = this.status(nowMs, true);
    const children = [
      h('span', { class: 'tab__name' }, closed ? `${contact.name} (${t('chats.ended')})` : contact.name),
      closed ? null : h('span', { class: `tab__level tab__level--${level}` }, t(`level.${level}`)),
      since ? h('span', { class: 'tab__wait', 'data-testid': 'tab-wait' },
        t('staff.tab.waiting', { minutes: minutesSince(since, nowMs) })) : null,
      status ? h('span', { class: 'tab__status' }, status) : null,
    ].filter(Boolean).flatMap((part, i) => (i ? [' ', part] : [part]));
    if (unread) {
      children.push(' ', h('span', { class: 'tab__unread', 'aria-hidden': 'true' }, String(unread)));
      children.push(h('span', { class: 'visually-hidden' }, t('chats.unread', { count: unread })));
    }
    replaceChildren(this.tab, children);
    this.tab.classList.toggle('tab--closed', closed);
  }

  /** An ended chat keeps its transcript; the reply and the tools go, "close the tab" comes. */
  renderEnded() {
    const closed = this.chat.closed;
    this.q('[data-form="reply"]').hidden = closed;
    for (const f of this.panel.querySelectorAll('[data-form="override"], [data-form="transfer"], [data-form="close"], [data-form="note"]')) {
      f.closest('details, section').hidden = closed;
    }
    this.q('[data-action="close-tab"]').hidden = !closed;
  }

  /**
   * A close refused because the patient wrote something new: said by the close
   * button (and in the transcript) until the nurse closes again.
   */
  renderUnseen() {
    const el = this.q('[data-close-unseen]');
    const shown = this.chat.unseen !== null && !this.chat.closed;
    el.textContent = shown ? t('chats.unseen_messages') : '';
    el.hidden = !shown;
  }

  renderQueues(state) {
    const select = this.q('[data-id="queue"]');
    const options = state.queues.list
      .filter((q) => q.id !== this.chat.contact.queue)
      .map((q) => h('option', { value: q.id }, queueLabel(state, q)));
    replaceChildren(select, options.length ? options : [h('option', { value: '' }, t('transfer.none'))]);
  }

  renderCanned() {
    const list = this.actions.cannedFor(this.chat.contact.unit_id);
    const select = this.q('[data-id="canned"]');
    replaceChildren(select,
      h('option', { value: '' }, t('canned.choose')),
      list.map((c) => h('option', { value: String(c.id) }, c.title)));
  }

  renderJournal() {
    const { contact, log, notes, outcome, overrides, personnummer, screening } = this.chat;
    // A number withheld from the frame but read on request starts the note too.
    const who = contact.personnummer || !personnummer ? contact : { ...contact, personnummer };
    this.q('[data-id="journal"]').value = journalNote(who, messages(log), notes, { outcome, overrides, screening });
  }

  insertCanned() {
    const id = this.q('[data-id="canned"]').value;
    const c = this.actions.cannedFor(this.chat.contact.unit_id).find((x) => String(x.id) === id);
    if (!c) return;
    const reply = this.q('[data-id="reply"]');
    reply.value = reply.value ? `${reply.value}\n${c.body}` : c.body;
    reply.focus();
  }

  onReply(ev) {
    ev.preventDefault();
    const reply = this.q('[data-id="reply"]');
    const body = reply.value.trim();
    if (!body || this.chat.closed) return;
    this.actions.reply(this.id, body);
    reply.value = '';
    reply.focus();
  }

  onNote(ev) {
    ev.preventDefault();
    const field = this.q('[data-id="note"]');
    const body = field.value.trim();
    if (!body) return;
    if (this.actions.note(this.id, body)) field.value = '';
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
    if (this.actions.override(this.id, level, reason.value.trim())) reason.value = '';
  }

  onTransfer(ev) {
    ev.preventDefault();
    const queue = this.q('[data-id="queue"]').value;
    if (!queue) return;
    this.actions.transfer(this.id, queue, this.q('[data-id="tnote"]').value.trim());
  }

  onClose(ev) {
    ev.preventDefault();
    const select = this.q('[data-id="outcome"]');
    if (!select.value) {
      this.fieldError(select, t('close.err_outcome'));
      return;
    }
    this.fieldError(select, null);
    // One tap must not end a chat: a dialog names the patient and the outcome first.
    const dialog = $('#close-confirm');
    const outcome = select.value;
    $('#close-confirm-text').textContent = t('staff.close.confirm_text', {
      name: this.chat.contact.name, outcome: t(`outcome.${outcome}`),
    });
    dialog.returnValue = '';
    dialog.onclose = () => {
      dialog.onclose = null;
      if (dialog.returnValue === 'close') this.actions.close(this.id, outcome);
      else select.form.querySelector('[type="submit"]').focus();
    };
    dialog.showModal();
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

  async copyJournal() {
    this.renderJournal();
    const field = this.q('[data-id="journal"]');
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      // Clipboard API refused (not a secure context): select it for Ctrl+C.
      field.focus();
      field.select();
    }
    this.q('.copied').textContent = t('journal.copied');
  }
}

export class ChatsView {
  /** @param {object} actions the page's handlers (see ChatView) */
  constructor(actions) {
    this.actions = actions;
    this.views = new Map(); // contact_id → ChatView, in tab order
  }

  /** Bring the tabs and panels in line with `state`; `all` redraws every text. */
  render(prev, state, all = false) {
    const queuesChanged = !prev || prev.queues !== state.queues;
    const ids = new Set(state.chats.map((c) => c.contact.contact_id));
    for (const [id, view] of this.views) {
      if (!ids.has(id)) {
        view.tab.remove();
        view.panel.remove();
        this.views.delete(id);
      }
    }
    for (const chat of state.chats) {
      const id = chat.contact.contact_id;
      let view = this.views.get(id);
      if (!view) {
        view = new ChatView(id, chat, this.actions);
        this.views.set(id, view);
        $('#tabs').appendChild(view.tab);
        $('#panels').appendChild(view.panel);
      }
      if (all) applyTexts(view.panel);
      view.render(chat, state, { all, queuesChanged });
    }
    $('#no-chats').hidden = state.chats.length > 0;
    $('#tabs').hidden = state.chats.length === 0;
  }

  /** The canned responses were (re)loaded. */
  refreshCanned() {
    for (const view of this.views.values()) view.renderCanned();
  }

  /** The clock moved on: the tabs' waiting times and the patients' status. */
  tick(nowMs = Date.now()) {
    for (const view of this.views.values()) {
      if (!view.chat) continue;
      view.renderTab(nowMs);
      view.renderStatus(nowMs);
    }
  }

  /** Open the journal note of chat `id` and put the focus on it. */
  openJournal(id) {
    const view = this.views.get(id);
    if (!view) return;
    const section = view.q('[data-section="journal"]');
    section.open = true;
    view.renderJournal();
    view.q('[data-id="journal"]').focus();
  }

  focusTab(id) {
    const view = this.views.get(id);
    if (view) view.tab.focus();
  }

  focusReply(id) {
    const view = this.views.get(id);
    if (view) view.q('[data-id="reply"]').focus();
  }
}
