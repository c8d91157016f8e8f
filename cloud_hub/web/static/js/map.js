// The live map page: loads the plan and a snapshot, then follows /api/v1/live.
// Rule kept here: live messages that arrive while a snapshot loads are held and replayed after
// it, and moves at or below the snapshot's last_seq are skipped, so nothing is lost or doubled.
import { buildHitGrid, buildLayout, drawnIndex, hitTest, rectOf } from "./layout.js";
import { LiveFeed } from "./live.js";
import { BUCKET_COLOURS, DWELL, GATEWAY_COLOURS, STATUS } from "./palette.js";
import { renderLocation, renderResults, sourceName } from "./panel.js";
import { MapRenderer } from "./render.js";
import { api, clearSession, liveUrl, requireSession, showUser, toLogin } from "./session.js";
import { StockIndex } from "./stock.js";
import { UnitStore } from "./units.js";
import { el } from "./dom.js";
import { fitView, focusView, makeView, panBy, toScreen, toWorld, zoomAt } from "./view.js";

const $ = (id) => document.getElementById(id);
const model = { layout: null, grid: null, stock: new StockIndex(), units: null, gateways: new Map(), highlighted: new Set(), selected: -1, hover: -1 };
const live = { seq: 0, held: null, counts: { move: 0, balance: 0, gateway: 0, dropped: 0, skipped: 0 }, last: null };
const frames = { drawMs: [], draws: 0, dirty: true, lastWall: 0, moving: false };
let renderer = null, warehouse = null, feed = null, detailCode = null, detailTimer = null;

function record(ms) {
  frames.drawMs.push(ms);
  if (frames.drawMs.length > 2000) frames.drawMs.splice(0, 1000);
}

function loop(now) {
  const moving = model.units ? model.units.advance(now) : false;
  const animating = moving || frames.moving; // one more frame after the last move ends
  frames.moving = moving;
  const wall = Date.now();
  const tick = wall - frames.lastWall > 1000; // dwell colours age: repaint all once a second
  if (renderer && (frames.dirty || animating || model.highlighted.size || tick)) {
    record(renderer.frame(now, wall, tick));
    frames.draws++; frames.dirty = false;
    if (tick) frames.lastWall = wall;
    if (!window.__map.ready) { window.__map.firstDrawMs = performance.now(); window.__map.ready = true; $("loading").hidden = true; }
  }
  requestAnimationFrame(loop);
}

function onMessage(msg) {
  if (live.held) { live.held.push(msg); return; }
  apply(msg);
}

function apply(msg) {
  if (msg.warehouse && msg.warehouse !== warehouse) return;
  switch (msg.type) {
    case "move": return applyMove(msg);
    case "balance": {
      live.counts.balance++;
      if (model.stock.set(msg.location, msg.sku, msg.lot, msg.status, msg.quantity)) {
        const i = model.layout.index.get(msg.location);
        if (i !== undefined) renderer.repaintLocation(i);
      }
      frames.dirty = true;
      return refreshDetail(msg.location);
    }
    case "gateway":
      live.counts.gateway++;
      model.gateways.set(msg.gateway, msg);
      if (renderer) renderer.staticDirty = true; // doors are part of the plan's layer
      frames.dirty = true;
      return;
    case "dropped":
      // the hub skipped messages for us (count: its running total): reload the snapshot
      live.counts.dropped = Math.max(live.counts.dropped + 1, Number(msg.count) || 0);
      return resyncSoon();
    default:
  }
}

function applyMove(m) {
  if (typeof m.seq === "number") {
    if (m.seq <= live.seq) { live.counts.skipped++; return; }
    live.seq = m.seq;
  }
  live.counts.move++;
  live.last = m;
  if (m.unit_key && m.outcome !== "late") {
    // a move may change what the pallet's stock is (to_status), when the hub says so
    model.units.move(m.unit_key, m.to_location ?? null, Date.parse(m.occurred_at) || Date.now(), performance.now(), m.to_status || m.unit_status);
  }
  frames.dirty = true;
  refreshDetail(m.from_location); refreshDetail(m.to_location);
}

function applySnapshot(snap) {
  model.stock.load(snap.balances);
  model.units.load(snap.units); // since: epoch milliseconds
  live.seq = snap.last_seq || 0;
  if (renderer) renderer.staticDirty = true;
  frames.dirty = true;
}

async function loadGateways() {
  try {
    const rows = await api(`/api/v1/gateways?warehouse=${encodeURIComponent(warehouse)}`);
    for (const g of rows) if (!g.warehouse || g.warehouse === warehouse) model.gateways.set(g.gateway, g);
  } catch (err) {
    console.warn("gateway status unavailable", err); // doors then show "unknown"
  }
  if (renderer) renderer.staticDirty = true;
  frames.dirty = true;
}

let resyncTimer = null, lastResync = 0;

/** Coalesce bursts of "dropped" notices into at most one snapshot reload a second. */
function resyncSoon() {
  if (resyncTimer) return;
  const wait = Math.max(0, lastResync + 1000 - performance.now());
  resyncTimer = setTimeout(() => { resyncTimer = null; lastResync = performance.now(); resync(); }, wait);
}

async function resync() {
  live.held = live.held || [];
  try {
    applySnapshot(await api(`/api/v1/map/state?warehouse=${encodeURIComponent(warehouse)}`));
    await loadGateways();
  } finally {
    const held = live.held; live.held = null;
    for (const m of held) apply(m);
  }
}

async function load(prefetched) {
  live.held = [];
  feed = new LiveFeed(() => liveUrl({ warehouse }), {
    onMessage,
    onOpen: () => { if (model.units && !live.held) resync(); },
    onState: (s) => {
      $("conn").textContent = s; $("conn").className = `conn conn-${s}`;
      if (s === "unauthorised") { clearSession(); toLogin(); }
    },
  });
  feed.start();
  const [plan, snap] = await (prefetched || fetchPlan());
  model.layout = buildLayout(plan);
  model.units = new UnitStore(model.layout);
  applySnapshot(snap);
  renderer = new MapRenderer($("map"), model);
  sizeCanvas();
  renderer.setView(fitView(model.layout.bounds, renderer.width, renderer.height));
  const held = live.held; live.held = null;
  for (const m of held) apply(m);
  loadGateways();
  window.__map.loadedMs = performance.now();
  setTimeout(hitGrid, 300); // clicks need it, the first draw does not
}

function hitGrid() {
  model.grid ||= buildHitGrid(model.layout);
  return model.grid;
}

function hit(sx, sy) {
  const [wx, wy] = toWorld(renderer.view, sx, sy);
  return hitTest(model.layout, hitGrid(), wx, wy);
}

function fetchPlan() {
  const q = encodeURIComponent(warehouse);
  return Promise.all([api(`/api/v1/map/layout?warehouse=${q}`), api(`/api/v1/map/state?warehouse=${q}`)]);
}

function sizeCanvas() {
  const box = $("stage").getBoundingClientRect();
  renderer.resize(Math.max(1, box.width), Math.max(1, box.height), window.devicePixelRatio || 1);
  frames.dirty = true;
}

function setView(v) { renderer.setView(v); frames.dirty = true; }

/** Selection, hover or highlights changed: the next frame repaints everything. */
function redraw() {
  frames.dirty = true;
  renderer?.invalidate();
}

function refreshDetail(code) {
  if (code && code === detailCode) {
    clearTimeout(detailTimer);
    detailTimer = setTimeout(() => showDetail(code), 150);
  }
}

async function showDetail(code) {
  detailCode = code;
  const detail = await api(`/api/v1/map/location/${encodeURIComponent(code)}`);
  if (detailCode !== code) return;
  const gw = detail.location.attributes?.gateway;
  renderLocation($("details"), detail, gw ? model.gateways.get(gw) || { gateway: gw, state: "unknown" } : null, Date.now());
  window.__map.detail = detail;
}

function select(i) {
  model.selected = i; redraw();
  if (i >= 0) return showDetail(model.layout.code[i]);
  detailCode = null;
  return null;
}

async function find(query) {
  const text = query.trim();
  if (!text) { model.highlighted.clear(); $("results").hidden = true; redraw(); return []; }
  const reply = await api(`/api/v1/map/find?q=${encodeURIComponent(text)}&warehouse=${encodeURIComponent(warehouse)}`);
  model.highlighted = new Set(reply.hits.map((h) => (h.location ? drawnIndex(model.layout, h.location) : -1)).filter((i) => i >= 0));
  renderResults($("results"), text, reply.hits, (h) => {
    const i = h.location ? drawnIndex(model.layout, h.location) : -1;
    if (i >= 0) { setView(focusView(rectOf(model.layout, i), renderer.width, renderer.height)); select(i); }
  }, warehouse);
  frameHits();
  redraw();
  window.__map.hits = reply.hits;
  return reply.hits;
}

function frameHits() {
  const L = model.layout, hs = [...model.highlighted];
  if (hs.length === 0) return;
  if (hs.length === 1) { setView(focusView(rectOf(L, hs[0]), renderer.width, renderer.height)); return; }
  const b = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  for (const i of hs) { b.minX = Math.min(b.minX, L.x[i]); b.minY = Math.min(b.minY, L.y[i]); b.maxX = Math.max(b.maxX, L.x[i] + L.w[i]); b.maxY = Math.max(b.maxY, L.y[i] + L.d[i]); }
  const v = fitView(b, renderer.width, renderer.height, 80);
  const scale = Math.min(v.scale, 40); // a few neighbouring bins should not zoom in to the screws
  const cx = (b.minX + b.maxX) / 2, cy = (b.minY + b.maxY) / 2;
  setView(makeView(scale, renderer.width / 2 - cx * scale, renderer.height / 2 - cy * scale));
}

function wirePointer() {
  const canvas = $("map");
  let drag = null;
  canvas.addEventListener("pointerdown", (e) => { drag = { x: e.offsetX, y: e.offsetY, moved: 0 }; canvas.setPointerCapture(e.pointerId); });
  canvas.addEventListener("pointermove", (e) => {
    if (drag) {
      const dx = e.offsetX - drag.x, dy = e.offsetY - drag.y;
      drag.moved += Math.abs(dx) + Math.abs(dy); drag.x = e.offsetX; drag.y = e.offsetY;
      if (drag.moved > 3) setView(panBy(renderer.view, dx, dy));
      return;
    }
    const i = hit(e.offsetX, e.offsetY);
    if (i !== model.hover) { model.hover = i; redraw(); canvas.title = i >= 0 ? model.layout.code[i] : ""; }
  });
  canvas.addEventListener("pointerup", (e) => {
    const click = drag && drag.moved <= 3;
    drag = null;
    if (click) select(hit(e.offsetX, e.offsetY));
  });
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    setView(zoomAt(renderer.view, e.offsetX, e.offsetY, Math.exp(-e.deltaY * 0.0015)));
  }, { passive: false });
  const centre = () => [renderer.width / 2, renderer.height / 2];
  $("zoom-in").onclick = () => setView(zoomAt(renderer.view, ...centre(), 1.5));
  $("zoom-out").onclick = () => setView(zoomAt(renderer.view, ...centre(), 1 / 1.5));
  $("zoom-fit").onclick = () => setView(fitView(model.layout.bounds, renderer.width, renderer.height));
  new ResizeObserver(() => { if (renderer) { sizeCanvas(); } }).observe($("stage"));
}

function legend() {
  const sw = (colour, label) => el("span", {}, el("span", { class: "sw", style: { background: colour } }), label);
  $("legend").replaceChildren(
    el("h4", {}, "Pallets: time since last move"), el("div", { class: "row" }, DWELL.map((d, i) => sw(BUCKET_COLOURS[i], d.label))),
    el("h4", {}, "Status"), el("div", { class: "row" }, Object.values(STATUS).map((s) => sw(s.colour, s.label))),
    el("h4", {}, "Door gateways"), el("div", { class: "row" }, Object.entries(GATEWAY_COLOURS).map(([k, c]) => sw(c, k))),
  );
}

function statusLine() {
  if (model.units) {
    const placed = model.units.size - model.units.unplaced;
    $("counts").textContent = `${model.layout.n.toLocaleString()} locations · ${placed.toLocaleString()} pallets on the plan · ${live.counts.move} live moves`;
  }
  const m = live.last;
  if (m) {
    const what = m.unit_key ? m.unit_key.replace(/^(sscc|epc):/, "") : `${m.sku} × ${m.quantity}`;
    $("lastmove").textContent = `last move: ${what} ${m.from_location || "outside"} → ${m.to_location || "outside"} by ${sourceName(m.source_kind)} ${m.device_id || ""}${m.user_id ? ` (${m.user_id})` : ""}`;
  }
}

function exposeForTests() {
  // A read-only window onto what is drawn, for the browser tests and the benchmark.
  window.__map = {
    ready: false, firstDrawMs: null, loadedMs: null, detail: null, hits: [],
    get warehouse() { return warehouse; },
    get seq() { return live.seq; },
    get counts() { return { ...live.counts }; },
    get locations() { return model.layout ? model.layout.n : 0; },
    get unitCount() { return model.units ? model.units.size : 0; },
    get draws() { return frames.draws; },
    drawMs: () => frames.drawMs.slice(),
    unit(key) {
      const u = model.units?.units.get(key);
      if (!u) return null;
      const [sx, sy] = toScreen(renderer.view, u.x, u.y);
      return { key, location: u.loc, x: u.x, y: u.y, screenX: sx, screenY: sy, moving: model.units.moving.has(key), status: u.status, since: u.since };
    },
    unitsAt: (code) => (model.units ? model.units.at(drawnIndex(model.layout, code)).slice() : []),
    screenRect(code) {
      const i = drawnIndex(model.layout, code);
      if (i < 0) return null;
      const [x, y] = toScreen(renderer.view, model.layout.x[i], model.layout.y[i]);
      return { x, y, w: model.layout.w[i] * renderer.view.scale, h: model.layout.d[i] * renderer.view.scale };
    },
    highlighted: () => [...model.highlighted].map((i) => model.layout.code[i]),
    selected: () => (model.selected >= 0 ? model.layout.code[model.selected] : null),
    gateway: (name) => model.gateways.get(name) || null,
    select: (code) => select(drawnIndex(model.layout, code)),
    find,
  };
}

async function main() {
  exposeForTests();
  const session = requireSession();
  showUser(session);
  legend();
  requestAnimationFrame(loop);
  const params = new URLSearchParams(location.search);
  warehouse = params.get("warehouse");
  const prefetched = warehouse ? fetchPlan() : null; // the plan need not wait for the list
  prefetched?.catch(() => {}); // its failure is reported where it is awaited
  const { warehouses } = await api("/api/v1/map/warehouses");
  warehouse ||= warehouses[0] || null;
  const sel = $("warehouse");
  sel.replaceChildren(...warehouses.map((w) => el("option", { value: w, selected: w === warehouse }, w)));
  sel.onchange = () => { params.set("warehouse", sel.value); location.search = params.toString(); };
  if (!warehouse) { $("loading").textContent = "No warehouse has locations yet: import a floor plan first."; return; }
  $("to-trace").href = `/trace?warehouse=${encodeURIComponent(warehouse)}`;
  wirePointer();
  $("find").addEventListener("submit", (e) => { e.preventDefault(); find($("find-q").value).catch(showError); });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { model.highlighted.clear(); $("results").hidden = true; redraw(); }
    if (e.key === "/" && document.activeElement !== $("find-q")) { e.preventDefault(); $("find-q").focus(); }
  });
  await load(prefetched);
  setInterval(statusLine, 500);
}

function showError(err) {
  $("details").replaceChildren(el("p", { class: "error" }, `Error: ${err.message}`));
}

main().catch((err) => { $("loading").textContent = `Could not load the map: ${err.message}`; console.error(err); });
