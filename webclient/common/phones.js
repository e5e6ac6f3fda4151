// Phone numbers shown to patients as large tap-to-call links.

import { h } from './dom.js';
import { t } from './i18n.js';

const KNOWN = { 112: 'phone.112', 90101: 'phone.90101', 1177: 'phone.1177' };

/** <li><a href="tel:112">Ring 112 …</a></li> for each number. */
export function phoneItems(numbers) {
  return numbers.map((raw) => {
    const number = String(raw).replace(/[^0-9+]/g, '');
    const label = KNOWN[number] ? t(KNOWN[number]) : number;
    const cls = number === '112' ? 'phone-link phone-link--emergency' : 'phone-link';
    return h('li', {}, h('a', { class: cls, href: `tel:${number}` }, label));
  });
}
