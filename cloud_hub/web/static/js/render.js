// MapRenderer: the plan on a canvas. Zones, racks and bins (tinted by stock) are rasterised
// into a cached pixel buffer when the view changes; each frame copies it, rasterises the
// pallets over it, and draws the few vector overlays (doors and their gateway state, moves in
// flight, highlights). Level of detail by on-screen size: bins one by one only when they are
// at least BIN_MIN_PX wide, outlines and codes only when there is room for them.
import { KINDS } from "./layout.js";
import { BIN_FILL, BUCKET_COLOURS, GATEWAY_COLOURS, KIND_STYLE, ZONE_TYPE_FILL, unitBucket } from "./palette.js";
import { PixelBuffer, pixel } from "./raster.js";
import { visibleWorld } from "./view.js";

const BIN = KINDS.indexOf("bin"), ZONE = KINDS.indexOf("zone");
const DOOR = KINDS.indexOf("dock_door"), PORTAL = KINDS.indexOf("portal");
const BIN_MIN_PX = 2.5; // below this, bins are not drawn one by one (racks stand for them)
const BIN_EDGE_PX = 7; // from this size bins get an outline
const BIN_LABEL_PX = 46;
const HIGHLIGHT = "#d500f9";
const BACKGROUND = "#fafafa";
const PIXELS = new Map();
const px = (hex) => PIXELS.get(hex) ?? PIXELS.set(hex, pixel(hex)).get(hex);
const BUCKET_PIXELS = BUCKET_COLOURS.map(px);

function outside(L, i, vis) {
  return L.x[i] > vis.maxX || L.y[i] > vis.maxY || L.x[i] + L.w[i] < vis.minX || L.y[i] + L.d[i] < vis.minY;
}

export class MapRenderer {
  constructor(canvas, model) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { alpha: false });
    this.layer = document.createElement("canvas");
    this.lctx = this.layer.getContext("2d", { willReadFrequently: true });
    this.model = model; // {layout, stock, units, gateways: Map, highlighted: Set, selected, hover}
    this.view = null;
    this.width = 1; this.height = 1; this.dpr = 1;
    this.base = new PixelBuffer(1, 1); this.frameBuf = new PixelBuffer(1, 1);
    this.staticDirty = true;
  }

  resize(width, height, dpr) {
    this.width = width; this.height = height; this.dpr = dpr;
    const W = Math.round(width * dpr), H = Math.round(height * dpr);
    for (const c of [this.canvas, this.layer]) { c.width = W; c.height = H; }
    this.base = new PixelBuffer(W, H); this.frameBuf = new PixelBuffer(W, H);
    this.staticDirty = true;
  }

  setView(view) { this.view = view; this.staticDirty = true; }

  binTint(i) {
    const s = this.model.stock.summary(this.model.layout.code[i]);
    return s.status ? BIN_FILL[s.status] : KIND_STYLE.bin.fill;
  }

  /** On-screen size of a bin in CSS pixels at the current zoom. */
  binPx() {
    const L = this.model.layout, bins = L.byKind.bin;
    if (!bins || bins.length === 0 || !this.view) return 0;
    return Math.min(L.w[bins[0]], L.d[bins[0]]) * this.view.scale;
  }

  /** A bin's stock changed: repaint it in place when bins are drawn, else redraw the layer. */
  repaintLocation(i) {
    if (this.model.layout.kind[i] !== BIN || !this.view) return;
    if (this.staticDirty) return;
    if (this.binPx() < BIN_MIN_PX) { this.staticDirty = true; return; }
    this._bin(this.base, i, this.binPx() * this.dpr);
  }

  _bin(buf, i, devPx) {
    const L = this.model.layout, k = this.dpr, s = this.view.scale * k;
    const gap = devPx >= BIN_EDGE_PX || devPx < BIN_MIN_PX ? 0 : 1;
    const sx = L.x[i] * s + this.view.tx * k, sy = L.y[i] * s + this.view.ty * k;
    buf.fill(sx, sy, L.w[i] * s - gap, L.d[i] * s - gap, px(this.binTint(i)));
    if (devPx >= BIN_EDGE_PX) buf.outline(sx, sy, L.w[i] * s, L.d[i] * s, px(KIND_STYLE.bin.stroke));
  }

  drawStatic() {
    const L = this.model.layout, v = this.view, k = this.dpr, b = this.base;
    const s = v.scale * k, ox = v.tx * k, oy = v.ty * k;
    const vis = visibleWorld(v, this.width, this.height);
    b.clear(px(BACKGROUND));
    for (let i = 0; i < L.n; i++) {
      const kind = L.kind[i];
      if (kind === BIN || kind === DOOR || kind === PORTAL || outside(L, i, vis)) continue;
      const style = KIND_STYLE[KINDS[kind]];
      const fill = kind === ZONE && L.zoneType[i] ? ZONE_TYPE_FILL[L.zoneType[i]] || style.fill : style.fill;
      const sx = L.x[i] * s + ox, sy = L.y[i] * s + oy, w = L.w[i] * s, h = L.d[i] * s;
      if (fill) b.fill(sx, sy, w, h, px(fill));
      if (style.stroke && Math.max(w, h) > 3) b.outline(sx, sy, w, h, px(style.stroke));
    }
    const devPx = this.binPx() * k;
    for (const i of L.byKind.bin || []) {
      if (outside(L, i, vis)) continue;
      if (devPx < BIN_MIN_PX && !this.model.stock.summary(L.code[i]).status) continue; // zoomed out: stocked bins only
      this._bin(b, i, devPx);
    }
    this._labels(vis);
    this.staticDirty = false;
  }

  /** Text goes through the canvas (the rasteriser knows no fonts) and back into the buffer. */
  _labels(vis) {
    const L = this.model.layout, v = this.view, c = this.lctx, binPx = this.binPx();
    const jobs = [];
    for (const i of L.byKind.zone || []) if (L.w[i] * v.scale >= 60 && !outside(L, i, vis)) jobs.push(["600 13px system-ui, sans-serif", "#455a64", L.name[i] || L.code[i], i, 4, 3]);
    for (const i of L.byKind.staging || []) if (L.w[i] * v.scale >= 50 && !outside(L, i, vis)) jobs.push(["11px system-ui, sans-serif", "#5d4037", L.code[i], i, 3, 3]);
    if (binPx >= BIN_LABEL_PX) {
      for (const i of L.byKind.bin || []) if (!outside(L, i, vis) && jobs.length < 4000) jobs.push(["10px system-ui, sans-serif", "#37474f", L.code[i], i, 2, 2]);
    } else if (binPx >= 12) {
      for (const i of L.byKind.rack || []) if (L.w[i] * v.scale >= 24 && !outside(L, i, vis)) jobs.push(["10px system-ui, sans-serif", "#546e7a", L.code[i], i, 0, -12]);
    }
    if (jobs.length === 0) return;
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.putImageData(this.base.image, 0, 0);
    c.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    c.textBaseline = "top";
    for (const [font, colour, text, i, dx, dy] of jobs) {
      c.font = font; c.fillStyle = colour;
      c.fillText(text, L.x[i] * v.scale + v.tx + dx, L.y[i] * v.scale + v.ty + dy);
    }
    const img = c.getImageData(0, 0, this.base.width, this.base.height);
    this.base.image = img; this.base.data = new Uint32Array(img.data.buffer);
  }

  /** One frame: the cached plan, pallets, then doors, moves in flight and highlights.
   * Returns the milliseconds spent. */
  frame(now, wallNow) {
    const t0 = performance.now();
    if (!this.view) return 0;
    if (this.staticDirty) this.drawStatic();
    this.frameBuf.copyFrom(this.base);
    const vis = visibleWorld(this.view, this.width, this.height);
    const moving = this._units(this.frameBuf, vis, wallNow);
    const c = this.ctx;
    c.putImageData(this.frameBuf.image, 0, 0);
    c.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    this._doors(c, this.view, wallNow);
    this._trails(c, this.view, moving);
    this._marks(c, this.view, now);
    c.setTransform(1, 0, 0, 1, 0, 0);
    return performance.now() - t0;
  }

  _units(buf, vis, wallNow) {
    const v = this.view, k = this.dpr, s = v.scale * k, ox = v.tx * k, oy = v.ty * k;
    const store = this.model.units, moving = [];
    for (const u of store.units.values()) {
      if (u.idx < 0 || u.x < vis.minX - 2 || u.x > vis.maxX + 2 || u.y < vis.minY - 2 || u.y > vis.maxY + 2) continue;
      const size = Math.max(2, u.s * s);
      buf.fill(u.x * s + ox - size / 2, u.y * s + oy - size / 2, size, size, BUCKET_PIXELS[unitBucket(u.status, wallNow - u.since)]);
      if (store.moving.has(u.key)) moving.push(u);
    }
    return moving;
  }

  _doors(c, v, wallNow) {
    const L = this.model.layout;
    for (const i of [...(L.byKind.dock_door || []), ...(L.byKind.portal || [])]) {
      const gw = L.gateway[i];
      const state = gw ? (this.model.gateways.get(gw)?.state || "unknown") : null;
      const sx = L.x[i] * v.scale + v.tx, sy = L.y[i] * v.scale + v.ty;
      const w = Math.max(3, L.w[i] * v.scale), h = Math.max(3, L.d[i] * v.scale);
      c.fillStyle = L.kind[i] === PORTAL && state ? GATEWAY_COLOURS[state] : KIND_STYLE[KINDS[L.kind[i]]].fill;
      c.fillRect(sx, sy, w, h);
      if (L.kind[i] !== DOOR || !gw) continue;
      const r = Math.max(3, Math.min(7, w / 5));
      c.beginPath(); c.arc(sx + w + r + 2, sy + h / 2, r, 0, Math.PI * 2);
      c.fillStyle = GATEWAY_COLOURS[state]; c.fill();
      if (w >= 40) {
        const g = this.model.gateways.get(gw);
        const age = g && g.last_heartbeat ? Math.max(0, Math.round((wallNow - Date.parse(g.last_heartbeat)) / 1000)) : null;
        c.font = "10px system-ui, sans-serif"; c.fillStyle = "#263238"; c.textBaseline = "top";
        c.fillText(`${gw} · ${state}${age != null ? ` · ${age}s` : ""}`, sx, sy + h + 2);
      }
    }
  }

  _trails(c, v, moving) {
    if (moving.length === 0) return;
    c.strokeStyle = "rgba(255, 109, 0, 0.55)"; c.lineWidth = 1.5;
    c.beginPath();
    for (const u of moving) { c.moveTo(u.fx * v.scale + v.tx, u.fy * v.scale + v.ty); c.lineTo(u.x * v.scale + v.tx, u.y * v.scale + v.ty); }
    c.stroke();
    c.strokeStyle = "#ff6d00"; c.lineWidth = 2;
    for (const u of moving) {
      const size = Math.max(5, u.s * v.scale + 2);
      c.strokeRect(u.x * v.scale + v.tx - size / 2, u.y * v.scale + v.ty - size / 2, size, size);
    }
  }

  _marks(c, v, now) {
    const L = this.model.layout;
    const pulse = 0.5 + 0.5 * Math.sin(now / 180);
    c.strokeStyle = HIGHLIGHT;
    for (const i of this.model.highlighted) {
      const sx = L.x[i] * v.scale + v.tx, sy = L.y[i] * v.scale + v.ty, w = L.w[i] * v.scale, h = L.d[i] * v.scale;
      c.lineWidth = 3; c.strokeRect(sx - 2, sy - 2, w + 4, h + 4);
      c.lineWidth = 2; c.globalAlpha = 0.4 + 0.6 * pulse;
      c.beginPath(); c.arc(sx + w / 2, sy + h / 2, Math.max(w, h) / 2 + 6 + 6 * pulse, 0, Math.PI * 2); c.stroke();
      c.globalAlpha = 1;
    }
    for (const [i, colour, width] of [[this.model.hover, "#607d8b", 1.5], [this.model.selected, "#000000", 3]]) {
      if (i == null || i < 0) continue;
      c.strokeStyle = colour; c.lineWidth = width;
      c.strokeRect(L.x[i] * v.scale + v.tx - 1, L.y[i] * v.scale + v.ty - 1, L.w[i] * v.scale + 2, L.d[i] * v.scale + 2);
    }
  }
}
