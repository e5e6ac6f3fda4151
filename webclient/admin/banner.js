// The service notice ("driftinformation") as an element. Used for the preview
// on /admin; the patient and staff pages can import it to show GET /api/banner
// and live `banner` frames: showBanner(container, frame.banner, lang).

import { h, replaceChildren } from '../common/dom.js';

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
