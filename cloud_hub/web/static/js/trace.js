// The trace page: a lot, serial or unit searched on the map (or typed here) → its trace as a
// flow, three cards (came from / now / went to: orders, customers) and a timeline. Rule kept
// here: all data comes from the hub's scoped route with the signed-in user's token
// (GET /api/v1/trace); a 403 or 404 is said in words, never as an empty page.
import { el, fmtQty, fmtTime, table } from "./dom.js";
import { ApiError, api, requireSession, showUser } from "./session.js";
import { describe, flow, phase, refs, traceQuery, unitName } from "./tracecore.js";

const PAGE = 200; // steps per request; "Show more" asks for the next page
const $ = (id) => document.getElementById(id);
const state = { warehouse: null, query: null, steps: [], next: null, report: null };

function statusTag(status) {
  return el("span", { class: `tag ${status}` }, status);
}

function card(id, ...children) {
  $(id).querySelector(".body").replaceChildren(...children.flat().filter((c) => c != null));
}

function traceHref(params) {
  return `/trace?${new URLSearchParams({ warehouse: state.warehouse, ...params })}`;
}

function drawFlow(report) {
  const f = flow(report);
  const box = (cls, title, line) => el("li", { class: `flow-box ${cls}` }, el("b", {}, title), el("span", {}, line));
  $("flow").replaceChildren(
    box("in", f.suppliers.length ? f.suppliers.join(", ") : "Supplier unknown",
      `${f.receipts} receipt${f.receipts === 1 ? "" : "s"} · ${fmtQty(f.received)} received`),
    box("inside", `${fmtQty(f.onHand)} on hand`,
      `${f.locations} location${f.locations === 1 ? "" : "s"}${f.held ? ` · ${fmtQty(f.held)} on hold` : ""}`),
    box("out", `${fmtQty(f.shipped)} shipped`,
      f.orders.length ? `order${f.orders.length === 1 ? "" : "s"} ${f.orders.join(", ")}` : "no orders"),
  );
}

function shipTo(to) {
  if (!to) return "—";
  const a = to.address || {};
  return [to.name, a.city, a.country].filter(Boolean).join(", ") || "—";
}

function drawCards(report) {
  card("came-from", report.receipts.length
    ? table(["Receipt", "Supplier", "Dock", "State", "Expected"], report.receipts.map((r) => [
      r.receipt_id, r.supplier || "—", r.dock || "—", r.state,
      r.expected.map((e) => `${e.sku}/${e.lot} × ${fmtQty(e.quantity)}`).join(", ") || "—"]))
    : el("p", { class: "hint" }, "No receipt on record: the stock came in without one (opening stock, a gate, an adjustment)."));
  const now = report.now;
  card("now",
    el("p", { class: "big", id: "on-hand" }, `${fmtQty(now.on_hand)} on hand`),
    now.at_locations.length
      ? table(["Location", "SKU / lot", "Status", "Qty"], now.at_locations.map((h) => [
        h.location, `${h.sku} / ${h.lot || "—"}`, statusTag(h.status), fmtQty(h.quantity)]), [3])
      : el("p", { class: "hint" }, "None left in the warehouse."),
    now.in_units.length ? el("h3", {}, "In pallets / units") : null,
    now.in_units.length
      ? table(["Unit", "Where", "Status", "Qty"], now.in_units.map((h) => [
        el("a", { href: traceHref({ unit: h.unit }) }, unitName(h.unit)), h.location || "shipped",
        statusTag(h.status), fmtQty(h.quantity)]), [3])
      : null);
  card("went-to", report.orders.length
    ? table(["Order", "Customer", "Ship to", "State", "Carrier"], report.orders.map((o) => [
      o.order_id, o.customer || "—", shipTo(o.ship_to), o.state, o.carrier || "—"]))
    : el("p", { class: "hint" }, "Not picked or shipped for any order."),
  report.picks.length ? el("h3", {}, "Picks") : null,
  report.picks.length
    ? table(["Order", "From", "Qty", "Shipped"], report.picks.map((p) => [
      `${p.order_id} #${p.line_no}`, p.location || "—", fmtQty(p.quantity), p.shipped ? "yes" : "no"]), [2])
    : null);
}

function stepItem(step) {
  const p = phase(step);
  return el("li", { class: `step ${p}`, dataset: { kind: step.kind, phase: p } },
    el("time", { datetime: step.occurred_at }, fmtTime(step.occurred_at)),
    el("span", { class: "what" }, describe(step)),
    el("span", { class: "refs" }, refs(step).join(" · ")),
    step.lot && state.report && state.report.lots.length > 1 ? el("span", { class: "hint" }, ` ${step.sku}/${step.lot}`) : null);
}

function drawTimeline() {
  $("timeline").replaceChildren(...state.steps.map(stepItem));
  const total = state.report?.page?.total_steps ?? state.steps.length;
  $("count").textContent = `· ${state.steps.length} of ${total} steps`;
  $("more").hidden = state.next == null;
}

async function fetchPage(offset) {
  const q = { ...state.query, warehouse: state.warehouse, offset, limit: PAGE };
  return api(`/api/v1/trace?${new URLSearchParams(q)}`);
}

async function showTrace(query, title) {
  state.query = query;
  const report = await fetchPage(0);
  state.report = report; state.steps = report.steps; state.next = report.page.next_offset;
  $("subject").textContent = title;
  $("lots").textContent = report.lots.length ? `Lots: ${report.lots.map((k) => `${k.sku} / ${k.lot || "unlotted"}`).join(", ")}` : "";
  drawFlow(report); drawCards(report); drawTimeline();
  $("notes").textContent = [...report.notes, report.truncated ? "The trace was cut at its bound: narrow it by SKU or direction." : null].filter(Boolean).join(" ");
  return report;
}

async function showSerial(serial, sku) {
  const report = await showTrace({ serial, ...(sku ? { sku } : {}) }, `Serial ${serial}`);
  const lot = report.lots.find((k) => k.lot) || report.lots[0];
  if (lot) $("subject").textContent = `Serial ${serial} (${lot.sku})`;
  $("lots").replaceChildren(lot && lot.lot ? "Lot " : "No lot",
    lot && lot.lot ? el("a", { href: traceHref({ lot: lot.lot, sku: lot.sku }) }, lot.lot) : "",
    lot && lot.lot ? " (open the lot for everything it went into)" : "");
  if (report.exceptions && report.exceptions.length) {
    $("notes").prepend(el("span", { class: "error" }, `Seen in two places at once: exception ${report.exceptions.map((x) => x.exception_id ?? x).join(", ")}. `));
  }
}

async function run(params) {
  $("message").textContent = "Tracing…";
  $("result").hidden = true;
  const serial = (params.get("serial") || "").trim();
  const query = traceQuery(params);
  if (serial) await showSerial(serial, query.sku);
  else if (query.unit) await showTrace(query, `Unit ${unitName(query.unit)}`);
  else if (query.lot) await showTrace(query, `Lot ${query.lot}${query.sku ? ` of ${query.sku}` : ""}`);
  else { $("message").textContent = "Name a lot, a serial or a unit above."; return; }
  $("message").textContent = "";
  $("result").hidden = false;
}

function fillForm(params) {
  const what = params.get("serial") ? "serial" : params.get("unit") ? "unit" : "lot";
  $("what").value = what;
  $("q").value = params.get(what) || "";
  $("sku").value = params.get("sku") || "";
  $("direction").value = params.get("direction") || "both";
  $("trace-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const next = { warehouse: state.warehouse, [$("what").value]: $("q").value.trim() };
    if ($("sku").value.trim() && $("what").value !== "unit") next.sku = $("sku").value.trim();
    if ($("direction").value !== "both") next.direction = $("direction").value;
    location.search = new URLSearchParams(next).toString();
  });
}

function showError(err) {
  const words = err.status === 403 ? `Not allowed: ${err.message}` : err.status === 404 ? `Not found: ${err.message}` : `Error: ${err.message}`;
  $("message").replaceChildren(el("span", { class: "error", id: "trace-error" }, words));
  $("result").hidden = true;
}

async function main() {
  window.__trace = { ready: false, error: null, get steps() { return state.steps; }, get report() { return state.report; } };
  const session = requireSession();
  showUser(session);
  const params = new URLSearchParams(location.search);
  const { warehouses } = await api("/api/v1/map/warehouses");
  state.warehouse = params.get("warehouse") || warehouses[0] || null;
  $("warehouse").replaceChildren(...warehouses.map((w) => el("option", { value: w, selected: w === state.warehouse }, w)));
  $("warehouse").onchange = () => { params.set("warehouse", $("warehouse").value); location.search = params.toString(); };
  $("to-map").href = `/map?warehouse=${encodeURIComponent(state.warehouse || "")}`;
  fillForm(params);
  $("more").addEventListener("click", async () => {
    const page = await fetchPage(state.next).catch(showError);
    if (!page) return;
    state.steps = state.steps.concat(page.steps); state.next = page.page.next_offset;
    drawTimeline();
  });
  await run(params);
}

main().catch((err) => { showError(err); window.__trace.error = err.message; console.error(err); })
  .finally(() => { window.__trace.ready = true; });
