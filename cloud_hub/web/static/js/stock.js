// Stock per location from balance rows and live `balance` messages: totals and worst status.
// Rule kept here: a balance message carries the new absolute quantity, so applying one twice
// changes nothing; each location's summary is kept up to date as lines change.
import { worseStatus } from "./palette.js";

const EMPTY = Object.freeze({ quantity: 0, status: null });

function summarise(lines) {
  let quantity = 0, status = "available";
  for (const [key, q] of lines) {
    quantity += q;
    status = worseStatus(status, key.slice(key.lastIndexOf("\u0000") + 1));
  }
  return { quantity, status };
}

export class StockIndex {
  constructor() {
    this.byLocation = new Map(); // location -> Map("sku\u0000lot\u0000status" -> qty)
    this.summaries = new Map(); // location -> {quantity, status}
  }

  /** rows: [[location, sku, lot, status, quantity], ...] */
  load(rows) {
    this.byLocation.clear(); this.summaries.clear();
    for (const [loc, sku, lot, status, qty] of rows) {
      if (!(Number(qty) > 0)) continue;
      let lines = this.byLocation.get(loc);
      if (!lines) { lines = new Map(); this.byLocation.set(loc, lines); }
      lines.set(`${sku}\u0000${lot || ""}\u0000${status}`, Number(qty));
    }
    for (const [loc, lines] of this.byLocation) this.summaries.set(loc, summarise(lines));
  }

  /** Returns true when the location's summary (has stock / worst status) changed. */
  set(location, sku, lot, status, quantity) {
    const before = this.summary(location);
    let lines = this.byLocation.get(location);
    if (!lines) { lines = new Map(); this.byLocation.set(location, lines); }
    const key = `${sku}\u0000${lot || ""}\u0000${status}`;
    if (Number(quantity) > 0) lines.set(key, Number(quantity)); else lines.delete(key);
    if (lines.size === 0) { this.byLocation.delete(location); this.summaries.delete(location); } else this.summaries.set(location, summarise(lines));
    const after = this.summary(location);
    return before.status !== after.status;
  }

  /** {quantity, status}: status null when the location holds nothing. */
  summary(location) {
    return this.summaries.get(location) || EMPTY;
  }

  get size() { return this.byLocation.size; }
}
