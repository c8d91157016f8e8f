// The dashboard's downloads: exports (GET /api/v1/exports/{kind}?format=csv|xlsx) fetched
// with the session's bearer token and saved as a file; the warehouse is the one shown.
// Rule kept here: the token never goes into a URL — the file is fetched, then handed to the
// browser as a blob.

import { loadSession, toLogin } from "./session.js";

const KINDS = [["stock", "Stock"], ["moves", "Moves"], ["lots", "Lots"], ["counts", "Counts"],
  ["suggestions", "Suggestions"]];

async function download(kind, format, warehouse, status) {
  const s = loadSession();
  if (!s) { toLogin(); return; }
  const q = new URLSearchParams({ format });
  if (warehouse) q.set("warehouse", warehouse);
  status.textContent = `preparing ${kind}…`;
  const resp = await fetch(`/api/v1/exports/${kind}?${q}`,
    { headers: { Authorization: `Bearer ${s.access_token}` } });
  if (!resp.ok) {
    let detail = resp.statusText;
    try { detail = (await resp.json()).detail || detail; } catch { /* not JSON */ }
    status.textContent = `${kind}: ${detail}`;
    return;
  }
  const name = /filename="([^"]+)"/.exec(resp.headers.get("content-disposition") || "");
  const url = URL.createObjectURL(await resp.blob());
  const a = Object.assign(document.createElement("a"),
    { href: url, download: name ? name[1] : `${kind}.${format}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  status.textContent = "";
}

export function wireDownloads(root = document) {
  const list = root.getElementById("downloads");
  const status = root.getElementById("downloads-status");
  if (!list) return;
  for (const [kind, label] of KINDS) {
    const li = document.createElement("li");
    li.append(`${label}: `);
    for (const format of ["csv", "xlsx"]) {
      const b = Object.assign(document.createElement("button"),
        { type: "button", textContent: format.toUpperCase(), id: `dl-${kind}-${format}` });
      b.onclick = () => download(kind, format, root.getElementById("warehouse")?.value || null,
        status);
      li.append(b, " ");
    }
    list.append(li);
  }
}

wireDownloads();
