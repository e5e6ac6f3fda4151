// The one translation system of every page: texts in Swedish (default) and
// English, loaded from /static/i18n/<lang>.json and applied to elements marked
// with data-i18n (the page's language) or data-i18n-both (Swedish with English
// beside it, for the bilingual log review). Placeholders are {name}; there are
// no plural rules: a text that counts is worded so any number fits.

import { call } from './http.js';

const SUPPORTED = ['sv', 'en'];
const STORAGE_KEY = 'chat.lang';
const dictionaries = {}; // language → {key: text} once loaded
const loading = {}; // language → the fetch under way or done (each language fetched once)
let current = 'sv';
const listeners = [];

/** `text` with its {name} placeholders filled from `vars` (unknown ones stay). */
export function format(text, vars = {}) {
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/**
 * The language to open in (pure): the one chosen before (`saved`), else the
 * first of the browser's languages (navigator.languages, e.g. ['en-GB', 'sv'])
 * that we have, else Swedish.
 */
export function chooseLang(saved, browserLangs = []) {
  if (SUPPORTED.includes(saved)) return saved;
  for (const tag of browserLangs || []) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (SUPPORTED.includes(base)) return base;
  }
  return 'sv';
}

/** The language this browser opens in: the remembered choice, else the browser's. */
export function preferredLang() {
  const nav = globalThis.navigator;
  const langs = nav?.languages?.length ? nav.languages : [nav?.language].filter(Boolean);
  return chooseLang(localStorage.getItem(STORAGE_KEY), langs);
}

export function lang() {
  return current;
}

/** Fetch the texts of one language (once); resolves when textIn(code, …) works. */
export function loadTexts(code) {
  loading[code] ??= call('GET', `/static/i18n/${code}.json`).then((r) => {
    dictionaries[code] = r.status === 200 ? r.data : {};
    return dictionaries[code];
  });
  return loading[code];
}

/** Text of `key` in a loaded language, placeholders filled; the key itself if missing. */
export function textIn(code, key, vars = {}) {
  const texts = dictionaries[code] || {};
  return format(Object.hasOwn(texts, key) ? texts[key] : key, vars);
}

/** Text of `key` in the page's language. */
export function t(key, vars = {}) {
  return textIn(current, key, vars);
}

/** Whether `key` has a text (for names that come from the server). */
export function has(key) {
  return Object.hasOwn(dictionaries[current] || {}, key);
}

/**
 * A text described as data, as the pages' state keeps it: {key, vars} (a var
 * may itself be such a description, e.g. a level's name) or {text} (already
 * in words, e.g. advice written by the server).
 */
export function translate(desc) {
  if (typeof desc.text === 'string') return desc.text;
  const vars = {};
  for (const [name, value] of Object.entries(desc.vars || {})) {
    vars[name] = value !== null && typeof value === 'object' ? translate(value) : value;
  }
  return t(desc.key, vars);
}

export function onLangChange(fn) {
  listeners.push(fn);
}

/**
 * Show the page in `next`. `remember`: the person chose it (the switch), so
 * every page opens in it from now on; the language a page opens in is not
 * stored, so a browser's language keeps deciding until someone chooses.
 */
export async function setLang(next, { remember = false } = {}) {
  const code = SUPPORTED.includes(next) ? next : 'sv';
  await loadTexts(code);
  current = code;
  if (remember) localStorage.setItem(STORAGE_KEY, code);
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

/** Load both languages for bilingual texts (bothTexts, applyBilingual). */
export async function loadBilingual() {
  await Promise.all(SUPPORTED.map(loadTexts));
}

/**
 * The Swedish and English text of `key` as the bilingual page shows them:
 * {sv, en, sentence}. A sentence (Swedish ends in . ! ?) is followed by its
 * English one; a label gets its English in parentheses; the same word in both
 * languages (an abbreviation such as "Nr") is shown once (en is '').
 */
export function bothTexts(key, vars = {}) {
  const sv = textIn('sv', key, vars);
  const en = textIn('en', key, vars);
  return { sv, en: en === sv ? '' : en, sentence: /[.!?]$/.test(sv) };
}

/** "Sök (Search)": a bilingual text as one plain string (status lines). */
export function both(key, vars = {}) {
  const { sv, en, sentence } = bothTexts(key, vars);
  if (!en) return sv;
  return sentence ? `${sv} ${en}` : `${sv} (${en})`;
}

/**
 * data-i18n-both="key": Swedish, then the English in a lang="en" span so
 * screen readers switch voice. A <title> holds no markup: it keeps the Swedish.
 */
export function applyBilingual(root) {
  for (const el of root.querySelectorAll('[data-i18n-both]')) {
    const { sv, en, sentence } = bothTexts(el.dataset.i18nBoth);
    if (el.tagName === 'TITLE' || !en) {
      el.textContent = sv;
      continue;
    }
    const span = document.createElement('span');
    span.lang = 'en';
    span.textContent = sentence ? en : `(${en})`;
    el.replaceChildren(document.createTextNode(`${sv} `), span);
  }
}

/** Wire a button that toggles Swedish ⇄ English (its own label names the other language). */
export function bindLangSwitch(button) {
  button.addEventListener('click', () => setLang(current === 'sv' ? 'en' : 'sv', { remember: true }));
}
