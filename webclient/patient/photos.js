// Photos on the patient page (docs/protocol.md "Photo attachments"): the
// camera button by the message box (take a photo or pick one), the preview
// with an optional caption, the upload with a progress bar that goes again by
// itself with the same client_id after a dropped connection or a 503, the
// texts for a refusal, and in the transcript the photos and the nurse's
// "please send a photo" with its button. What to decide is in common/photo.js.
//
// The upload goes through common/http.js callUpload (XMLHttpRequest, for its
// upload progress).

import { h, randomId } from '../common/dom.js';
import { callUpload } from '../common/http.js';
import { onLangChange, t } from '../common/i18n.js';
import {
  afterAnswer,
  altText,
  canTryAgain,
  downscalePlan,
  hasPhoto,
  JPEG_QUALITY,
  newUpload,
  percent,
  resumed,
} from '../common/photo.js';
import { blobSrc, thumbnailImage } from '../common/photo-view.js';

// One try may take this long: 10 MiB over a slow mobile link (~1 Mbit/s)
// takes about 80 s; a try that hangs longer counts as a dropped connection.
const UPLOAD_TIMEOUT_MS = 120000;
// The most the caption may hold: the length of a chat message.
const CAPTION_MAX = 4000;
// Refusals of this photo that another photo may not get: "Välj en annan bild".
const OTHER_PHOTO = new Set(['photo.err_too_large', 'photo.err_type', 'photo.err_invalid']);

/**
 * One try of POST /api/contacts/{id}/attachments → {status, code, retryAfterS}
 * (status 0 when no answer came). `onProgress(loaded, total)` as it goes.
 */
async function postPhoto({ contactId, token, clientId, blob, caption }, onProgress) {
  const form = new FormData();
  form.append('client_id', clientId);
  if (caption) form.append('caption', caption);
  // A neutral file name: the phone's own may say more than the photo.
  form.append('file', blob, 'photo');
  const url = `/api/contacts/${encodeURIComponent(contactId)}/attachments`;
  const r = await callUpload(url, form, { bearer: token, onProgress, timeoutMs: UPLOAD_TIMEOUT_MS });
  return { status: r.status, code: r.data?.error?.code ?? null, retryAfterS: r.retryAfterS };
}

/**
 * The photo to send: drawn again as a JPEG of at most 2048 px when it is
 * larger (which also leaves its EXIF and GPS data behind), otherwise the file
 * as it is. A photo the browser cannot decode (HEIC in most browsers) goes
 * as it is: the server decides. → {blob, decoded}
 */
async function prepare(file) {
  let bitmap = null;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    return { blob: file, decoded: false };
  }
  const plan = downscalePlan(bitmap.width, bitmap.height, file.size);
  if (!plan) {
    bitmap.close();
    return { blob: file, decoded: true };
  }
  const canvas = document.createElement('canvas');
  canvas.width = plan.width;
  canvas.height = plan.height;
  canvas.getContext('2d').drawImage(bitmap, 0, 0, plan.width, plan.height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', JPEG_QUALITY));
  return { blob: blob || file, decoded: true };
}

// The buttons' icons (Material Design, Apache 2.0), as images: the button's
// aria-label names it.
function icon(name) {
  return h('img', { src: `/static/patient/${name}.svg`, alt: '', width: 24, height: 24 });
}

export class PatientPhotos {
  /**
   * @param {HTMLFormElement} composer the message box's form (the button goes in it)
   * @param {() => {contactId: string, token: string, closed: boolean} | null} chat
   *   the chat the photo goes to (null before there is one)
   */
  constructor(composer, chat) {
    this.chat = chat;
    this.job = null; // {upload, blob, caption, decoded, timer} while a photo is chosen
    // `capture` opens the phone's camera at once, with no way to a saved
    // photo: the second input (no capture) is for those.
    this.inputs = {
      camera: h('input', { type: 'file', accept: 'image/*', capture: 'environment', hidden: true }),
      library: h('input', { type: 'file', accept: 'image/*', hidden: true }),
    };
    this.button = h('button', { type: 'button', class: 'btn btn--secondary composer__photo' }, icon('camera'));
    this.libraryButton = h('button', { type: 'button', class: 'btn btn--secondary composer__photo' }, icon('picture'));
    this.button.addEventListener('click', () => this.choose('camera'));
    this.libraryButton.addEventListener('click', () => this.choose('library'));
    composer.classList.add('composer--photos');
    const submit = composer.querySelector('[type="submit"]');
    composer.insertBefore(this.button, submit);
    composer.insertBefore(this.libraryButton, submit);
    for (const input of Object.values(this.inputs)) {
      input.addEventListener('change', () => this.onChosen(input));
      composer.appendChild(input);
    }
    this.panel = this.buildPanel();
    composer.after(this.panel);
    onLangChange(() => this.relabel());
    this.relabel();
  }

  buildPanel() {
    this.heading = h('h2', { id: 'photo-heading', class: 'photo-panel__heading', tabindex: '-1' });
    this.preview = h('img', { class: 'photo-panel__preview', hidden: true });
    this.noPreview = h('p', { class: 'hint', hidden: true });
    this.captionLabel = h('label', { for: 'photo-caption' });
    this.caption = h('input', { id: 'photo-caption', type: 'text', maxlength: CAPTION_MAX, autocomplete: 'off' });
    this.progressText = h('p', { id: 'photo-progress-text', class: 'photo-panel__progress-text' });
    this.progress = h('progress', { max: '100', value: '0', 'aria-labelledby': 'photo-progress-text' });
    this.progressBox = h('div', { class: 'photo-panel__progress', role: 'status', hidden: true },
      this.progressText, this.progress);
    this.error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    this.cancelButton = h('button', { type: 'button', class: 'btn btn--secondary' });
    this.sendButton = h('button', { type: 'button', class: 'btn btn--primary' });
    this.againButton = h('button', { type: 'button', class: 'btn btn--primary', hidden: true });
    this.otherButton = h('button', { type: 'button', class: 'btn btn--primary', hidden: true });
    this.cancelButton.addEventListener('click', () => this.cancel());
    this.sendButton.addEventListener('click', () => this.send());
    this.againButton.addEventListener('click', () => this.tryAgain());
    this.otherButton.addEventListener('click', () => this.chooseOther());
    this.caption.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        this.send();
      }
    });
    this.actions = h('div', { class: 'photo-panel__actions' },
      this.cancelButton, this.againButton, this.otherButton, this.sendButton);
    this.captionField = h('div', { class: 'field' }, this.captionLabel, this.caption);
    const panel = h('section', { class: 'card photo-panel', 'aria-labelledby': 'photo-heading', hidden: true },
      this.heading, this.preview, this.noPreview, this.captionField, this.progressBox, this.error, this.actions);
    // Escape is "Avbryt" (not while the photo is on its way).
    panel.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') this.cancel();
    });
    return panel;
  }

  relabel() {
    this.button.setAttribute('aria-label', t('photo.add'));
    this.button.title = t('photo.add');
    this.libraryButton.setAttribute('aria-label', t('photo.add_saved'));
    this.libraryButton.title = t('photo.add_saved');
    this.heading.textContent = t('photo.preview_heading');
    this.preview.alt = t('photo.preview_alt');
    this.noPreview.textContent = t('photo.no_preview');
    this.captionLabel.textContent = t('photo.caption');
    this.cancelButton.textContent = t('photo.cancel');
    this.sendButton.textContent = t('photo.send');
    this.againButton.textContent = t('photo.try_again');
    this.otherButton.textContent = t('photo.choose_other');
    if (this.job) this.renderJob();
  }

  /** The phone's camera (`source` 'camera') or its saved photos ('library'). */
  choose(source) {
    const chat = this.chat();
    if (!chat || chat.closed || this.sending()) return;
    const input = this.inputs[source];
    input.value = '';
    input.click();
  }

  /** "Välj en annan bild" after a refusal of this one. */
  chooseOther() {
    if (this.sending()) return;
    this.drop();
    this.choose('library');
  }

  sending() {
    return ['sending', 'waiting'].includes(this.job?.upload?.state);
  }

  async onChosen(input) {
    const file = input.files?.[0];
    if (!file) return;
    this.drop();
    const job = { upload: null, blob: null, decoded: false, timer: null, loaded: 0 };
    this.job = job;
    const { blob, decoded } = await prepare(file);
    if (this.job !== job) return; // cancelled meanwhile
    Object.assign(job, { blob, decoded });
    const src = decoded ? await blobSrc(blob) : null;
    if (this.job !== job) return;
    if (src) this.preview.src = src;
    this.preview.hidden = !src;
    this.noPreview.hidden = Boolean(src);
    this.caption.value = '';
    this.renderJob();
    this.panel.hidden = false;
    this.caption.focus();
  }

  /** "Skicka bilden": the first try, with a client_id of its own. */
  send() {
    const job = this.job;
    const chat = this.chat();
    if (!job?.blob || job.upload || !chat) return;
    job.caption = this.caption.value.trim();
    job.upload = newUpload(randomId('p'));
    this.attempt(job);
  }

  /** "Försök igen" after the tries ran out: the same client_id again. */
  tryAgain() {
    const job = this.job;
    if (!job?.upload || !canTryAgain(job.upload)) return;
    job.upload = resumed(job.upload);
    this.attempt(job);
  }

  async attempt(job) {
    const chat = this.chat();
    if (!chat) return;
    job.loaded = 0;
    this.renderJob();
    const answer = await postPhoto({
      contactId: chat.contactId, token: chat.token, clientId: job.upload.clientId,
      blob: job.blob, caption: job.caption,
    }, (loaded, total) => {
      job.loaded = percent(loaded, total);
      if (this.job === job) this.renderProgress();
    });
    if (this.job !== job) return;
    const { upload, retryInMs } = afterAnswer(job.upload, answer, Math.random());
    job.upload = upload;
    if (upload.state === 'done') {
      // The photo comes back as a `message` frame on the socket, like any other.
      const hadFocus = this.panel.contains(document.activeElement);
      this.drop();
      if (hadFocus) this.button.focus();
      return;
    }
    if (retryInMs !== null) {
      job.timer = setTimeout(() => {
        if (this.job !== job) return;
        job.upload = resumed(job.upload);
        this.attempt(job);
      }, retryInMs);
    }
    this.renderJob();
    if (upload.state === 'failed') {
      const next = [this.againButton, this.otherButton].find((b) => !b.hidden) || this.cancelButton;
      next.focus();
    }
  }

  cancel() {
    if (this.sending()) return;
    this.drop();
    this.button.focus();
  }

  /** Forget the chosen photo and hide the panel. */
  drop() {
    if (this.job) clearTimeout(this.job.timer);
    this.job = null;
    this.preview.removeAttribute('src');
    this.panel.hidden = true;
  }

  /** The chat ended: nothing more can be sent. */
  closed() {
    this.drop();
    this.button.hidden = true;
    this.libraryButton.hidden = true;
  }

  renderJob() {
    const job = this.job;
    const state = job.upload ? job.upload.state : 'chosen';
    const busy = state === 'sending' || state === 'waiting';
    this.panel.dataset.state = state;
    this.captionField.hidden = state !== 'chosen';
    this.progressBox.hidden = !busy;
    this.sendButton.hidden = state !== 'chosen';
    this.cancelButton.hidden = busy;
    this.againButton.hidden = !(state === 'failed' && canTryAgain(job.upload));
    this.otherButton.hidden = !(state === 'failed' && OTHER_PHOTO.has(job.upload.errorKey));
    this.error.hidden = state !== 'failed';
    this.error.textContent = state === 'failed' ? t(job.upload.errorKey) : '';
    if (busy) this.renderProgress();
  }

  renderProgress() {
    const job = this.job;
    const waiting = job.upload?.state === 'waiting';
    this.progress.value = waiting ? 0 : job.loaded;
    this.progressText.textContent = waiting ? t('photo.retrying') : t('photo.sending', { percent: job.loaded });
  }

  /**
   * What a message shows besides its text (common/transcript.js `decorate`):
   * its photo, or for the nurse's request for one, "Skicka bild" (the
   * camera) and "Välj en sparad bild".
   */
  decorate = (m) => {
    if (hasPhoto(m)) {
      const chat = this.chat();
      const { img, status } = thumbnailImage(m, { alt: altText(m, t), bearer: chat ? chat.token : '', t });
      return h('figure', { class: 'photo' }, img, status);
    }
    if (m.photo_request && m.sender !== 'patient') {
      const camera = h('button', { type: 'button', class: 'btn btn--primary' }, t('photo.requested_send'));
      const saved = h('button', { type: 'button', class: 'btn btn--secondary' }, t('photo.add_saved'));
      camera.addEventListener('click', () => this.choose('camera'));
      saved.addEventListener('click', () => this.choose('library'));
      return h('p', { class: 'photo-request__row' }, camera, saved);
    }
    return null;
  };
}
