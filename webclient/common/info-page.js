// Plain information pages (accessibility statement): language only.

import { setLang, preferredLang, bindLangSwitch } from './i18n.js';

await setLang(preferredLang());
bindLangSwitch(document.getElementById('lang-switch'));
