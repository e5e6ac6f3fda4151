// The service notice ("driftinformation") of /api/banner and the live `banner`
// frames, on every page that shows it: the patient and staff pages, and the
// preview on /admin.

import { h, replaceChildren } from './dom.js';
import { call } from './http.js';

/** The active notice from GET /api/banner: the banner, null (none) or undefined (unreachable). */
export async function loadBanner() {
  const r = await call('GET', '/api/banner');
  return r.status === 200 ? r.data.banner : undefined;
}

/** One notice: severity class, message in the page's language (Swedish fallback). */
export function bannerView(banner, lang) {
  const text = banner.message[lang] || banner.message.sv;
  return h('div', { class: `notice notice--${banner.severity}`, lang: banner.message[lang] ? lang : 'sv' },
    h('p', {}, text));
}

/** Show (or clear, when `banner` is null) the notice in a live region container. */
export function showBanner(container, banner, lang) {
  if (!banner) {
    replaceChildren(container);
    container.hidden = true;
    return;
  }
  replaceChildren(container, bannerView(banner, lang));
  container.hidden = false;
}
