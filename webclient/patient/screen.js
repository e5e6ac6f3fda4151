// The red-flag screen: a short yes/no step between "who and where" (unit, name,
// age) and the free-text description. The questions come from
// GET /api/intake/questions for the patient's age band and language; any ticked
// box means "call 112" (the caller submits the intake with the answers and shows
// the emergency advice), "None of this" opens the free-text step and the intake
// is later sent with every answer false.

import { $, h, replaceChildren } from '../common/dom.js';
import { call } from '../common/http.js';
import { lang, t } from '../common/i18n.js';

// Typing "45" passes through "4" (a child's screen): wait for the typing to settle.
const REFETCH_DELAY_MS = 300;

export class Screen {
  /**
   * @param {{onYes: () => void, onNone: () => void, onReset: () => void,
   *          onFail: () => void, onStep: () => void}} handlers
   *   onYes: "Continue" with a ticked box; onNone: "None of this" was chosen;
   *   onReset: the questions are open (again); onFail: they could not be loaded;
   *   onStep: the step was shown or hidden.
   */
  constructor(handlers) {
    this.handlers = handlers;
    this.questions = []; // [{id, text, help?}] shown now
    this.key = ''; // "lang:age" the questions were fetched for
    this.answered = false; // "None of this" chosen for the current questions
    this.failed = false; // the questions could not be loaded
    this.timer = null;
    this.dirty = false; // a change waits for REFETCH_DELAY_MS before fetching
    this.pending = null; // the fetch in flight (a Promise), or null
    this.seq = 0;
    $('#screen-none').addEventListener('click', () => this.chooseNone());
    // "None of this" only once the questions are there to be read.
    $('#screen-none').disabled = true;
    $('#screen-continue').addEventListener('click', () => this.onContinue());
    $('#screen-change').addEventListener('click', () => this.reopen());
    $('#screen-retry').addEventListener('click', () => this.refresh(true));
    $('#screen-questions').addEventListener('change', () => this.clearError());
  }

  /** Show or hide the whole step (the page's other steps follow: onStep). */
  visible(shown) {
    $('#screen').hidden = !shown;
    this.handlers.onStep();
  }

  /** Age from the form when it is a whole number 0..120, else null. */
  static age() {
    const raw = $('#age').value.trim();
    const age = Number(raw);
    return raw && Number.isInteger(age) && age >= 0 && age <= 120 ? age : null;
  }

  /** Unit and age are known: the screen can be shown. */
  static ready() {
    return Boolean($('#unit').value) && Screen.age() !== null;
  }

  /** The unit or age field changed: fetch the questions again once typing settles. */
  changed() {
    clearTimeout(this.timer);
    if (!Screen.ready()) {
      // Keep answers (a cleared age may be retyped), but hide the step until it is valid.
      this.dirty = false;
      this.visible(false);
      return;
    }
    this.dirty = true;
    this.timer = setTimeout(() => this.refresh(), REFETCH_DELAY_MS);
  }

  /** Fetch the questions for the current age and language (again, when `force`). */
  async refresh(force = false) {
    clearTimeout(this.timer);
    this.dirty = false;
    if (!Screen.ready()) {
      this.visible(false);
      return;
    }
    const age = Screen.age();
    const key = `${lang()}:${age}`;
    this.visible(true);
    if (!force && key === this.key && !this.failed) return;
    const seq = ++this.seq;
    const work = this.load(age, key, seq);
    this.pending = work;
    await work;
    if (this.pending === work) this.pending = null;
  }

  async load(age, key, seq) {
    const status = $('#screen-status');
    status.textContent = t('screen.loading');
    const r = await call('GET', `/api/intake/questions?lang=${lang()}&age=${age}`);
    const questions = r.status === 200 ? r.data.questions : null;
    if (seq !== this.seq) return; // a later change superseded this fetch
    status.textContent = '';
    if (!Array.isArray(questions)) {
      // Care must not hang on the screen: the free text (triaged too) opens.
      this.failed = true;
      $('#screen-load-error').hidden = false;
      this.handlers.onFail();
      return;
    }
    this.failed = false;
    $('#screen-load-error').hidden = true;
    this.show(questions, key);
  }

  /** Show `questions`, keeping ticks (and "None of this") when the ids are the same. */
  show(questions, key) {
    const before = this.questions.map((q) => q.id).join(',');
    const after = questions.map((q) => q.id).join(',');
    const ticked = new Set(this.yesIds());
    this.questions = questions;
    this.key = key;
    const items = questions.map((q) => {
      const inputId = `screen-q-${q.id}`;
      const helpId = q.help ? `${inputId}-help` : null;
      return h('div', { class: 'screen__item' },
        h('label', { class: 'choice', for: inputId },
          h('input', {
            type: 'checkbox', id: inputId, name: 'screen', value: q.id,
            checked: ticked.has(q.id), 'aria-describedby': helpId,
          }),
          h('span', {}, q.text)),
        q.help ? h('p', { class: 'hint screen__help', id: helpId }, q.help) : null);
    });
    replaceChildren($('#screen-questions'), items);
    $('#screen-none').disabled = false;
    // Another age band: an earlier "None of this" answered other questions.
    if (before !== after) this.answered = false;
    if (!this.answered) this.handlers.onReset();
    this.render();
  }

  /** Wait for a fetch in flight (a submit right after an age change). */
  async settled() {
    if (this.dirty) await this.refresh();
    while (this.pending) await this.pending;
  }

  yesIds() {
    return [...document.querySelectorAll('#screen-questions input[type="checkbox"]:checked')].map((el) => el.value);
  }

  /** Texts of the ticked questions (the intake text when the patient wrote none). */
  yesTexts() {
    const yes = new Set(this.yesIds());
    return this.questions.filter((q) => yes.has(q.id)).map((q) => q.text);
  }

  /** {id: bool} for every question shown (null when none could be loaded). */
  answers() {
    if (!this.questions.length || this.failed) return null;
    const yes = new Set(this.yesIds());
    return Object.fromEntries(this.questions.map((q) => [q.id, yes.has(q.id)]));
  }

  /** "yes" (a box ticked), "none" (None of this), "skipped" (could not load) or "open". */
  status() {
    if (this.yesIds().length) return 'yes';
    if (this.answered) return 'none';
    if (this.failed) return 'skipped';
    return 'open';
  }

  chooseNone() {
    for (const box of document.querySelectorAll('#screen-questions input[type="checkbox"]')) box.checked = false;
    this.answered = true;
    this.clearError();
    this.render();
    this.handlers.onNone();
  }

  onContinue() {
    if (this.yesIds().length) {
      this.clearError();
      this.handlers.onYes();
    } else {
      this.demand();
    }
  }

  /** Ask for an answer: the error next to the questions, focus on the first box. */
  demand() {
    const err = $('#screen-error');
    err.textContent = t('screen.err_choose');
    err.hidden = false;
    $('#screen-set').setAttribute('aria-describedby', 'screen-hint screen-error');
    const first = document.querySelector('#screen-questions input');
    if (first) first.focus();
    else $('#screen-none').focus();
  }

  clearError() {
    const err = $('#screen-error');
    err.textContent = '';
    err.hidden = true;
    $('#screen-set').setAttribute('aria-describedby', 'screen-hint');
  }

  reopen() {
    this.answered = false;
    this.render();
    this.handlers.onReset();
    const first = document.querySelector('#screen-questions input');
    if (first) first.focus();
  }

  /** The questions while open; a one-line summary once "None of this" is chosen. */
  render() {
    $('#screen-set').hidden = this.answered;
    $('#screen-done').hidden = !this.answered;
  }

  /** After a language switch: texts made here, in the new language. */
  relabel() {
    if (!$('#screen-error').hidden) $('#screen-error').textContent = t('screen.err_choose');
    if (!$('#screen').hidden) this.refresh();
  }
}
