// Photos on the staff dashboard (docs/protocol.md "Photo attachments"): a
// patient's photo shows as a thumbnail in the chat; the thumbnail is a button
// (Enter or Space) that opens the photo at full size in a modal <dialog>
// (Escape closes it, the focus goes back to the thumbnail); "Be om bild" asks
// the patient for a photo with a `message` frame marked `photo_request`.
// Every image comes from the authenticated endpoint with the session cookie
// (reading it is audited), never from a public address.

import { h } from '../common/dom.js';
import { loadTexts, t, textIn } from '../common/i18n.js';
import { altText, attachmentUrl, hasPhoto } from '../common/photo.js';
import { loadImage, thumbnailImage } from '../common/photo-view.js';

/** The frame that asks the patient of `contactId` for a photo with text `body`. Pure. */
export function photoRequestFrame(contactId, clientId, body) {
  return { type: 'message', contact_id: contactId, client_id: clientId, body, photo_request: true };
}

/** The request's text in the patient's language (the chat's `lang`, else Swedish). */
export async function photoRequestText(patientLang) {
  const code = patientLang === 'en' ? 'en' : 'sv';
  await loadTexts(code);
  return textIn(code, 'photo.request_body');
}

/** The full-size view: one modal <dialog> for the page, made when first needed. */
class PhotoDialog {
  constructor() {
    this.title = h('h2', { id: 'photo-dialog-title', class: 'photo-dialog__title' });
    this.img = h('img', { class: 'photo-dialog__img', hidden: true });
    this.status = h('p', { class: 'photo-dialog__status', role: 'status' });
    this.caption = h('p', { class: 'photo-dialog__caption' });
    this.closeButton = h('button', { type: 'button', class: 'btn btn--primary', autofocus: true });
    this.closeButton.addEventListener('click', () => this.el.close());
    this.el = h('dialog', { class: 'photo-dialog', 'aria-labelledby': 'photo-dialog-title' },
      h('div', { class: 'photo-dialog__head' }, this.title, this.closeButton),
      this.status, this.img, this.caption);
    // Escape closes a modal dialog by itself; either way the focus goes back.
    this.el.addEventListener('close', () => this.closed());
    document.body.appendChild(this.el);
    this.opener = null;
    this.loading = 0; // which opening the image under way belongs to
  }

  /** Show message `m`'s photo; `opener` gets the focus back on close. */
  async open(m, opener) {
    this.opener = opener;
    const alt = altText(m, t);
    this.title.textContent = t('photo.full_heading');
    this.closeButton.textContent = t('photo.close');
    this.caption.textContent = typeof m.body === 'string' ? m.body.trim() : '';
    this.caption.hidden = !this.caption.textContent;
    this.img.alt = alt;
    this.img.hidden = true;
    this.img.removeAttribute('src');
    this.status.textContent = t('photo.loading');
    this.el.showModal();
    this.loading += 1;
    const mine = this.loading;
    const src = await loadImage(attachmentUrl(m.attachment.id, false));
    if (mine !== this.loading || !this.el.open) return;
    if (!src) {
      this.status.textContent = t('photo.load_failed');
      return;
    }
    this.img.src = src;
    this.img.hidden = false;
    this.status.textContent = '';
  }

  closed() {
    this.loading += 1;
    // The full-size copy leaves the page with the dialog.
    this.img.removeAttribute('src');
    const opener = this.opener;
    this.opener = null;
    if (opener?.isConnected) opener.focus();
  }
}

let dialog = null;

/**
 * What a message shows besides its text on the dashboard
 * (common/transcript.js `decorate`): its photo as a thumbnail button.
 */
export function decorate(m) {
  if (!hasPhoto(m)) return null;
  const alt = altText(m, t);
  const { img, status } = thumbnailImage(m, { alt, t });
  const button = h('button', {
    type: 'button', class: 'photo__open', 'aria-haspopup': 'dialog',
  }, img, status, h('span', { class: 'visually-hidden' }, ` (${t('photo.open')})`));
  button.addEventListener('click', () => {
    dialog ??= new PhotoDialog();
    dialog.open(m, button);
  });
  return h('figure', { class: 'photo' }, button);
}

/** "Be om bild" in the reply form of a chat; `onClick` sends the request. */
export function requestButton(form, onClick) {
  const button = h('button', { type: 'button', class: 'btn btn--secondary btn--small photo-ask', 'data-i18n': 'photo.request' },
    t('photo.request'));
  button.addEventListener('click', onClick);
  const row = form.querySelector('.composer__canned') || form;
  row.appendChild(button);
  return button;
}
