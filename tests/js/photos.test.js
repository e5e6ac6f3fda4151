// Photo attachments in the web client, the pure parts: how big a photo is
// sent and shown, what an upload's answer leads to (the same client_id on
// every try, bounded back-off, the text for a refusal), the alt text, and the
// staff's photo request frame. No browser.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';

import {
  afterAnswer,
  altText,
  attachmentUrl,
  canTryAgain,
  downscalePlan,
  fitWithin,
  hasPhoto,
  MAX_ATTEMPTS,
  MAX_BYTES,
  newUpload,
  percent,
  resumed,
  retryable,
  uploadErrorKey,
} from '../../webclient/common/photo.js';
import { photoRequestFrame } from '../../webclient/staff/photos.js';
import { message } from './frames.js';

const t = (key) => `<${key}>`;

describe('photo size', () => {
  test('a 12-megapixel landscape photo is drawn at 2048 px on the long side', () => {
    assert.deepEqual(fitWithin(4032, 3024), { width: 2048, height: 1536, scaled: true });
  });

  test('a portrait photo keeps its orientation', () => {
    assert.deepEqual(fitWithin(3024, 4032), { width: 1536, height: 2048, scaled: true });
  });

  test('a photo within the limit is never enlarged', () => {
    assert.deepEqual(fitWithin(1600, 1200), { width: 1600, height: 1200, scaled: false });
    assert.deepEqual(fitWithin(2048, 100), { width: 2048, height: 100, scaled: false });
  });

  test('the thumbnail size follows the server limit of 320 px', () => {
    assert.deepEqual(fitWithin(2048, 1536, 320), { width: 320, height: 240, scaled: true });
  });

  test('a very thin image keeps at least one pixel', () => {
    assert.deepEqual(fitWithin(10000, 1), { width: 2048, height: 1, scaled: true });
  });

  test('an unknown size gives no size', () => {
    assert.equal(fitWithin(0, 100), null);
    assert.equal(fitWithin(Number.NaN, 100), null);
    assert.equal(fitWithin(undefined, undefined), null);
  });

  test('a large photo is redrawn smaller; a small one goes as it is', () => {
    assert.deepEqual(downscalePlan(4000, 3000, 3_000_000), { width: 2048, height: 1536 });
    assert.equal(downscalePlan(1280, 960, 300_000), null);
  });

  test('a file over the byte limit is redrawn even at a small size', () => {
    assert.deepEqual(downscalePlan(2000, 1000, MAX_BYTES + 1), { width: 2000, height: 1000 });
    assert.equal(downscalePlan(2000, 1000, MAX_BYTES), null);
  });

  test('an image the browser could not measure goes as it is', () => {
    assert.equal(downscalePlan(0, 0, MAX_BYTES * 2), null);
  });
});

describe('upload errors', () => {
  test('each documented error code has its own text', () => {
    assert.equal(uploadErrorKey(413, 'too_large'), 'photo.err_too_large');
    assert.equal(uploadErrorKey(415, 'unsupported_type'), 'photo.err_type');
    assert.equal(uploadErrorKey(422, 'invalid_image'), 'photo.err_invalid');
    assert.equal(uploadErrorKey(409, 'contact_closed'), 'photo.err_closed');
    assert.equal(uploadErrorKey(429, 'rate_limited'), 'photo.err_rate');
  });

  test('the status decides when the body names no code (a proxy 413 page)', () => {
    assert.equal(uploadErrorKey(413, null), 'photo.err_too_large');
    assert.equal(uploadErrorKey(415, undefined), 'photo.err_type');
    assert.equal(uploadErrorKey(401, 'not_authenticated'), 'photo.err_auth');
  });

  test('the code wins over the status, and anything else is the generic text', () => {
    assert.equal(uploadErrorKey(422, 'too_large'), 'photo.err_too_large');
    assert.equal(uploadErrorKey(500, 'internal'), 'photo.err_generic');
    assert.equal(uploadErrorKey(400, null), 'photo.err_generic');
  });

  test('only no answer, a proxy error or 503 is retried by itself', () => {
    assert.deepEqual([0, 502, 503, 504].map(retryable), [true, true, true, true]);
    assert.deepEqual([200, 201, 400, 409, 413, 415, 422, 429, 500].map(retryable), Array(9).fill(false));
  });

  test('every error key the client can show has a text in both languages', async () => {
    const keys = [
      ...['too_large', 'unsupported_type', 'invalid_image', 'contact_closed', 'rate_limited', 'x']
        .map((code) => uploadErrorKey(0, code)),
      ...[401, 409, 413, 415, 422, 429].map((status) => uploadErrorKey(status, null)),
      'photo.err_network',
    ];
    for (const lang of ['sv', 'en']) {
      const texts = JSON.parse(await readFile(new URL(`../../webclient/i18n/${lang}.json`, import.meta.url), 'utf-8'));
      assert.deepEqual(keys.filter((k) => !(k in texts)), [], lang);
    }
  });
});

describe('upload retries', () => {
  test('a dropped connection, a 503 and then success keep the one client_id', () => {
    let upload = newUpload('p0123');
    const ids = [upload.clientId];
    let step = afterAnswer(upload, { status: 0 }, 0.5);
    assert.equal(step.upload.state, 'waiting');
    assert.equal(step.upload.attempt, 1);
    upload = resumed(step.upload);
    ids.push(upload.clientId);
    step = afterAnswer(upload, { status: 503, code: 'storage_unavailable' }, 0.5);
    assert.equal(step.upload.state, 'waiting');
    upload = resumed(step.upload);
    ids.push(upload.clientId);
    step = afterAnswer(upload, { status: 201 }, 0.5);
    assert.deepEqual(step, { upload: { clientId: 'p0123', attempt: 2, state: 'done', errorKey: null }, retryInMs: null });
    assert.deepEqual(ids, ['p0123', 'p0123', 'p0123']);
  });

  test('a duplicate (200) is done like a first store', () => {
    assert.equal(afterAnswer(newUpload('p1'), { status: 200 }, 0).upload.state, 'done');
  });

  test('the wait doubles from 1 s, jittered into its upper half, at most 16 s', () => {
    const waits = [];
    let upload = newUpload('p1');
    for (let i = 0; i < MAX_ATTEMPTS - 1; i += 1) {
      const step = afterAnswer(upload, { status: 0 }, 1);
      waits.push(step.retryInMs);
      upload = resumed(step.upload);
    }
    assert.deepEqual(waits, [1000, 2000, 4000, 8000, 16000]);
    const low = afterAnswer(newUpload('p1'), { status: 0 }, 0).retryInMs;
    assert.equal(low, 500);
  });

  test("the server's Retry-After is waited for, at most 30 s", () => {
    assert.equal(afterAnswer(newUpload('p1'), { status: 503, retryAfterS: 5 }, 0).retryInMs, 5000);
    assert.equal(afterAnswer(newUpload('p1'), { status: 503, retryAfterS: 3600 }, 0).retryInMs, 30000);
  });

  test('after the last try the upload fails with the network text, and may go again by hand', () => {
    let upload = newUpload('p9');
    let step = null;
    for (let i = 0; i < MAX_ATTEMPTS; i += 1) {
      step = afterAnswer(upload, { status: 0 }, 0.5);
      upload = step.retryInMs === null ? step.upload : resumed(step.upload);
    }
    assert.deepEqual(step, {
      upload: { clientId: 'p9', attempt: MAX_ATTEMPTS - 1, state: 'failed', errorKey: 'photo.err_network' },
      retryInMs: null,
    });
    assert.equal(canTryAgain(upload), true);
    assert.deepEqual(resumed(upload), { clientId: 'p9', attempt: 0, state: 'sending', errorKey: null });
  });

  test('a refusal is not retried, and only some may be sent again by hand', () => {
    const tooLarge = afterAnswer(newUpload('p1'), { status: 413, code: 'too_large' }, 0.5);
    assert.deepEqual(tooLarge, {
      upload: { clientId: 'p1', attempt: 0, state: 'failed', errorKey: 'photo.err_too_large' },
      retryInMs: null,
    });
    assert.equal(canTryAgain(tooLarge.upload), false);
    const closed = afterAnswer(newUpload('p1'), { status: 409, code: 'contact_closed' }, 0.5).upload;
    assert.equal(canTryAgain(closed), false);
    const broken = afterAnswer(newUpload('p1'), { status: 500 }, 0.5).upload;
    assert.equal(broken.errorKey, 'photo.err_generic');
    assert.equal(canTryAgain(broken), true);
    assert.equal(canTryAgain(newUpload('p1')), false);
  });
});

describe('photo messages', () => {
  test('the alt text is the caption, else who sent the photo', () => {
    const attachment = { id: 'a1', content_type: 'image/jpeg', width: 800, height: 600, bytes: 1000 };
    assert.equal(altText(message(1, { sender: 'patient', body: ' Utslag på armen ', attachment }), t), 'Utslag på armen');
    assert.equal(altText(message(1, { sender: 'patient', body: '', attachment }), t), '<photo.alt_patient>');
    assert.equal(altText(message(1, { sender: 'patient', body: '  ', attachment }), t), '<photo.alt_patient>');
    assert.equal(altText(message(1, { sender: 'staff', body: null, attachment }), t), '<photo.alt_staff>');
  });

  test('only a message with an attachment id has a photo', () => {
    assert.equal(hasPhoto(message(1, { attachment: { id: 'a1' } })), true);
    assert.equal(hasPhoto(message(1, { attachment: { id: 7 } })), true);
    assert.equal(hasPhoto(message(1)), false);
    assert.equal(hasPhoto(message(1, { attachment: {} })), false);
    assert.equal(hasPhoto(null), false);
  });

  test('the image address is the authenticated endpoint, thumbnails by size=thumb', () => {
    assert.equal(attachmentUrl('a1', false), '/api/attachments/a1');
    assert.equal(attachmentUrl('a/1?x', true), '/api/attachments/a%2F1%3Fx?size=thumb');
  });

  test('upload progress is a whole percentage, 0 while the total is unknown', () => {
    assert.deepEqual([percent(0, 100), percent(455, 1000), percent(1000, 1000), percent(5, 0), percent(9, 8)], [0, 45, 100, 0, 100]);
  });

  test("the staff's request for a photo is a message frame marked photo_request", () => {
    assert.deepEqual(photoRequestFrame('c1', 's42', 'Kan du skicka en bild?'), {
      type: 'message', contact_id: 'c1', client_id: 's42', body: 'Kan du skicka en bild?', photo_request: true,
    });
  });
});
