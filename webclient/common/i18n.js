// Texts of the client in Swedish (default) and English, loaded from
// /static/i18n/<lang>.json and applied to elements marked with data-i18n*.

const SUPPORTED = ['sv', 'en'];
const STORAGE_KEY = 'chat.lang';
let texts = {};
let current = 'sv';
const listeners = [];

export function preferredLang() {
  const saved = localStorage.getItem(STORAGE_KEY);
  return SUPPORTED.includes(saved) ? saved : 'sv';
}

export function lang() {
  return current;
}

/** Text of `key` with {name} placeholders filled in; the key itself if missing. */
export function t(key, vars = {}) {
  const text = Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

export function onLangChange(fn) {
  listeners.push(fn);
}

export async function setLang(next) {
  const code = SUPPORTED.includes(next) ? next : 'sv';
  const resp = await fetch(`/static/i18n/${code}.json`, { credentials: 'same-origin' });
  texts = await resp.json();
  current = code;
  localStorage.setItem(STORAGE_KEY, code);
  document.documentElement.lang = code;
  applyTexts(document);
  for (const fn of listeners) fn(code);
}

/**
 * data-i18n="key" sets textContent; data-i18n-attr="aria-label:key;placeholder:key2"
 * sets attributes. The <title> carries data-i18n too.
 */
export function applyTexts(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      if (attr && key) el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}

/** Wire a button that toggles Swedish ⇄ English (its own label names the other language). */
export function bindLangSwitch(button) {
  button.addEventListener('click', () => setLang(current === 'sv' ? 'en' : 'sv'));
}
