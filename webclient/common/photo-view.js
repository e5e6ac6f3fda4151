// A photo in the transcript: loaded from the authenticated endpoint
// (GET /api/attachments/{id}, never a public address) with the page's
// credentials — the patient's token as Bearer, the staff session's cookie —
// through common/http.js callBlob (`cache: 'no-store'`: no copy stays in the
// browser's HTTP cache).
//
// The loaded bytes become a `data:` address: the pages' Content-Security-Policy
// allows `img-src 'self' data:` and no `blob:`, so an object URL would not show.
// A data: address needs no revoking: it goes when its <img> goes.

import { h } from './dom.js';
import { callBlob } from './http.js';
import { attachmentUrl, fitWithin, THUMB_EDGE_PX } from './photo.js';

/** A Blob (or File) as a data: address, or null when it cannot be read. */
export function blobSrc(blob) {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === 'string' ? reader.result : null);
    reader.onerror = () => resolve(null);
    reader.readAsDataURL(blob);
  });
}

/**
 * The image at `url` as an address for <img src>, or null (refused, gone,
 * network down). `bearer`: the patient's token; without it the staff
 * session's cookie goes along.
 */
export async function loadImage(url, bearer = '') {
  const { blob } = await callBlob(url, { bearer });
  return blob ? blobSrc(blob) : null;
}

/**
 * The thumbnail of message `m`'s attachment: an <img> with the size the
 * server's thumbnail will have (from the attachment's width and height),
 * shown once loaded; until then "Laddar bild …", and "Bilden kunde inte
 * visas" when it cannot be loaded.
 */
export function thumbnailImage(m, { alt, bearer = '', t }) {
  const a = m.attachment;
  const fit = fitWithin(Number(a.width), Number(a.height), THUMB_EDGE_PX);
  const img = h('img', {
    class: 'photo__img',
    alt,
    width: fit ? fit.width : null,
    height: fit ? fit.height : null,
    hidden: true,
  });
  const status = h('span', { class: 'photo__status' }, t('photo.loading'));
  loadImage(attachmentUrl(a.id, true), bearer).then((src) => {
    if (!src) {
      status.textContent = t('photo.load_failed');
      return;
    }
    img.src = src;
    img.hidden = false;
    status.remove();
  });
  return { img, status };
}
