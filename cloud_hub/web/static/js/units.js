// Pallets on the plan: where each is drawn, laid out in slots inside its location, and the
// animation of a move. Rule kept here: time is passed in (`now`, ms); nothing reads a clock.
import { drawnIndex } from "./layout.js";

export const MOVE_MS = 500;
const SLOT_FILL = 0.78;

function ease(t) {
  return t < 0.5 ? 2 * t * t : 1 - ((-2 * t + 2) ** 2) / 2;
}

export class UnitStore {
  constructor(layout) {
    this.layout = layout;
    this.units = new Map(); // unit_key -> unit record
    this.byIndex = new Map(); // drawn location index -> [unit_key]
    this.moving = new Set();
    this.unplaced = 0;
    this.vanished = []; // {x, y, s} of pallets that left or appeared since the renderer looked
  }

  /** rows: [[unit_key, location, since_ms, status], ...]; placed at once, no animation. */
  load(rows) {
    this.units.clear(); this.byIndex.clear(); this.moving.clear(); this.unplaced = 0; this.vanished = [];
    for (const [key, loc, since, status] of rows) this._attach(this._record(key, loc, since, status));
    for (const idx of this.byIndex.keys()) this._layoutSlots(idx, null);
  }

  _record(key, loc, since, status) {
    return { key, loc, since, status: status || "available", idx: -1, x: 0, y: 0, s: 0,
      fx: 0, fy: 0, tx: 0, ty: 0, t0: 0, fromIdx: -1 };
  }

  _attach(u) {
    this.units.set(u.key, u);
    u.idx = u.loc == null ? -1 : drawnIndex(this.layout, u.loc);
    if (u.idx < 0) { this.unplaced++; return; }
    const list = this.byIndex.get(u.idx);
    if (list) list.push(u.key); else this.byIndex.set(u.idx, [u.key]);
  }

  _detach(u) {
    if (u.idx < 0) { this.unplaced--; return; }
    const list = this.byIndex.get(u.idx);
    const at = list ? list.indexOf(u.key) : -1;
    if (at >= 0) list.splice(at, 1);
    if (list && list.length === 0) this.byIndex.delete(u.idx);
  }

  /** Give every unit at drawn location `idx` its slot; animate the ones that change when
   * `now` is given. */
  _layoutSlots(idx, now) {
    const list = this.byIndex.get(idx);
    if (!list) return;
    const L = this.layout;
    const w = L.w[idx], d = L.d[idx], n = list.length;
    const cols = Math.min(n, Math.max(1, Math.round(Math.sqrt(n * w / d))));
    const rows = Math.ceil(n / cols);
    const cw = w / cols, ch = d / rows;
    const size = Math.min(cw, ch) * SLOT_FILL;
    for (let j = 0; j < n; j++) {
      const u = this.units.get(list[j]);
      const tx = L.x[idx] + ((j % cols) + 0.5) * cw, ty = L.y[idx] + (Math.floor(j / cols) + 0.5) * ch;
      u.s = size;
      if (now == null) { u.x = u.tx = tx; u.y = u.ty = ty; continue; }
      if (tx === u.tx && ty === u.ty) continue;
      u.fx = u.x; u.fy = u.y; u.tx = tx; u.ty = ty; u.t0 = now;
      this.moving.add(u.key);
    }
  }

  /** A unit went to `to` (null: it left the warehouse). Returns the unit record or null. */
  move(key, to, since, now, status) {
    let u = this.units.get(key);
    const oldIdx = u ? u.idx : -1;
    if (u) this._detach(u);
    if (to == null) {
      if (u) {
        this.vanished.push({ x: u.x, y: u.y, s: u.s });
        this.units.delete(key); this.moving.delete(key); this._layoutSlots(oldIdx, now);
      }
      return null;
    }
    const fresh = !u;
    if (fresh) u = this._record(key, to, since, status);
    u.loc = to; u.since = since; if (status) u.status = status;
    this._attach(u);
    u.fromIdx = oldIdx;
    if (fresh && u.idx >= 0) {
      // a new arrival appears at its place (it was outside the plan until now)
      const L = this.layout;
      u.x = L.x[u.idx] + L.w[u.idx] / 2; u.y = L.y[u.idx] + L.d[u.idx] / 2;
    }
    if (oldIdx >= 0 && oldIdx !== u.idx) this._layoutSlots(oldIdx, now);
    if (u.idx >= 0) this._layoutSlots(u.idx, now);
    if (fresh) this.vanished.push({ x: u.tx, y: u.ty, s: u.s }); // appeared: draw its place
    if (oldIdx >= 0 && u.idx < 0) this.vanished.push({ x: u.x, y: u.y, s: u.s });
    return u;
  }

  /** Advance animations to `now`; true while something is still moving. */
  advance(now) {
    for (const key of this.moving) {
      const u = this.units.get(key);
      if (!u) { this.moving.delete(key); continue; }
      const t = (now - u.t0) / MOVE_MS;
      if (t >= 1) { u.x = u.tx; u.y = u.ty; this.moving.delete(key); continue; }
      const e = ease(Math.max(0, t));
      u.x = u.fx + (u.tx - u.fx) * e; u.y = u.fy + (u.ty - u.fy) * e;
    }
    return this.moving.size > 0;
  }

  at(idx) {
    return this.byIndex.get(idx) || [];
  }

  get size() { return this.units.size; }
}
