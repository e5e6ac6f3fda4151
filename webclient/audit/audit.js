// Log review ("loggkontroll"): sign-in (common/signin.js), then queries
// /api/audit/* with the admin's session cookie. The page is bilingual: Swedish
// with the English beside it (audit.* texts of /static/i18n in both languages),
// whatever language the sign-in form was switched to.
// No inline script or style anywhere: the page runs under the strict CSP.

import { showView } from '../common/dom.js';
import { call } from '../common/http.js';
import { applyBilingual, both, loadBilingual, preferredLang, setLang, textIn } from '../common/i18n.js';
import { wireSignIn } from '../common/signin.js';
import { ACTION_GROUPS, actionKey, groupKey } from './actions.js';
import { localTime } from './format.js';

const form = document.getElementById('filters');
const tbody = document.querySelector('#results tbody');
const caption = document.getElementById('results-caption');
const statusBox = document.getElementById('status');
const errorBox = document.getElementById('error');
const csvLink = document.getElementById('csv');
// The chain check has its own line beside its button: a search or a sample
// afterwards (which use the shared status line) does not wipe it.
const verifyBox = document.getElementById('verify-result');

const FILTERS = ['user', 'contact', 'unit', 'action', 'from', 'to'];
let signin = null;

const sv = (key, vars) => textIn('sv', key, vars);
const en = (key, vars) => textIn('en', key, vars);

function params(extra = {}) {
  const p = new URLSearchParams();
  for (const name of FILTERS) {
    const value = form.elements[name].value.trim();
    if (value) p.set(name, value);
  }
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p;
}

function show(box, text) {
  box.textContent = text;
  box.hidden = !text;
}

async function getJson(url) {
  const r = await call('GET', url);
  if (r.status === 200) return r.data;
  if (r.status === 401) {
    signin.showLogin();
    throw new Error(`${both('audit.sign_in_first')}.`);
  }
  if (r.status === 403) throw new Error(`${both('audit.admins_only')}.`);
  throw new Error(`${sv('audit.error')} / ${en('audit.error')}: ${r.data.error ? r.data.error.code : r.status}`);
}

// Column headers' words, for the stacked rows of a narrow screen (audit.css).
const COLUMNS = ['audit.col_seq', 'audit.col_at', 'audit.user', 'audit.col_role', 'audit.col_unit',
  'audit.col_contact', 'audit.action', 'audit.col_result'];

function cell(text, column) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined ? '' : String(text);
  td.dataset.label = sv(COLUMNS[column]);
  return td;
}

function render(events, label) {
  tbody.replaceChildren();
  for (const e of events) {
    const tr = document.createElement('tr');
    const values = [
      e.seq, localTime(e.at), e.actor_username, e.actor_role,
      e.unit_id || (e.actor_units || []).join(', '), e.contact_id, e.action, e.result,
    ];
    tr.append(...values.map(cell));
    tbody.append(tr);
  }
  caption.textContent = `${label}: ${events.length} ${both('audit.events')}`;
}

function updateCsvLink() {
  csvLink.href = `/api/audit/events?${params({ format: 'csv' })}`;
}

/** Run `action` with "loading" shown; it may return a status line to show after. */
async function run(action) {
  show(errorBox, '');
  show(statusBox, both('audit.loading'));
  try {
    show(statusBox, (await action()) || '');
  } catch (err) {
    show(statusBox, '');
    show(errorBox, err.message);
  }
}

form.addEventListener('input', updateCsvLink);
form.addEventListener('change', updateCsvLink);
form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  run(async () => {
    const body = await getJson(`/api/audit/events?${params()}`);
    render(body.events, both('audit.search_result'));
  });
});
document.getElementById('sample').addEventListener('click', () => {
  run(async () => {
    const n = form.elements.n.value || '20';
    const body = await getJson(`/api/audit/sample?${params({ n })}`);
    render(body.events, `${sv('audit.sample_result')} (${en('audit.sample_result')}, ${en('audit.seed')} ${body.seed})`);
  });
});
document.getElementById('verify').addEventListener('click', async () => {
  show(errorBox, '');
  verifyBox.classList.remove('audit-verify--broken');
  show(verifyBox, both('audit.loading'));
  let body;
  try {
    body = await getJson('/api/audit/verify');
  } catch (err) {
    show(verifyBox, err.message);
    verifyBox.classList.add('audit-verify--broken');
    return;
  }
  const checked = `${both('audit.verify_checked_at')} ${localTime(new Date().toISOString())}`;
  if (body.ok) {
    show(verifyBox, `${sv('audit.chain_ok')}: ${body.count} ${sv('audit.events')} (${en('audit.chain_ok')}), ${checked}`);
  } else {
    verifyBox.classList.add('audit-verify--broken');
    show(verifyBox, `${sv('audit.chain_broken')} ${body.bad_seq}: ${body.reason} (${en('audit.chain_broken')}), ${checked}`);
  }
});

/** The action filter: every known action, grouped, in both languages. */
function fillActions() {
  const select = form.elements.action;
  select.options[0].textContent = both('audit.action_all');
  for (const [group, actions] of ACTION_GROUPS) {
    const optgroup = document.createElement('optgroup');
    optgroup.label = both(groupKey(group));
    for (const action of actions) {
      optgroup.append(new Option(both(actionKey(action)), action));
    }
    select.append(optgroup);
  }
}
updateCsvLink();

function signedIn(session) {
  show(errorBox, ''); // a "sign in first" from an expired session is answered now
  const name = document.getElementById('user-name');
  name.textContent = session.user.display_name;
  name.hidden = false;
  const view = session.user.role === 'admin' ? 'review' : 'denied';
  showView(`view-${view}`);
  document.getElementById(`${view}-heading`).focus();
}

async function main() {
  // Only the sign-in form follows the chosen language; the rest of the page is
  // Swedish with English in lang="en" spans, so the document stays "sv".
  await Promise.all([setLang(preferredLang()), loadBilingual()]);
  document.documentElement.lang = 'sv';
  applyBilingual(document);
  fillActions();
  signin = wireSignIn({
    view: document.getElementById('view-login'),
    logout: document.getElementById('logout'),
    onSignedIn: signedIn,
    // A fresh page drops the shown events (user names, contact ids) with the session.
    onSignedOut: () => location.reload(),
  });
  await signin.start();
}

main();
