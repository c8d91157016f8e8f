// The import page: choose a kind and a file, check it (a dry run: every row's fate and every
// error), then import it; the templates and the record of imports done.
// Rule kept here: Import is enabled only after a clean check of the same kind and file; a
// file changed or another kind chosen needs a new check. Everything shown goes in as text.
import { el, fmtTime, table } from "./dom.js";
import { api, ApiError, clearSession, requireSession, showUser, toLogin } from "./session.js";

const $ = (id) => document.getElementById(id);
const SHOWN_ROWS = 500;
let checked = null; // the {kind, file} whose dry run was clean
const state = { ready: false, report: null };
window.__imports = state;

async function send(kind, file, dryRun) {
  const session = requireSession();
  const form = new FormData();
  form.append("file", file, file.name);
  const resp = await fetch(`/api/v1/imports/${kind}?dry_run=${dryRun}`, {
    method: "POST", body: form,
    headers: { Authorization: `Bearer ${session.access_token}`, Accept: "application/json" },
  });
  if (resp.status === 401) { clearSession(); toLogin(); }
  const body = await resp.json().catch(() => ({}));
  if (resp.ok || (resp.status === 422 && Array.isArray(body.errors))) return body;
  throw new ApiError(resp.status, body.title, body.detail);
}

function show(report, wrote) {
  state.report = report;
  const n = report.errors.length;
  const counts = `${report.rows} row(s): ${report.created} created, ${report.updated} updated, ${report.unchanged} unchanged`;
  $("summary").textContent = n
    ? `${n} error(s): nothing ${wrote ? "was" : "would be"} written. Correct the file and check it again.`
    : wrote ? `Imported (import #${report.import_id}): ${counts}.` : `Ready to import: ${counts} would be written.`;
  $("errors").replaceChildren(n ? table(["row", "column", "reason"],
    report.errors.map((e) => [e.row ?? "file", e.column ?? "", e.reason]), [0]) : "");
  const fates = (report.fates || []).slice(0, SHOWN_ROWS);
  $("fates").replaceChildren(fates.length ? table(["row", "fate"], fates.map((f) => [f.row, f.fate]), [0]) : "",
    report.fates && report.fates.length > SHOWN_ROWS ? el("p", { class: "hint" }, `first ${SHOWN_ROWS} rows shown`) : "");
}

function failed(err) {
  $("summary").textContent = err instanceof ApiError ? `${err.title || "Error"}: ${err.message}` : String(err);
  $("errors").replaceChildren();
  $("fates").replaceChildren();
}

async function check(event) {
  event.preventDefault();
  const file = $("file").files[0];
  checked = null;
  $("import").disabled = true;
  if (!file) { $("summary").textContent = "Choose a file first."; return; }
  $("summary").textContent = "Checking…";
  try {
    const report = await send($("kind").value, file, true);
    show(report, false);
    if (!report.errors.length) { checked = { kind: $("kind").value, file }; $("import").disabled = false; }
  } catch (err) { failed(err); }
  state.ready = true;
}

async function run() {
  if (!checked || checked.kind !== $("kind").value || checked.file !== $("file").files[0]) return;
  $("import").disabled = true;
  $("summary").textContent = "Importing…";
  try {
    show(await send(checked.kind, checked.file, false), true);
  } catch (err) { failed(err); }
  checked = null;
  await history();
  state.ready = true;
}

async function template(format) {
  const session = requireSession();
  const kind = $("kind").value;
  const resp = await fetch(`/api/v1/imports/${kind}/template?format=${format}`,
    { headers: { Authorization: `Bearer ${session.access_token}` } });
  if (!resp.ok) { failed(new ApiError(resp.status, resp.statusText, "")); return; }
  const link = el("a", { href: URL.createObjectURL(await resp.blob()), download: `${kind}.${format}` });
  link.click();
  URL.revokeObjectURL(link.href);
}

async function history() {
  try {
    const done = await api("/api/v1/imports?limit=20");
    $("history").replaceChildren(done.length ? table(["#", "when", "who", "kind", "file", "rows", "created", "updated", "unchanged"],
      done.map((d) => [d.import_id, fmtTime(d.finished_at), d.user_name ?? "", d.kind, d.file_name, d.rows, d.created, d.updated, d.unchanged]),
      [0, 5, 6, 7, 8]) : el("p", { class: "hint" }, "No imports yet."));
  } catch (err) {
    $("history").replaceChildren(el("p", { class: "unavailable" }, err.message));
  }
}

function reset() { checked = null; $("import").disabled = true; }

const session = requireSession();
showUser(session);
$("upload").addEventListener("submit", check);
$("import").addEventListener("click", run);
$("kind").addEventListener("change", reset);
$("file").addEventListener("change", reset);
$("template-xlsx").addEventListener("click", (e) => { e.preventDefault(); template("xlsx"); });
$("template-csv").addEventListener("click", (e) => { e.preventDefault(); template("csv"); });
history().then(() => { state.ready = true; });
