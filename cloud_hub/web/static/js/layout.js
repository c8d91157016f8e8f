// The floor plan: location rows from /api/v1/map/layout as typed arrays, plus a hit grid.
// Rule kept here: pure functions of their arguments (no DOM, no clock), so tests run them as-is.

export const KINDS = ["zone", "area", "staging", "packing", "aisle", "rack", "bin", "dock_door", "portal"];
const KIND_INDEX = new Map(KINDS.map((k, i) => [k, i]));
// Smaller number = more specific: a click picks the most specific location under the cursor.
const SPECIFICITY = { portal: 0, dock_door: 1, bin: 2, staging: 3, packing: 3, rack: 4, aisle: 5, area: 6, zone: 7 };

export function kindIndex(kind) {
  return KIND_INDEX.has(kind) ? KIND_INDEX.get(kind) : KIND_INDEX.get("area");
}

/** Columnar payload {columns, rows} -> layout with typed arrays; rows without a footprint are
 * kept only as parents (their children may be drawn). */
export function buildLayout(payload) {
  const col = Object.fromEntries(payload.columns.map((c, i) => [c, i]));
  const parentOf = new Map();
  // draw order: big areas first, bins above racks, doors and portals on top (a bucket per kind)
  const buckets = KINDS.map(() => []);
  for (const r of payload.rows) {
    parentOf.set(r[col.code], r[col.parent]);
    if (r[col.x] != null && r[col.y] != null && r[col.width] > 0 && r[col.depth] > 0) buckets[kindIndex(r[col.kind])].push(r);
  }
  const n = buckets.reduce((a, b) => a + b.length, 0);
  const layout = {
    n, parentOf,
    code: new Array(n), kind: new Uint8Array(n), name: new Array(n), gateway: new Array(n),
    zoneType: new Array(n),
    x: new Float64Array(n), y: new Float64Array(n), w: new Float64Array(n), d: new Float64Array(n),
    index: new Map(), byKind: {}, bounds: { minX: 0, minY: 0, maxX: 1, maxY: 1 },
  };
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity, i = 0;
  for (let k = 0; k < KINDS.length; k++) {
    if (buckets[k].length) layout.byKind[KINDS[k]] = [];
    for (const r of buckets[k]) {
      const x = r[col.x], y = r[col.y], w = r[col.width], d = r[col.depth];
      layout.code[i] = r[col.code]; layout.kind[i] = k;
      layout.name[i] = r[col.name] || ""; layout.gateway[i] = r[col.gateway] || null; layout.zoneType[i] = r[col.zone_type] || null;
      layout.x[i] = x; layout.y[i] = y; layout.w[i] = w; layout.d[i] = d;
      layout.index.set(r[col.code], i);
      layout.byKind[KINDS[k]].push(i);
      if (x < minX) minX = x;
      if (y < minY) minY = y;
      if (x + w > maxX) maxX = x + w;
      if (y + d > maxY) maxY = y + d;
      i++;
    }
  }
  if (n > 0) layout.bounds = { minX, minY, maxX, maxY };
  return layout;
}

/** The index of the drawn location a code stands at: itself, else its nearest drawn ancestor. */
export function drawnIndex(layout, code) {
  let c = code;
  for (let hops = 0; c != null && hops < 16; hops++) {
    const i = layout.index.get(c);
    if (i !== undefined) return i;
    c = layout.parentOf.get(c);
  }
  return -1;
}

export function rectOf(layout, i) {
  return { x: layout.x[i], y: layout.y[i], w: layout.w[i], d: layout.d[i] };
}

/** A uniform grid over the plan: cell -> indices of the locations overlapping it. */
export function buildHitGrid(layout, cell = 4) {
  const { minX, minY, maxX, maxY } = layout.bounds;
  const cols = Math.max(1, Math.ceil((maxX - minX) / cell) + 1);
  const rows = Math.max(1, Math.ceil((maxY - minY) / cell) + 1);
  const cells = new Map();
  for (let i = 0; i < layout.n; i++) {
    const c0 = Math.floor((layout.x[i] - minX) / cell), c1 = Math.floor((layout.x[i] + layout.w[i] - minX) / cell);
    const r0 = Math.floor((layout.y[i] - minY) / cell), r1 = Math.floor((layout.y[i] + layout.d[i] - minY) / cell);
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const k = r * cols + c;
        const list = cells.get(k);
        if (list) list.push(i); else cells.set(k, [i]);
      }
    }
  }
  return { cell, cols, rows, minX, minY, cells };
}

/** The most specific location containing world point (wx, wy), or -1. */
export function hitTest(layout, grid, wx, wy) {
  const c = Math.floor((wx - grid.minX) / grid.cell), r = Math.floor((wy - grid.minY) / grid.cell);
  const list = grid.cells.get(r * grid.cols + c);
  if (!list) return -1;
  let best = -1, bestRank = Infinity, bestArea = Infinity;
  for (const i of list) {
    if (wx < layout.x[i] || wy < layout.y[i] || wx > layout.x[i] + layout.w[i] || wy > layout.y[i] + layout.d[i]) continue;
    const rank = SPECIFICITY[KINDS[layout.kind[i]]] ?? 6;
    const area = layout.w[i] * layout.d[i];
    if (rank < bestRank || (rank === bestRank && area < bestArea)) { best = i; bestRank = rank; bestArea = area; }
  }
  return best;
}
