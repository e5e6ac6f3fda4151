// Keyboard shortcuts of the staff dashboard and the help dialog that lists
// them (`?` opens it; an accessible <dialog>: Esc closes it, the focus goes
// back where it was). shortcutOf() is pure, so node --test checks the keys.

/** Where typing text: a key there is text, not a shortcut (except Alt+…). */
function typingIn(target) {
  if (!target?.tagName) return false;
  const tag = target.tagName.toLowerCase();
  return tag === 'textarea' || tag === 'select' || target.isContentEditable
    || (tag === 'input' && !['checkbox', 'radio', 'button', 'submit'].includes(target.type));
}

/**
 * The shortcut of a keydown, or null: {type: 'help'} for `?` (not while
 * typing), {type: 'next'} for Alt+N, {type: 'chat', index} for Alt+1..9,
 * {type: 'journal'} for Alt+J. `code` is used for Alt+letters: on a Mac,
 * Alt changes `key` (Alt+N gives a tilde).
 */
export function shortcutOf(ev) {
  if (ev.ctrlKey || ev.metaKey) return null;
  if (ev.altKey) {
    if (ev.code === 'KeyN') return { type: 'next' };
    if (ev.code === 'KeyJ') return { type: 'journal' };
    const digit = /^Digit([1-9])$/.exec(ev.code || '');
    return digit ? { type: 'chat', index: Number(digit[1]) - 1 } : null;
  }
  if (ev.key === '?' && !typingIn(ev.target)) return { type: 'help' };
  return null;
}

/**
 * Listen for the shortcuts on `doc`; `handlers`: next(), chat(index),
 * journal(), enabled() (false while signed out). The help dialog is `dialog`,
 * opened by `opener` too.
 */
export function wireShortcuts(doc, dialog, opener, handlers) {
  const open = () => {
    if (!dialog.open) dialog.showModal();
  };
  opener.addEventListener('click', open);
  doc.addEventListener('keydown', (ev) => {
    if (!handlers.enabled() || ev.defaultPrevented) return;
    const cut = shortcutOf(ev);
    if (!cut) return;
    if (doc.querySelector('dialog[open]') && cut.type !== 'help') return;
    ev.preventDefault();
    if (cut.type === 'help') open();
    else if (cut.type === 'next') handlers.next();
    else if (cut.type === 'chat') handlers.chat(cut.index);
    else if (cut.type === 'journal') handlers.journal();
  });
}
