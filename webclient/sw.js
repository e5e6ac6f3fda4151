// The service worker of the chat (served at /sw.js so that its scope is the
// whole site): shows a notification for a Web Push message while the page is
// closed or in the background, and opens or focuses the chat on a click.
//
// The push payload holds no words (docs/protocol.md "Push payload"): only
// {type: 'picked'|'message'|'closed'|'red_flag', url}. The texts come from
// the same i18n files as the pages, in the browser's language.
/* global self, clients, fetch */

const TYPES = ['picked', 'message', 'closed', 'red_flag'];
const texts = {}; // language → dictionary, fetched once per worker

/** The language of the notification (pure): Swedish unless the browser prefers English. */
function noticeLang(languages) {
  for (const tag of languages || []) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (base === 'sv' || base === 'en') return base;
  }
  return 'sv';
}

/**
 * What to show for a payload (pure): {title, options} or null for anything
 * that is not ours. The link stays on this site (a path starting with one /).
 */
function noticeFor(payload, dict) {
  if (!payload || !TYPES.includes(payload.type)) return null;
  const url = typeof payload.url === 'string' && /^\/(?!\/)/.test(payload.url) ? payload.url : '/';
  const text = (key) => (dict && typeof dict[key] === 'string' ? dict[key] : key);
  return {
    title: text(`notify.push.${payload.type}_title`),
    options: {
      body: text(`notify.push.${payload.type}_body`),
      tag: `chat-${payload.type === 'red_flag' ? 'red_flag' : 'patient'}`,
      renotify: true,
      requireInteraction: payload.type === 'red_flag',
      icon: '/static/common/icon.svg',
      data: { url },
    },
  };
}

async function dictionary(lang) {
  if (!texts[lang]) {
    try {
      const resp = await fetch(`/static/i18n/${lang}.json`, { credentials: 'same-origin' });
      texts[lang] = resp.ok ? await resp.json() : {};
    } catch {
      return {};
    }
  }
  return texts[lang];
}

function parse(data) {
  try {
    return data ? data.json() : null;
  } catch {
    return null;
  }
}

async function show(payload) {
  const notice = noticeFor(payload, await dictionary(noticeLang(self.navigator?.languages)));
  if (notice) await self.registration.showNotification(notice.title, notice.options);
}

async function openChat(url) {
  const target = new URL(url, self.location.origin).href;
  const open = await clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const c of open) {
    if (new URL(c.url).pathname === new URL(target).pathname && 'focus' in c) return c.focus();
  }
  return clients.openWindow(target);
}

if (typeof self !== 'undefined' && typeof self.addEventListener === 'function') {
  self.addEventListener('install', () => self.skipWaiting());
  self.addEventListener('activate', (ev) => ev.waitUntil(clients.claim()));
  self.addEventListener('push', (ev) => ev.waitUntil(show(parse(ev.data))));
  self.addEventListener('notificationclick', (ev) => {
    ev.notification.close();
    ev.waitUntil(openChat(ev.notification.data?.url || '/'));
  });
}

// For the unit tests (node --test): the pure parts.
if (typeof module !== 'undefined') module.exports = { noticeFor, noticeLang };
