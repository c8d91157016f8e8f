// The trace page's pure core: a GET /api/v1/trace answer (or a serial's sightings) read as a
// manager reads it — each step a sentence in one of four phases, and the flow from supplier to
// customer in one line. Rule kept here: no DOM, no fetch, no clock (tested in Chromium as is).

const UNIT_PREFIX = /^(sscc|epc):/;

/** A unit key as people read it (the bare SSCC or EPC). */
export function unitName(key) {
  return key ? key.replace(UNIT_PREFIX, "") : "";
}

/** Where a step belongs: "in" (came into the warehouse), "out" (left it), "held" (put on
 *  hold: quarantine, damaged), or "inside" (moved within it). */
export function phase(step) {
  if (!step.to_location) return "out";
  if (!step.from_location && step.kind !== "pack" && step.kind !== "unpack") return "in";
  if (step.to_status && step.to_status !== "available" && step.to_status !== step.status) return "held";
  return "inside";
}

const VERBS = {
  receive: "Received", putaway: "Put away", transfer: "Moved", pick: "Picked", ship: "Shipped",
  adjust: "Adjusted", count: "Counted", portal_pass: "Passed a gate", sighting: "Seen",
  pack: "Packed", unpack: "Unpacked",
};

function qty(q) {
  return q == null ? "" : Number(q).toLocaleString("en");
}

/** One sentence for a step: what happened to how much, on/into/out of which unit, from → to. */
export function describe(step) {
  const verb = VERBS[step.kind] || step.kind;
  const amount = step.quantity != null ? ` ${qty(step.quantity)}` : "";
  const unit = unitName(step.unit);
  let how = "";
  if (unit && step.kind === "pack") how = ` into ${unit}`;
  else if (unit && step.kind === "unpack") how = ` out of ${unit}`;
  else if (unit) how = step.via_unit ? ` on ${unit}` : ` with ${unit}`;
  const where = `${step.from_location || "outside"} → ${step.to_location || "out of the warehouse"}`;
  return `${verb}${amount}${how}: ${where}`;
}

/** Receipt / order references and who did it, as short labels. */
export function refs(step) {
  const out = [];
  if (step.receipt) out.push(`receipt ${step.receipt}`);
  if (step.order) out.push(`order ${step.order}`);
  if (step.to_status && step.to_status !== step.status) out.push(`status → ${step.to_status}`);
  if (step.user) out.push(`by ${step.user}`);
  return out;
}

/** Shipped quantity per order, from the ship steps that left the warehouse. */
export function shippedByOrder(steps) {
  const byOrder = new Map();
  for (const s of steps) {
    if (phase(s) !== "out" || s.quantity == null) continue;
    const key = s.order || "";
    byOrder.set(key, (byOrder.get(key) || 0) + Number(s.quantity));
  }
  return byOrder;
}

/** The flow in one line: suppliers → received → where it is now → orders shipped. */
export function flow(report) {
  const steps = report.steps || [];
  const received = steps.filter((s) => phase(s) === "in").reduce((n, s) => n + Number(s.quantity || 0), 0);
  const shipped = [...shippedByOrder(steps).values()].reduce((n, q) => n + q, 0);
  const places = new Set((report.now?.at_locations || []).map((h) => h.location));
  const suppliers = [...new Set((report.receipts || []).map((r) => r.supplier).filter(Boolean))];
  const held = (report.now?.at_locations || []).filter((h) => h.status !== "available")
    .reduce((n, h) => n + Number(h.quantity), 0);
  return {
    suppliers, receipts: (report.receipts || []).length, received,
    onHand: Number(report.now?.on_hand || 0), locations: places.size, held,
    units: (report.units || []).length,
    orders: (report.orders || []).map((o) => o.order_id), shipped,
  };
}

/** The trace API's query for what the page was asked: {lot, sku}, {unit} or {serial, sku}. */
export function traceQuery(params) {
  const q = {};
  for (const k of ["lot", "sku", "unit", "serial", "direction"]) {
    const v = (params.get(k) || "").trim();
    if (v) q[k] = v;
  }
  return q;
}
