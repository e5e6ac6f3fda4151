// Why a contact has its triage level, in a line a nurse reads at a glance: the
// words that raised it (the `matched` words of the most urgent reasons), the
// patient's yes to a screen or follow-up question ("Answered yes: …"), and a
// marker when the learned safety net raised it ("Raised by model 87 %", the
// model's name in the tooltip).
//
// A reason is {rule_id, level, matched: [words]}, plus {model, probability}
// when the safety net added it (rule_id "ML-safety-net"); screen answers have
// rule ids "SCREEN-<question>", follow-up answers "FOLLOWUP-<question>".

import { h } from '../common/dom.js';
import { t } from '../common/i18n.js';

const LEVEL_RANK = { emergency: 0, urgent: 1, standard: 2, non_urgent: 3 };
const ANSWER_PREFIXES = ['SCREEN-', 'FOLLOWUP-'];

function rank(reason) {
  return LEVEL_RANK[reason?.level] ?? 9;
}

function isAnswer(reason) {
  return ANSWER_PREFIXES.some((p) => String(reason.rule_id || '').startsWith(p));
}

/** The reasons at the most urgent level among them (those that set the level). */
export function topReasons(reasons) {
  const list = (reasons || []).filter((r) => r && typeof r === 'object');
  if (!list.length) return [];
  const best = Math.min(...list.map(rank));
  return list.filter((r) => rank(r) === best);
}

/** Whole percent of a probability 0..1 (null when there is none). */
function percent(p) {
  const n = Number(p);
  return Number.isFinite(n) ? Math.round(n * 100) : null;
}

/**
 * The parts of the line: {answers: [question text], words: [word], models: [{model, percent}]}.
 * Words are deduplicated in order; model markers come from any reason with a model.
 */
export function summarize(reasons) {
  const top = topReasons(reasons);
  const answers = [];
  const words = [];
  for (const r of top) {
    const matched = Array.isArray(r.matched) ? r.matched.map(String).filter(Boolean) : [];
    if (isAnswer(r)) answers.push(...matched.slice(0, 1));
    else words.push(...matched);
  }
  const models = (reasons || [])
    .filter((r) => r?.model)
    .map((r) => ({ model: String(r.model), percent: percent(r.probability) }));
  return { answers: [...new Set(answers)], words: [...new Set(words)], models };
}

/** A <p> with the words, the answers and the model marker; null when there is nothing. */
export function reasonsLine(reasons, className = 'reasons') {
  const { answers, words, models } = summarize(reasons);
  if (!answers.length && !words.length && !models.length) return null;
  const parts = [];
  for (const m of models) {
    const title = t('reasons.model_title', { model: m.model });
    parts.push(h('span', { class: 'badge badge--model', title },
      t('reasons.model', { percent: m.percent ?? '?' }),
      // The tooltip is for the mouse; screen readers get the name as text.
      h('span', { class: 'visually-hidden' }, ` (${title})`)));
  }
  for (const question of answers) {
    parts.push(h('span', { class: 'reasons__answer' }, t('reasons.answered_yes', { question })));
  }
  if (words.length) {
    parts.push(h('span', { class: 'reasons__words' }, t('reasons.words', { words: words.join(', ') })));
  }
  return h('p', { class: className }, parts);
}
