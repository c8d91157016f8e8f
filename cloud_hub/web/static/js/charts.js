// Charts drawn on canvas: stacked columns over time and horizontal stacked bars.
// Rule kept here: a chart with no data says so in words instead of drawing empty axes.

const INK = "#37474f", GRID = "#e0e6e9", MUTED = "#78909c";
const FONT = "12px system-ui, sans-serif";

/** Size a canvas to its CSS width and the given CSS height, for sharp lines at any DPR. */
export function prepare(canvas, height) {
  const dpr = window.devicePixelRatio || 1;
  const width = Math.max(200, canvas.clientWidth || canvas.parentElement.clientWidth);
  canvas.style.height = `${height}px`;
  canvas.width = Math.round(width * dpr); canvas.height = Math.round(height * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.font = FONT; ctx.textBaseline = "middle";
  return { ctx, width, height };
}

/** A "nice" axis maximum and step for values up to `max`. */
export function niceScale(max, ticks = 4) {
  if (!(max > 0)) return { top: 1, step: 1 };
  const raw = max / ticks, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  return { top: Math.ceil(max / step) * step, step };
}

function empty(ctx, width, height, text) {
  ctx.fillStyle = MUTED; ctx.textAlign = "center";
  ctx.fillText(text, width / 2, height / 2);
  ctx.textAlign = "left";
}

/** series: [{name, colour, values[]}] sharing `labels` (one per column). */
export function stackedColumns(canvas, { labels, series, height = 240, emptyText = "No moves yet today." }) {
  const { ctx, width } = prepare(canvas, height);
  const totals = labels.map((_, i) => series.reduce((a, s) => a + (s.values[i] || 0), 0));
  const max = Math.max(0, ...totals);
  if (max === 0) { empty(ctx, width, height, emptyText); return { max, totals }; }
  const left = 40, right = 8, top = 26, bottom = 22;
  const plotW = width - left - right, plotH = height - top - bottom;
  const { top: yTop, step } = niceScale(max);
  ctx.strokeStyle = GRID; ctx.fillStyle = MUTED; ctx.textAlign = "right";
  for (let v = 0; v <= yTop + 1e-9; v += step) {
    const y = top + plotH - (v / yTop) * plotH;
    ctx.beginPath(); ctx.moveTo(left, Math.round(y) + 0.5); ctx.lineTo(width - right, Math.round(y) + 0.5); ctx.stroke();
    ctx.fillText(String(Math.round(v)), left - 6, y);
  }
  const colW = plotW / labels.length, barW = Math.max(2, colW * 0.72);
  ctx.textAlign = "center";
  labels.forEach((label, i) => {
    let y = top + plotH;
    for (const s of series) {
      const h = ((s.values[i] || 0) / yTop) * plotH;
      if (h <= 0) continue;
      ctx.fillStyle = s.colour; ctx.fillRect(left + i * colW + (colW - barW) / 2, y - h, barW, h);
      y -= h;
    }
    const every = Math.ceil(labels.length / Math.max(1, Math.floor(plotW / 34)));
    if (i % every === 0) { ctx.fillStyle = MUTED; ctx.fillText(label, left + i * colW + colW / 2, height - bottom / 2); }
  });
  legend(ctx, series.map((s) => [s.colour, `${s.name} ${s.values.reduce((a, b) => a + b, 0)}`]), left, 10);
  return { max, totals };
}

function legend(ctx, items, x, y) {
  ctx.textAlign = "left";
  for (const [colour, text] of items) {
    ctx.fillStyle = colour; ctx.fillRect(x, y - 5, 10, 10);
    ctx.fillStyle = INK; ctx.fillText(text, x + 14, y);
    x += 24 + ctx.measureText(text).width;
  }
}

/** rows: [{label, parts: [{name, value, colour}]}]; one bar per row, parts stacked. */
export function horizontalBars(canvas, { rows, emptyText = "Nothing here.", rowHeight = 26 }) {
  const height = Math.max(60, rows.length * rowHeight + 34);
  const { ctx, width } = prepare(canvas, height);
  const totals = rows.map((r) => r.parts.reduce((a, p) => a + p.value, 0));
  const max = Math.max(0, ...totals);
  if (rows.length === 0 || max === 0) { empty(ctx, width, height, emptyText); return { max }; }
  ctx.font = FONT;
  const left = Math.min(170, 12 + Math.max(...rows.map((r) => ctx.measureText(r.label).width)));
  const plotW = width - left - 48;
  rows.forEach((r, i) => {
    const y = 8 + i * rowHeight;
    ctx.fillStyle = INK; ctx.textAlign = "right"; ctx.fillText(r.label, left - 8, y + rowHeight / 2 - 2);
    let x = left;
    for (const p of r.parts) {
      const w = (p.value / max) * plotW;
      ctx.fillStyle = p.colour; ctx.fillRect(x, y + 3, w, rowHeight - 10);
      x += w;
    }
    ctx.fillStyle = INK; ctx.textAlign = "left"; ctx.fillText(String(totals[i]), x + 6, y + rowHeight / 2 - 2);
  });
  const names = new Map();
  for (const r of rows) for (const p of r.parts) names.set(p.name, p.colour);
  if (names.size > 1) legend(ctx, [...names].map(([n, c]) => [c, n]), left, height - 12);
  return { max };
}
