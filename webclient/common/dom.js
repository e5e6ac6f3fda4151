// Building DOM without HTML strings: every text goes in as a text node, so chat
// text can never become markup (no innerHTML anywhere in the client).

/**
 * h('p', {class: 'x', 'aria-live': 'polite'}, 'text', child) → element.
 * Attributes are set with setAttribute (never on* handlers: CSP forbids them anyway);
 * `hidden` and `disabled` accept booleans.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Replace every child of `el` (text stays text). */
export function replaceChildren(el, ...children) {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, children);
}

export function $(selector, root = document) {
  const el = root.querySelector(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return el;
}

/** Show exactly one of the views (elements with class "view"). */
export function showView(id) {
  for (const view of document.querySelectorAll('.view')) view.hidden = view.id !== id;
}

/** Short random id for client_id (unique per sender; crypto when available). */
export function randomId(prefix = 'c') {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** "14:05" in the page's language. */
export function clock(iso, lang) {
  const d = iso ? new Date(iso) : new Date();
  return d.toLocaleTimeString(lang === 'en' ? 'en-GB' : 'sv-SE', { hour: '2-digit', minute: '2-digit' });
}

/** Whole minutes, at least 1, for waits shown to people. */
export function minutes(seconds) {
  return Math.max(1, Math.round((Number(seconds) || 0) / 60));
}
