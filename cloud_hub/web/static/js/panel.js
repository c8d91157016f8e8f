// The side panel: what a location holds, its pallets and last moves (who/what made them),
// and the list of search hits. Rule kept here: built from the API's replies, as text only.
import { ago, el, fmtQty, fmtTime, table } from "./dom.js";

/** Today's moves by clock time only; older ones with their date. */
function shortTime(iso) {
  const d = new Date(iso);
  return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : fmtTime(iso);
}

const SOURCE_NAMES = { rfid: "RFID", barcode: "scanner", vision: "camera", pda: "PDA", system: "system" };

export function sourceName(kind) {
  return SOURCE_NAMES[kind] || kind || "";
}

function statusTag(status) {
  return el("span", { class: `tag ${status}` }, status);
}

function whoMade(m) {
  const what = `${sourceName(m.source_kind)} ${m.device_id || ""}`.trim();
  const who = m.user_id || (m.applied_by && m.applied_by !== m.device_id ? m.applied_by : null);
  return who ? `${what} · ${who}` : what;
}

function moveRows(moves, code) {
  return moves.map((m) => [
    shortTime(m.occurred_at),
    m.unit_key ? el("span", { class: "code" }, m.unit_key.replace(/^(sscc|epc):/, "")) : `${m.sku || ""}${m.lot ? ` / ${m.lot}` : ""} × ${fmtQty(m.quantity)}`,
    `${m.from_location || "outside"} → ${m.to_location || "outside"}`.replace(code, "here").replace(code, "here"),
    m.reason + (m.outcome === "late" ? " (late)" : ""),
    whoMade(m),
  ]);
}

/** Render GET /api/v1/map/location/{code} into the details section. */
export function renderLocation(section, detail, gateway, wallNow) {
  const loc = detail.location;
  const parts = [
    el("h2", {}, loc.code),
    el("div", { class: "hint" }, [loc.kind.replace("_", " "), loc.name, loc.parent ? `in ${loc.parent}` : null].filter(Boolean).join(" · ")),
    gateway ? el("p", {}, "Gateway ", el("b", {}, gateway.gateway), " ", el("span", { class: `tag ${gateway.state}` }, gateway.state),
      gateway.last_heartbeat ? ` · heartbeat ${ago(wallNow - Date.parse(gateway.last_heartbeat))} ago` : "",
      gateway.queue_depth != null ? ` · queue ${gateway.queue_depth}` : "") : null,
    el("h3", {}, `Contents${detail.scope === "below" ? " (everything below)" : ""} (${detail.contents.length})`),
    detail.contents.length
      ? table(["SKU", "Lot", "Status", "Qty"], detail.contents.map((c) => [c.sku, c.lot || "—", statusTag(c.status), fmtQty(c.quantity)]), [3])
      : el("p", { class: "hint" }, "Empty."),
    el("h3", {}, `Pallets (${detail.units.length})`),
    detail.units.length
      ? table(["Unit", "Here for", "Holds"], detail.units.map((u) => [
        el("span", { class: "code" }, u.unit_key.replace(/^(sscc|epc):/, "")), ago(wallNow - Date.parse(u.since)),
        u.contents.map((c) => `${c.sku}${c.lot ? `/${c.lot}` : ""} × ${fmtQty(c.quantity)}${c.status !== "available" ? ` (${c.status})` : ""}`).join(", ")]))
      : el("p", { class: "hint" }, "No pallets."),
    el("h3", {}, "Last moves"),
    detail.moves.length
      ? table(["When", "What", "Move", "Why", "By"], moveRows(detail.moves, loc.code))
      : el("p", { class: "hint" }, "No moves recorded here."),
  ];
  section.replaceChildren(...parts.filter((p) => p != null));
}

/** The trace page's query for a hit (a lot, serial or unit), or null when it has nothing to
 *  trace (a location, an unlotted SKU). */
export function traceParams(hit) {
  if (hit.kind === "serial") return { serial: hit.match, sku: hit.sku };
  if ((hit.kind === "sscc" || hit.kind === "epc") && hit.unit_key) return { unit: hit.unit_key };
  if (hit.lot) return { lot: hit.lot, sku: hit.sku };
  return null;
}

function traceLink(hit, warehouse) {
  const params = traceParams(hit);
  if (!params) return null;
  return el("a", { class: "trace-link", href: `/trace?${new URLSearchParams({ warehouse, ...params })}`,
    onclick: (e) => e.stopPropagation(), title: "where it came from, where it went" }, "trace →");
}

/** Render search hits; `onPick(hit)` when one is clicked; each lot, serial or unit links to
 *  its trace in `warehouse`. */
export function renderResults(section, query, hits, onPick, warehouse) {
  section.hidden = false;
  const places = new Set(hits.map((h) => h.location).filter(Boolean));
  section.replaceChildren(
    el("h2", {}, `“${query}”`),
    el("div", { class: "hint" }, hits.length ? `${hits.length} found in ${places.size} location${places.size === 1 ? "" : "s"}` : "Nothing found."),
    el("ul", {}, hits.map((h) => el("li", { onclick: () => onPick(h), dataset: { location: h.location || "" } },
      el("span", { class: "where" }, h.location || "not in a location"), " · ", el("span", { class: "tag" }, h.kind), " ",
      h.match, h.sku && h.sku !== h.match ? ` · ${h.sku}` : "", h.lot && h.lot !== h.match ? ` / ${h.lot}` : "",
      h.quantity != null ? ` × ${fmtQty(h.quantity)}` : "", h.expiry ? ` · exp ${h.expiry}` : "", h.status && h.status !== "available" ? " " : "",
      h.status && h.status !== "available" ? statusTag(h.status) : "", traceLink(h, warehouse)))),
  );
}
