// Follow-up questions while waiting or chatting: a short yes/no card above the
// messages. The questions, what was sent and the card's error live in the
// chat's state (state.js: `followup`); this card shows them and reports the
// patient's answers. A yes makes the server raise the contact to emergency
// (a `triage` frame with the 112 advice follows).

import { $, h, replaceChildren } from '../common/dom.js';
import { t } from '../common/i18n.js';

export class FollowupCard {
  /**
   * @param {{onAnswers: (answers: object) => void, onChange: () => void}} handlers
   *   onAnswers: "Send the answers" with {question id: bool} of those chosen;
   *   onChange: an answer was chosen (the card's error can go).
   */
  constructor(handlers) {
    this.handlers = handlers;
    this.shown = null; // the `followup` state last rendered
    this.chosen = new Map(); // question id → true (yes) | false (no): the radios' state
    $('#followup-form').addEventListener('submit', (ev) => this.onSubmit(ev));
    $('#followup-questions').addEventListener('change', (ev) => {
      const input = ev.target;
      if (input?.dataset?.qid) {
        this.chosen.set(input.dataset.qid, input.value === 'yes');
        this.handlers.onChange();
      }
    });
  }

  /** Show `followup` ({questions, sent, error}); the questions are rebuilt only when they change. */
  render(followup, force = false) {
    const before = this.shown;
    this.shown = followup;
    if (force || !before || before.questions !== followup.questions) this.renderQuestions(followup.questions);
    $('#followup-send').disabled = followup.sent !== null;
    const err = $('#followup-error');
    err.textContent = followup.error ? t(followup.error) : '';
    err.hidden = !followup.error;
  }

  renderQuestions(questions) {
    const card = $('#followup');
    const ids = new Set(questions.map((q) => q.id));
    for (const id of [...this.chosen.keys()]) if (!ids.has(id)) this.chosen.delete(id);
    if (!questions.length) {
      card.hidden = true;
      replaceChildren($('#followup-questions'));
      return;
    }
    const items = questions.map((q) => {
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
    card.hidden = false;
  }

  /** Keyboard focus to the first radio of question `id` (it needs an answer). */
  focusQuestion(id) {
    const first = document.querySelector(`#followup-questions input[data-qid="${CSS.escape(id)}"]`);
    if (first) first.focus();
  }

  onSubmit(ev) {
    ev.preventDefault();
    if (!this.shown || this.shown.sent) return;
    const answers = {};
    for (const q of this.shown.questions) if (this.chosen.has(q.id)) answers[q.id] = this.chosen.get(q.id);
    this.handlers.onAnswers(answers);
  }
}
