// Attention while working elsewhere, on the staff page: a count in the tab's
// title ("(3) Chattmottagning") and a short beep for a new patient message in a
// background chat and for new arrivals in the queues, each a preference
// remembered in localStorage; and Web Push for red-flag arrivals while the page
// is closed (common/push.js). Sound plays only after the first click or key on
// the page (browsers refuse audio without a user gesture); nothing blinks or
// moves, so prefers-reduced-motion has nothing to turn off.

import { h } from '../common/dom.js';
import { t } from '../common/i18n.js';
import { enablePush, pushSupported } from '../common/push.js';
import { beep, unlockAudio } from './alert.js';

const PREFS_KEY = 'chat.staff.notify';
export const DEFAULT_PREFS = Object.freeze({ badge: true, soundMessages: false, soundArrivals: false });

/** The stored preferences (pure): booleans from the JSON, defaults for the rest. */
export function readPrefs(raw) {
  let stored = {};
  try {
    stored = JSON.parse(raw || '{}') || {};
  } catch {
    stored = {};
  }
  const prefs = { ...DEFAULT_PREFS };
  for (const key of Object.keys(DEFAULT_PREFS)) {
    if (typeof stored[key] === 'boolean') prefs[key] = stored[key];
  }
  return prefs;
}

/** "(3) Chattmottagning" (pure); the plain title without a count. */
export function badgeTitle(base, count) {
  return count > 0 ? `(${count}) ${base}` : base;
}

/**
 * What a frame brings that asks for attention (pure), from the page's state
 * before and after it: a patient's message in a chat that is not the one in
 * view (or while the page is hidden), and contacts new in the queues (not
 * those already waiting at sign-in).
 */
export function attention(before, after, frame, hidden) {
  const background = hidden || before.active !== frame.contact_id;
  const messages = frame.type === 'message' && frame.sender === 'patient' && background ? 1 : 0;
  let arrivals = 0;
  if (frame.type === 'queues' && before.queues && before.queues.primed) {
    const seen = before.queues.seen || {};
    arrivals = Object.keys(after.queues.seen || {}).filter((id) => !seen[id]).length;
  }
  return { messages, arrivals };
}

export class StaffNotify {
  constructor(root, store = globalThis.localStorage) {
    this.store = store;
    this.prefs = readPrefs(store.getItem(PREFS_KEY));
    this.count = 0;
    this.boxes = {};
    const rows = Object.keys(DEFAULT_PREFS).map((key) => {
      const input = h('input', { type: 'checkbox', id: `notify-${key}`, checked: this.prefs[key] });
      input.addEventListener('change', () => this.setPref(key, input.checked));
      this.boxes[key] = input;
      return h('label', { class: 'choice', for: `notify-${key}` }, input, ' ', h('span', { 'data-key': key }));
    });
    this.pushButton = h('button', { type: 'button', class: 'btn btn--secondary btn--small', id: 'notify-push' });
    this.pushButton.addEventListener('click', () => this.enablePush());
    this.pushStatus = h('p', { class: 'hint', role: 'status', id: 'notify-push-status' });
    this.legend = h('legend');
    this.hint = h('p', { class: 'hint' });
    this.el = h('fieldset', { class: 'card notify-prefs', id: 'notify-prefs' },
      this.legend, ...rows, this.hint, pushSupported() ? [this.pushButton, this.pushStatus] : null);
    root.appendChild(this.el);
    this.relabel();
    // Audio needs a gesture: the first click or key anywhere unlocks it.
    const unlock = () => unlockAudio();
    document.addEventListener('pointerdown', unlock, { once: true });
    document.addEventListener('keydown', unlock, { once: true });
    const seen = () => {
      if (!document.hidden) this.reset();
    };
    window.addEventListener('focus', seen);
    document.addEventListener('visibilitychange', seen);
  }

  relabel() {
    this.legend.textContent = t('notify.staff.heading');
    const keys = { badge: 'notify.staff.badge', soundMessages: 'notify.staff.sound_messages', soundArrivals: 'notify.staff.sound_arrivals' };
    for (const span of this.el.querySelectorAll('span[data-key]')) span.textContent = t(keys[span.dataset.key]);
    this.hint.textContent = t('notify.staff.sound_hint');
    this.pushButton.textContent = t('notify.staff.push');
    this.showTitle();
  }

  setPref(key, value) {
    this.prefs = { ...this.prefs, [key]: value };
    this.store.setItem(PREFS_KEY, JSON.stringify(this.prefs));
    this.showTitle();
  }

  /** After each server frame (staff/app.js dispatch). */
  onFrame(before, after, frame) {
    const { messages, arrivals } = attention(before, after, frame, document.hidden);
    if (!messages && !arrivals) return;
    if (document.hidden || !document.hasFocus()) {
      this.count += messages + arrivals;
      this.showTitle();
    }
    if ((messages && this.prefs.soundMessages) || (arrivals && this.prefs.soundArrivals)) beep();
  }

  reset() {
    this.count = 0;
    this.showTitle();
  }

  showTitle() {
    document.title = badgeTitle(t('staff.title'), this.prefs.badge ? this.count : 0);
  }

  async enablePush() {
    this.pushButton.disabled = true;
    this.pushStatus.textContent = t('notify.working');
    const result = await enablePush();
    this.pushStatus.textContent = t(result === 'on' ? 'notify.staff.push_on' : result === 'denied' ? 'notify.denied' : 'notify.error');
    this.pushButton.disabled = result === 'on';
  }
}
