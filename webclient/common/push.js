// Web Push for the pages (patient and staff): register the service worker at
// /sw.js, ask for permission (only when the person clicked to be notified),
// subscribe with the service's VAPID key and hand the subscription to the
// server (POST /api/push/subscriptions). docs/protocol.md "Notifications while away".

import { call } from './http.js';

/** Whether this browser can receive Web Push at all. */
export function pushSupported(win = globalThis) {
  return Boolean(
    win.navigator && 'serviceWorker' in win.navigator && 'PushManager' in win && 'Notification' in win,
  );
}

/** A base64url string (the VAPID public key) as bytes, for applicationServerKey (pure). */
export function keyBytes(base64url) {
  const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  const bin = atob(padded);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i += 1) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Ask, subscribe and register with the server → 'on' | 'denied' | 'unsupported' | 'error'.
 * Call it from a click handler only: browsers refuse a permission prompt without one.
 * `bearer`: the patient token (the staff page sends its session and CSRF token instead).
 */
export async function enablePush({ bearer = '' } = {}) {
  if (!pushSupported()) return 'unsupported';
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') return 'denied';
  try {
    const reg = await navigator.serviceWorker.register('/sw.js');
    await navigator.serviceWorker.ready;
    const key = await call('GET', '/api/push/key');
    if (key.status !== 200) return 'error';
    const sub =
      (await reg.pushManager.getSubscription()) ||
      (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key.data.public_key) }));
    const r = await call('POST', '/api/push/subscriptions', sub.toJSON(), { bearer });
    return r.status === 201 ? 'on' : 'error';
  } catch {
    return 'error';
  }
}
