// Photo attachments (docs/protocol.md "Photo attachments"), the pure parts the
// patient and staff pages share: how big a photo is sent and shown, what an
// upload's answer means (done, try again with the same client_id, or a text
// for the patient), and the alt text of a photo. No DOM, no network.
//
// An upload: {clientId, attempt, state, errorKey}
//   clientId  the multipart `client_id`: one per photo, the same on every try,
//             so a try the server stored but could not answer is not stored twice
//             (the server answers it again with 200 and "duplicate": true)
//   attempt   tries made before the current one (0 on the first)
//   state     'sending' | 'waiting' (before the next try) | 'done' | 'failed'
//   errorKey  the i18n key of what went wrong ('failed' only)

import { backoffDelay } from './message-log.js';

// The long side of what the client sends, in px: 2048 keeps a skin rash or a
// wound sharp at full screen and brings a 12-megapixel phone photo from ~4 MB
// down to ~0.5 MB (the server re-encodes it anyway and is the authority).
export const MAX_EDGE_PX = 2048;
// The server's thumbnails (GET /api/attachments/{id}?size=thumb) are at most
// this on the long side (docs/protocol.md).
export const THUMB_EDGE_PX = 320;
// JPEG quality of a downscaled photo: 0.85 is the usual point where artefacts
// are not visible while the size keeps falling steeply.
export const JPEG_QUALITY = 0.85;
// The server's default CHATSERVER_ATTACHMENT_MAX_BYTES (10 MiB): a bigger file
// is re-encoded before it is sent, if the browser can decode it.
export const MAX_BYTES = 10 * 1024 * 1024;

// Tries of one upload before the patient is asked to send it again: the
// waits between them (1 s doubling, at most 16 s, jittered) add up to about
// half a minute, longer than a train tunnel or a restart of the service.
export const MAX_ATTEMPTS = 6;
const RETRY_START_MS = 1000;
const RETRY_MAX_MS = 16000;
// A Retry-After longer than this is not waited for by itself.
const RETRY_AFTER_CAP_MS = 30000;

/**
 * The size to draw a `width` × `height` image at so that its long side is at
 * most `max` px (never enlarged), or null when the size is unknown.
 * `scaled` says whether it shrank.
 */
export function fitWithin(width, height, max = MAX_EDGE_PX) {
  if (!(width > 0 && height > 0 && max > 0)) return null;
  const scale = Math.min(1, max / Math.max(width, height));
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
    scaled: scale < 1,
  };
}

/**
 * Whether a decoded photo is drawn again (smaller, as JPEG) before it is sent:
 * when its long side is over MAX_EDGE_PX or the file is over MAX_BYTES.
 * Returns the size to draw at, or null to send the file as it is.
 */
export function downscalePlan(width, height, bytes) {
  const fit = fitWithin(width, height);
  if (!fit) return null;
  return fit.scaled || bytes > MAX_BYTES ? { width: fit.width, height: fit.height } : null;
}

// What the patient is told, by the error code the server names.
const CODE_KEYS = {
  too_large: 'photo.err_too_large',
  unsupported_type: 'photo.err_type',
  invalid_image: 'photo.err_invalid',
  contact_closed: 'photo.err_closed',
  rate_limited: 'photo.err_rate',
};
// ... and by the status, when the body names no code we know (a proxy's 413).
const STATUS_KEYS = {
  401: 'photo.err_auth',
  403: 'photo.err_auth',
  409: 'photo.err_closed',
  413: 'photo.err_too_large',
  415: 'photo.err_type',
  422: 'photo.err_invalid',
  429: 'photo.err_rate',
};

/** The i18n key of the text for a refused upload (HTTP `status`, error `code`). */
export function uploadErrorKey(status, code) {
  return CODE_KEYS[code] || STATUS_KEYS[status] || 'photo.err_generic';
}

/**
 * Whether an answer is worth the same upload again by itself: no answer at
 * all (status 0: connection dropped, network down, timeout), a proxy that
 * could not reach the service (502, 504) or a service that could not store
 * it yet (503 storage_unavailable).
 */
export function retryable(status) {
  return status === 0 || status === 502 || status === 503 || status === 504;
}

export function newUpload(clientId) {
  return { clientId, attempt: 0, state: 'sending', errorKey: null };
}

/**
 * The upload after the answer to its current try: {upload, retryInMs}.
 * `answer` is {status, code, retryAfterS} (status 0 when there was none);
 * `random` (0..1) jitters the wait. retryInMs is set when the same upload
 * (same clientId) goes again after that wait; otherwise the upload is 'done'
 * (201, or 200 for a duplicate) or 'failed' with its errorKey.
 */
export function afterAnswer(upload, { status, code = null, retryAfterS = null }, random) {
  if (status === 200 || status === 201) {
    return { upload: { ...upload, state: 'done', errorKey: null }, retryInMs: null };
  }
  if (retryable(status) && upload.attempt + 1 < MAX_ATTEMPTS) {
    const backoff = backoffDelay(upload.attempt, RETRY_START_MS, RETRY_MAX_MS, random);
    const told = typeof retryAfterS === 'number' && retryAfterS > 0 ? retryAfterS * 1000 : 0;
    return {
      upload: { ...upload, attempt: upload.attempt + 1, state: 'waiting' },
      retryInMs: Math.max(backoff, Math.min(told, RETRY_AFTER_CAP_MS)),
    };
  }
  const errorKey = retryable(status) ? 'photo.err_network' : uploadErrorKey(status, code);
  return { upload: { ...upload, state: 'failed', errorKey }, retryInMs: null };
}

/** The next try of an upload (after its wait, or "try again"): the same clientId. */
export function resumed(upload) {
  const again = upload.state === 'failed' ? { attempt: 0 } : {};
  return { ...upload, ...again, state: 'sending', errorKey: null };
}

/** Whether the patient may send it again by hand (a refusal that a new try could change). */
export function canTryAgain(upload) {
  return upload.state === 'failed' && ['photo.err_network', 'photo.err_generic', 'photo.err_rate'].includes(upload.errorKey);
}

/** A whole-number percentage of `loaded` of `total` bytes (0 while unknown). */
export function percent(loaded, total) {
  if (!(total > 0)) return 0;
  return Math.max(0, Math.min(100, Math.floor((loaded / total) * 100)));
}

/**
 * The alt text of message `m`'s photo: its caption (the message text), else
 * who it is from (keys photo.alt_patient, photo.alt_staff).
 */
export function altText(m, t) {
  const caption = typeof m.body === 'string' ? m.body.trim() : '';
  if (caption) return caption;
  return t(m.sender === 'patient' ? 'photo.alt_patient' : 'photo.alt_staff');
}

/** The authenticated address of attachment `id` (the thumbnail when `thumb`). */
export function attachmentUrl(id, thumb) {
  const url = `/api/attachments/${encodeURIComponent(id)}`;
  return thumb ? `${url}?size=thumb` : url;
}

/** Whether message `m` carries a photo this client can show. */
export function hasPhoto(m) {
  return Boolean(m?.attachment && (typeof m.attachment.id === 'string' || typeof m.attachment.id === 'number'));
}
