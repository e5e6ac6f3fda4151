// Notifications while away, on the patient page: the optional mobile number of
// the intake (shown only where the unit's chat sends SMS) and the button
// "Meddela mig när det är min tur" in the chat, which asks for permission on
// that click only and subscribes this browser (common/push.js).

import { $, h } from '../common/dom.js';
import { t } from '../common/i18n.js';
import { enablePush, pushSupported } from '../common/push.js';

/** Whether the intake offers the SMS field (pure): a listed unit sends SMS. */
export function smsOffered(units) {
  return (units || []).some((u) => u && u.sms === true);
}

/** Show or hide the intake's phone field for the listed units. */
export function showPhoneField(units) {
  const field = $('#phone-field');
  if (field) field.hidden = !smsOffered(units);
}

/** The phone number of the intake, as `{phone}` to spread into the body, or {} (pure of the DOM's value). */
export function phoneOf(field = $('#phone-field'), input = $('#phone')) {
  if (!field || field.hidden || !input) return {};
  const value = input.value.trim();
  return value ? { phone: value } : {};
}

/** The status line's text key for an enablePush() result (pure). */
export function resultKey(result) {
  return { on: 'notify.on', denied: 'notify.denied', unsupported: 'notify.unsupported' }[result] || 'notify.error';
}

/** The offer in the chat view; render(chat) keeps it in step with the chat's status. */
export class PatientNotify {
  constructor(token) {
    this.token = token;
    this.state = 'offer'; // offer | working | on | denied | unsupported | error
    this.button = h('button', { type: 'button', class: 'btn btn--secondary', id: 'notify-offer' });
    this.hint = h('p', { class: 'hint', id: 'notify-hint' });
    this.status = h('p', { class: 'hint', id: 'notify-status', role: 'status' });
    this.el = h('section', { class: 'card notify-offer', id: 'notify-card', 'aria-labelledby': 'notify-offer', hidden: true },
      this.button, this.hint, this.status);
    this.button.addEventListener('click', () => this.enable());
    const anchor = $('#chat-status');
    anchor.insertAdjacentElement('afterend', this.el);
    this.relabel();
  }

  async enable() {
    this.state = 'working';
    this.relabel();
    const result = await enablePush({ bearer: this.token });
    this.state = result;
    this.relabel();
  }

  relabel() {
    this.button.textContent = t('notify.offer');
    this.button.disabled = this.state === 'working' || this.state === 'on';
    this.hint.textContent = t('notify.offer_hint');
    this.status.textContent = this.state === 'offer' ? '' : t(this.state === 'working' ? 'notify.working' : resultKey(this.state));
  }

  /** Offered while the chat is open, in a browser that can show notifications. */
  render(chat) {
    this.el.hidden = !pushSupported() || chat.status === 'closed';
  }

  remove() {
    this.el.remove();
  }
}
