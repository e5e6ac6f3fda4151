// Follow-up questions while waiting or chatting: a short yes/no card above the
// messages. Questions come from the intake reply (201), the welcome frame (the
// open ones) and `followup` pushes; the answers go out as `followup_answers`
// and the card hides on `followup_ack`. A yes makes the server raise the
// contact to emergency (a `triage` frame with the 112 advice follows).

import { $, h, replaceChildren } from '../common/dom.js';
import { t } from '../common/i18n.js';

export class Followup {
  /**
   * @param {{send: (frame: object) => boolean, notice: (text: string) => void,
   *          onEmergency: () => void}} handlers
   *   send: a frame on the socket (false when offline); notice: a line in the
   *   transcript; onEmergency: the answers said yes (the 112 advice must show).
   */
  constructor(handlers) {
    this.handlers = handlers;
    this.questions = []; // [{id, text, help?}] still open
    this.chosen = new Map(); // question id → true (yes) | false (no)
    this.sent = null; // ids sent and not acknowledged yet, or null
    $('#followup-form').addEventListener('submit', (ev) => this.onSubmit(ev));
    $('#followup-questions').addEventListener('change', (ev) => {
      const input = ev.target;
      if (input && input.dataset && input.dataset.qid) {
        this.chosen.set(input.dataset.qid, input.value === 'yes');
        this.error(null);
      }
    });
  }

  /** The open questions as the server knows them (welcome): replaces the card. */
  set(questions) {
    this.sent = null;
    this.questions = [];
    this.add(questions || [], false);
  }

  /** More questions (intake reply, push): added to the card, each once. */
  add(questions, announce = true) {
    const known = new Set(this.questions.map((q) => q.id));
    const fresh = (questions || []).filter((q) => q && q.id && !known.has(q.id));
    this.questions.push(...fresh);
    this.render();
    if (announce && fresh.length) this.handlers.notice(t('followup.notice'));
  }

  render() {
    const card = $('#followup');
    if (!this.questions.length) {
      card.hidden = true;
      replaceChildren($('#followup-questions'));
      return;
    }
    const items = this.questions.map((q) => {
      const name = `followup-${q.id}`;
      const helpId = q.help ? `${name}-help` : null;
      const answer = this.chosen.get(q.id);
      const option = (value, key, checked) =>
        h('label', { class: 'yesno__option' },
          h('input', { type: 'radio', name, value, checked, 'data-qid': q.id }),
          ' ', h('span', { 'data-i18n': key }, t(key)));
      return h('fieldset', { class: 'followup__q', 'data-qid': q.id, 'aria-describedby': helpId },
        h('legend', {}, q.text),
        q.help ? h('p', { class: 'hint', id: helpId }, q.help) : null,
        h('div', { class: 'yesno' },
          option('yes', 'followup.yes', answer === true),
          option('no', 'followup.no', answer === false)));
    });
    replaceChildren($('#followup-questions'), items);
    $('#followup-send').disabled = this.sent !== null;
    card.hidden = false;
  }

  onSubmit(ev) {
    ev.preventDefault();
    if (this.sent) return;
    const answers = {};
    for (const q of this.questions) if (this.chosen.has(q.id)) answers[q.id] = this.chosen.get(q.id);
    const anyYes = Object.values(answers).includes(true);
    const open = this.questions.filter((q) => !(q.id in answers));
    // A single yes goes out at once: it alone decides (112), the rest can wait.
    if (!anyYes && open.length) {
      this.error(t('followup.err_answer'));
      const first = document.querySelector(`#followup-questions input[data-qid="${CSS.escape(open[0].id)}"]`);
      if (first) first.focus();
      return;
    }
    if (!this.handlers.send({ type: 'followup_answers', answers })) {
      this.error(t('followup.err_offline'));
      if (anyYes) this.handlers.onEmergency();
      return;
    }
    this.error(null);
    this.sent = Object.keys(answers);
    $('#followup-send').disabled = true;
    if (anyYes) this.handlers.onEmergency();
  }

  /** `followup_ack`: the answered questions leave the card (hidden when none remain). */
  ack() {
    const done = new Set(this.sent || []);
    this.sent = null;
    this.questions = this.questions.filter((q) => !done.has(q.id));
    for (const id of done) this.chosen.delete(id);
    this.render();
    this.handlers.notice(t('followup.thanks'));
  }

  /** The server refused the answers: they can be sent again. */
  failed() {
    if (this.sent === null) return false;
    this.sent = null;
    $('#followup-send').disabled = false;
    this.error(t('error.generic'));
    return true;
  }

  error(message) {
    const el = $('#followup-error');
    el.textContent = message || '';
    el.hidden = !message;
  }
}
