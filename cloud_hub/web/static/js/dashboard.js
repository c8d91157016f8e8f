// The manager dashboard: GET /api/v1/dashboard/summary every 15 s, drawn as charts.
// Rule kept here: "today" is the browser's local day, sent to the hub as UTC instants.
import { horizontalBars, stackedColumns } from "./charts.js";
import { el, fmtTime } from "./dom.js";
import { api, requireSession, showUser } from "./session.js";

const SOURCES = [
  ["rfid", "RFID", "#1e88e5"], ["barcode", "scanner", "#43a047"], ["vision", "camera", "#fb8c00"],
  ["pda", "PDA", "#8e24aa"], ["system", "system", "#78909c"],
];
const TASK_STATES = [["open", "#90caf9"], ["claimed", "#42a5f5"], ["in_progress", "#1565c0"]];
const SEVERITIES = [["critical", "#e53935"], ["warning", "#fb8c00"], ["info", "#64b5f6"]];
const REFRESH_MS = 15000;
const $ = (id) => document.getElementById(id);
let warehouse = null;

export function localDay(now = new Date()) {
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const end = new Date(start.getFullYear(), start.getMonth(), start.getDate() + 1);
  return { start: start.toISOString(), end: end.toISOString() };
}

function drawMoves(moves) {
  const n = moves.series.rfid.length;
  const startMs = Date.parse(moves.start);
  const labels = Array.from({ length: n }, (_, i) => String(new Date(startMs + i * moves.bucket_s * 1000).getHours()).padStart(2, "0"));
  const series = SOURCES.map(([key, name, colour]) => ({ name, colour, values: moves.series[key] || new Array(n).fill(0) }));
  const total = Object.values(moves.totals).reduce((a, b) => a + b, 0);
  $("moves-total").textContent = `· ${total.toLocaleString()} moves${moves.outcomes.late ? `, ${moves.outcomes.late} late` : ""}`;
  return stackedColumns($("moves-chart"), { labels, series });
}

function drawTasks(tasks) {
  $("tasks-note").hidden = tasks.available;
  if (!tasks.available) $("tasks-note").textContent = "Task data is not available on this hub yet.";
  const rows = Object.entries(tasks.by_kind).map(([kind, states]) => ({
    label: kind, parts: TASK_STATES.map(([s, colour]) => ({ name: s.replace("_", " "), value: states[s] || 0, colour })),
  }));
  return horizontalBars($("tasks-chart"), { rows, emptyText: tasks.available ? "No open tasks." : "Unavailable." });
}

function drawWaiting(waiting, gateways) {
  const { rejected, dead_letters: dead } = waiting;
  $("rejected-n").textContent = rejected.open; $("rejected-tile").classList.toggle("alarm", rejected.open > 0);
  $("dead-n").textContent = dead.open; $("dead-tile").classList.toggle("alarm", dead.open > 0);
  const offline = gateways.offline || 0;
  $("gateways-n").textContent = `${offline}/${Object.values(gateways).reduce((a, b) => a + b, 0)}`;
  $("gateways-tile").classList.toggle("alarm", offline > 0);
  const rows = Object.entries(rejected.by_code).map(([code, count]) => ({ label: code.replaceAll("_", " "), parts: [{ name: "rejected", value: count, colour: "#e57373" }] }));
  return horizontalBars($("rejected-chart"), { rows, emptyText: "No rejected moves waiting." });
}

export function fmtOffset(seconds) {
  const a = Math.abs(seconds);
  const [n, unit] = a >= 86400 * 365 ? [a / (86400 * 365), "years"] : a >= 86400 ? [a / 86400, "days"]
    : a >= 3600 ? [a / 3600, "h"] : a >= 60 ? [a / 60, "min"] : [a, "s"];
  return `${n.toFixed(n < 10 ? 1 : 0)} ${unit} ${seconds >= 0 ? "behind" : "ahead"}`;
}

// Readers whose clock is off or jumped: their moves are stamped by the gateway's clock, but the
// reader wants its time set (NTP); the gateway's heartbeat says which and by how much.
function drawClocks(clocks) {
  $("clocks-n").textContent = clocks.wrong;
  $("clocks-tile").classList.toggle("alarm", clocks.wrong > 0);
  const wrong = clocks.readers.filter((r) => r.state === "offset" || r.state === "jumped");
  $("clocks").replaceChildren(...wrong.map((r) => el("li", {},
    el("span", { class: "sev warning" }, r.state), el("b", {}, `${r.gateway} / ${r.reader}`), " — ",
    r.offset_s == null ? "offset unknown" : `clock ${fmtOffset(r.offset_s)}`,
    el("span", { class: "hint" }, `${r.jumps ? ` · ${r.jumps} jumps` : ""} · moves corrected`))));
}

function drawAlerts(alerts) {
  $("alerts-note").hidden = alerts.available;
  if (!alerts.available) $("alerts-note").textContent = "Alerts are not available on this hub yet.";
  const rows = SEVERITIES.map(([sev, colour]) => ({ label: sev, parts: [{ name: "open", value: alerts.by_severity[sev] || 0, colour }] }));
  $("alerts").replaceChildren(...alerts.items.map((a) => el("li", {},
    el("span", { class: `sev ${a.severity}` }, a.severity), el("b", {}, a.subject), " — ", a.message,
    el("span", { class: "hint" }, ` · ${fmtTime(a.last_seen_at)}${a.occurrences > 1 ? ` · ×${a.occurrences}` : ""}`))));
  return horizontalBars($("alerts-chart"), { rows: rows.some((r) => r.parts[0].value) ? rows : [], emptyText: alerts.available ? "No open alerts." : "Unavailable.", rowHeight: 22 });
}

async function refresh() {
  const { start, end } = localDay();
  const q = new URLSearchParams({ start, end });
  if (warehouse) q.set("warehouse", warehouse);
  const data = await api(`/api/v1/dashboard/summary?${q}`);
  const drawn = { moves: drawMoves(data.moves), tasks: drawTasks(data.tasks), waiting: drawWaiting(data.waiting, data.gateways), alerts: drawAlerts(data.alerts) };
  drawClocks(data.reader_clocks);
  $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  window.__dashboard = { ready: true, data, drawn, refreshes: (window.__dashboard?.refreshes || 0) + 1 };
}

async function main() {
  showUser(requireSession());
  const params = new URLSearchParams(location.search);
  const { warehouses } = await api("/api/v1/map/warehouses");
  warehouse = params.get("warehouse") || warehouses[0] || null;
  $("warehouse").replaceChildren(...warehouses.map((w) => el("option", { value: w, selected: w === warehouse }, w)));
  $("warehouse").onchange = () => { params.set("warehouse", $("warehouse").value); location.search = params.toString(); };
  if (warehouse) $("to-map").href = `/map?warehouse=${encodeURIComponent(warehouse)}`;
  await refresh();
  setInterval(() => refresh().catch((e) => { $("updated").textContent = `update failed: ${e.message}`; }), REFRESH_MS);
  window.addEventListener("resize", () => refresh().catch(() => {}));
}

main().catch((err) => { $("updated").textContent = `Could not load: ${err.message}`; console.error(err); });
