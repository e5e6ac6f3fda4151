// Log review ("loggkontroll"): sign-in (common/signin.js), then queries
// /api/audit/* with the admin's session cookie.
// No inline script or style anywhere: the page runs under the strict CSP.

import { showView } from "../common/dom.js";
import { preferredLang, setLang } from "../common/i18n.js";
import { call, wireSignIn } from "../common/signin.js";

const form = document.getElementById("filters");
const tbody = document.querySelector("#results tbody");
const caption = document.getElementById("results-caption");
const statusBox = document.getElementById("status");
const errorBox = document.getElementById("error");
const csvLink = document.getElementById("csv");

const FILTERS = ["user", "contact", "unit", "action", "from", "to"];
let signin = null;

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
  const r = await call("GET", url);
  if (r.status === 200) return r.data;
  if (r.status === 401) {
    signin.showLogin();
    throw new Error("Logga in först (sign in first).");
  }
  if (r.status === 403) throw new Error("Endast administratörer (administrators only).");
  throw new Error(`Fel / error: ${r.data.error ? r.data.error.code : r.status}`);
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text == null ? "" : String(text);
  return td;
}

function render(events, label) {
  tbody.replaceChildren();
  for (const e of events) {
    const tr = document.createElement("tr");
    tr.append(
      cell(e.seq), cell(e.at), cell(e.actor_username), cell(e.actor_role),
      cell(e.unit_id || (e.actor_units || []).join(", ")), cell(e.contact_id),
      cell(e.action), cell(e.result),
    );
    tbody.append(tr);
  }
  caption.textContent = `${label}: ${events.length} händelser (events)`;
}

function updateCsvLink() {
  csvLink.href = `/api/audit/events?${params({ format: "csv" })}`;
}

async function run(action) {
  show(errorBox, "");
  show(statusBox, "Hämtar … (loading)");
  try {
    await action();
    show(statusBox, "");
  } catch (err) {
    show(statusBox, "");
    show(errorBox, err.message);
  }
}

form.addEventListener("input", updateCsvLink);
form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  run(async () => {
    const body = await getJson(`/api/audit/events?${params()}`);
    render(body.events, "Sökresultat (search)");
  });
});
document.getElementById("sample").addEventListener("click", () => {
  run(async () => {
    const n = form.elements.n.value || "20";
    const body = await getJson(`/api/audit/sample?${params({ n })}`);
    render(body.events, `Stickprov (sample, seed ${body.seed})`);
  });
});
document.getElementById("verify").addEventListener("click", () => {
  run(async () => {
    const body = await getJson("/api/audit/verify");
    const text = body.ok
      ? `Kedjan är hel: ${body.count} händelser (chain intact)`
      : `Kedjan är bruten vid händelse ${body.bad_seq}: ${body.reason} (chain broken)`;
    show(body.ok ? statusBox : errorBox, text);
  });
});
updateCsvLink();

function signedIn(session) {
  show(errorBox, ""); // a "sign in first" from an expired session is answered now
  const name = document.getElementById("user-name");
  name.textContent = session.user.display_name;
  name.hidden = false;
  const view = session.user.role === "admin" ? "review" : "denied";
  showView(`view-${view}`);
  document.getElementById(`${view}-heading`).focus();
}

async function main() {
  // Only the sign-in form follows the chosen language; the rest of the page is
  // Swedish with English in lang="en" spans, so the document stays "sv".
  await setLang(preferredLang());
  document.documentElement.lang = "sv";
  signin = wireSignIn({
    view: document.getElementById("view-login"),
    logout: document.getElementById("logout"),
    onSignedIn: signedIn,
    // A fresh page drops the shown events (user names, contact ids) with the session.
    onSignedOut: () => location.reload(),
  });
  await signin.start();
}

main();
