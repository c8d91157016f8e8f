// MapRenderer: the plan on a canvas. Zones, racks, bins (tinted by stock) and doors (by their
// gateway's state) are rasterised into a cached pixel buffer when the view changes. A full
// frame copies it, rasterises the pallets over it and draws the vector overlays (moves in
// flight, highlights, selection); while pallets merely move, a partial frame repaints only the
// small boxes they cross, so a busy warehouse costs what moves, not what stands still.
// Level of detail by on-screen size: bins one by one only when they are at least BIN_MIN_PX
// wide, outlines and codes only when there is room for them.
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
    this.fullNext = true; // the next frame repaints everything
    this.drawnMoving = new Map(); // unit_key -> screen box it was drawn in, while it moves
    this.dirtyBoxes = []; // screen boxes (device px) to repaint in the next partial frame
  }

  /** Something other than pallets changed (selection, highlight, hover): repaint it all. */
  invalidate() { this.fullNext = true; }

  resize(width, height, dpr) {
    this.width = width; this.height = height; this.dpr = dpr;
    const W = Math.round(width * dpr), H = Math.round(height * dpr);
    for (const c of [this.canvas, this.layer]) { c.width = W; c.height = H; }
    this.base = new PixelBuffer(W, H); this.frameBuf = new PixelBuffer(W, H);
    this.staticDirty = true;
  }

  setView(view) { this.view = view; this.staticDirty = true; this.fullNext = true; }

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
    const L = this.model.layout, k = this.dpr, v = this.view;
    this.dirtyBoxes.push(this._box((L.x[i] * v.scale + v.tx) * k, (L.y[i] * v.scale + v.ty) * k,
      L.w[i] * v.scale * k, L.d[i] * v.scale * k, 1));
  }

  /** A box in device pixels around (x, y, w, h), grown by `pad`, whole pixels, on the canvas. */
  _box(x, y, w, h, pad) {
    const W = this.base.width, H = this.base.height;
    const x0 = Math.max(0, Math.floor(x - pad)), y0 = Math.max(0, Math.floor(y - pad));
    const x1 = Math.min(W, Math.ceil(x + w + pad)), y1 = Math.min(H, Math.ceil(y + h + pad));
    return [x0, y0, Math.max(0, x1 - x0), Math.max(0, y1 - y0)];
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
    for (const i of [...(L.byKind.dock_door || []), ...(L.byKind.portal || [])]) {
      const fill = this._doorFill(i);
      b.fill(L.x[i] * s + ox, L.y[i] * s + oy, Math.max(3 * k, L.w[i] * s), Math.max(3 * k, L.d[i] * s), px(fill));
    }
    this._labels(vis);
    this.staticDirty = false;
    this.fullNext = true;
  }

  _gatewayState(i) {
    const gw = this.model.layout.gateway[i];
    return gw ? (this.model.gateways.get(gw)?.state || "unknown") : null;
  }

  _doorFill(i) {
    const L = this.model.layout, state = this._gatewayState(i);
    if (L.kind[i] === PORTAL && state) return GATEWAY_COLOURS[state] || GATEWAY_COLOURS.unknown;
    return KIND_STYLE[KINDS[L.kind[i]]].fill;
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
    const doors = L.byKind.dock_door || [];
    if (jobs.length === 0 && doors.length === 0) return;
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.putImageData(this.base.image, 0, 0);
    c.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    c.textBaseline = "top";
    for (const [font, colour, text, i, dx, dy] of jobs) {
      c.font = font; c.fillStyle = colour;
      c.fillText(text, L.x[i] * v.scale + v.tx + dx, L.y[i] * v.scale + v.ty + dy);
    }
    this._doorMarks(c, v, doors);
    const img = c.getImageData(0, 0, this.base.width, this.base.height);
    this.base.image = img; this.base.data = new Uint32Array(img.data.buffer);
  }

  /** One frame; full when the plan, view, selection or highlights changed (or `full`), else
   * only the boxes that moving pallets and restocked bins cover. Returns the ms spent. */
  frame(now, wallNow, full = false) {
    const t0 = performance.now();
    if (!this.view) return 0;
    if (this.staticDirty) this.drawStatic();
    const boxes = full || this.fullNext || this.model.highlighted.size ? null : this._partialBoxes(wallNow);
    if (boxes === null) this._fullFrame(now, wallNow);
    else if (boxes.length) this._partialFrame(boxes, wallNow);
    return performance.now() - t0;
  }

  _fullFrame(now, wallNow) {
    this.frameBuf.copyFrom(this.base);
    const vis = visibleWorld(this.view, this.width, this.height);
    const moving = this._units(this.frameBuf, vis, wallNow, null);
    const c = this.ctx;
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.putImageData(this.frameBuf.image, 0, 0);
    c.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    this._trails(c, this.view, moving);
    this._marks(c, this.view, now);
    c.setTransform(1, 0, 0, 1, 0, 0);
    this._remember(moving);
    this.fullNext = false; this.dirtyBoxes = []; this.model.units.vanished = [];
  }

  /** Boxes to repaint: where each moving pallet is now and was last drawn, bins whose stock
   * changed, pallets that came or went; null when so much changed that a full frame is cheaper. */
  _partialBoxes() {
    const store = this.model.units, v = this.view, k = this.dpr, s = v.scale * k;
    const boxes = this.dirtyBoxes;
    const around = (x, y, size, pad) => this._box((x * v.scale + v.tx) * k - size / 2, (y * v.scale + v.ty) * k - size / 2, size, size, pad);
    for (const key of new Set([...store.moving, ...this.drawnMoving.keys()])) {
      const u = store.units.get(key), before = this.drawnMoving.get(key);
      if (before) boxes.push(before);
      if (u && u.idx >= 0) boxes.push(around(u.x, u.y, Math.max(2, u.s * s), 3 * k));
    }
    for (const g of store.vanished) boxes.push(around(g.x, g.y, Math.max(2, g.s * s), 2 * k));
    store.vanished = []; this.dirtyBoxes = [];
    const area = boxes.reduce((a, b) => a + b[2] * b[3], 0);
    return boxes.length > 600 || area > 0.3 * this.base.width * this.base.height ? null : boxes.filter((b) => b[2] > 0 && b[3] > 0);
  }

  _partialFrame(boxes, wallNow) {
    const f = this.frameBuf, W = f.width;
    for (const [x, y, w, h] of boxes) {
      for (let row = y; row < y + h; row++) f.data.set(this.base.data.subarray(row * W + x, row * W + x + w), row * W + x);
    }
    const vis = visibleWorld(this.view, this.width, this.height);
    const moving = this._units(f, vis, wallNow, boxes);
    const c = this.ctx;
    c.setTransform(1, 0, 0, 1, 0, 0);
    for (const [x, y, w, h] of boxes) {
      const part = new ImageData(w, h), dst = new Uint32Array(part.data.buffer);
      for (let row = 0; row < h; row++) dst.set(f.data.subarray((y + row) * W + x, (y + row) * W + x + w), row * w);
      c.putImageData(part, x, y);
    }
    c.save();
    c.beginPath();
    for (const [x, y, w, h] of boxes) c.rect(x, y, w, h);
    c.clip();
    c.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    this._trails(c, this.view, moving);
    this._marks(c, this.view, 0);
    c.restore();
    this._remember(moving);
  }

  /** Where each moving pallet (and its tail) was drawn, to erase it next frame. */
  _remember(moving) {
    const v = this.view, k = this.dpr;
    this.drawnMoving.clear();
    for (const u of moving) {
      const size = Math.max(5, u.s * v.scale + 2) * k;
      const [tx, ty] = this._tail(u);
      const x0 = Math.min(u.x, tx), y0 = Math.min(u.y, ty);
      this.drawnMoving.set(u.key, this._box((x0 * v.scale + v.tx) * k - size / 2, (y0 * v.scale + v.ty) * k - size / 2,
        Math.abs(u.x - tx) * v.scale * k + size, Math.abs(u.y - ty) * v.scale * k + size, 3 * k));
    }
  }

  /** The start of a moving pallet's short tail: a little way back along its path. */
  _tail(u) {
    const dx = u.tx - u.fx, dy = u.ty - u.fy, len = Math.hypot(dx, dy);
    if (len === 0) return [u.x, u.y];
    const back = Math.min(len, 14 / this.view.scale); // about 14 CSS px of tail
    const gone = Math.hypot(u.x - u.fx, u.y - u.fy);
    const t = Math.max(0, gone - back) / len;
    return [u.fx + dx * t, u.fy + dy * t];
  }

  /** Rasterise the pallets in view (only those touching `boxes`, when given); returns the
   * ones moving. */
  _units(buf, vis, wallNow, boxes) {
    const v = this.view, k = this.dpr, s = v.scale * k, ox = v.tx * k, oy = v.ty * k;
    const store = this.model.units, moving = [];
    const grid = boxes ? boxGrid(boxes) : null;
    for (const u of store.units.values()) {
      if (u.idx < 0 || u.x < vis.minX - 2 || u.x > vis.maxX + 2 || u.y < vis.minY - 2 || u.y > vis.maxY + 2) continue;
      const size = Math.max(2, u.s * s), x = u.x * s + ox - size / 2, y = u.y * s + oy - size / 2;
      if (grid && !grid.touches(x, y, size, size)) continue;
      buf.fill(x, y, size, size, BUCKET_PIXELS[unitBucket(u.status, wallNow - u.since)]);
      if (store.moving.has(u.key)) moving.push(u);
    }
    return moving;
  }

  /** The gateway's state beside each door it watches: a dot, and its name when there is room. */
  _doorMarks(c, v, doors) {
    const L = this.model.layout;
    for (const i of doors) {
      const gw = L.gateway[i];
      if (!gw) continue;
      const state = this._gatewayState(i);
      const sx = L.x[i] * v.scale + v.tx, sy = L.y[i] * v.scale + v.ty;
      const w = Math.max(3, L.w[i] * v.scale), h = Math.max(3, L.d[i] * v.scale);
      const r = Math.max(3, Math.min(7, w / 5));
      c.beginPath(); c.arc(sx + w + r + 2, sy + h / 2, r, 0, Math.PI * 2);
      c.fillStyle = GATEWAY_COLOURS[state] || GATEWAY_COLOURS.unknown; c.fill();
      if (w >= 40) {
        c.font = "10px system-ui, sans-serif"; c.fillStyle = "#263238"; c.textBaseline = "top";
        c.fillText(`${gw} · ${state}`, sx, sy + h + 2);
      }
    }
  }

  _trails(c, v, moving) {
    if (moving.length === 0) return;
    c.strokeStyle = "rgba(255, 109, 0, 0.6)"; c.lineWidth = 2;
    c.beginPath();
    for (const u of moving) {
      const [tx, ty] = this._tail(u);
      c.moveTo(tx * v.scale + v.tx, ty * v.scale + v.ty); c.lineTo(u.x * v.scale + v.tx, u.y * v.scale + v.ty);
    }
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

/** A coarse grid over a list of boxes, answering "does this rectangle touch any of them?". */
function boxGrid(boxes, cell = 64) {
  const cells = new Map();
  for (const b of boxes) {
    for (let cy = Math.floor(b[1] / cell); cy <= Math.floor((b[1] + b[3]) / cell); cy++) {
      for (let cx = Math.floor(b[0] / cell); cx <= Math.floor((b[0] + b[2]) / cell); cx++) {
        const key = cy * 4096 + cx;
        (cells.get(key) || cells.set(key, []).get(key)).push(b);
      }
    }
  }
  return {
    touches(x, y, w, h) {
      for (let cy = Math.floor(y / cell); cy <= Math.floor((y + h) / cell); cy++) {
        for (let cx = Math.floor(x / cell); cx <= Math.floor((x + w) / cell); cx++) {
          for (const b of cells.get(cy * 4096 + cx) || []) {
            if (x < b[0] + b[2] && x + w > b[0] && y < b[1] + b[3] && y + h > b[1]) return true;
          }
        }
      }
      return false;
    },
  };
}
