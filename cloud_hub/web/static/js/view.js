// The view transform between the plan (metres) and the canvas (CSS pixels): pan and zoom.
// Rule kept here: a view is a frozen value; every change returns a new one.

export const MIN_SCALE = 0.05;
export const MAX_SCALE = 400;

export function makeView(scale, tx, ty) {
  return Object.freeze({ scale: Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale)), tx, ty });
}

/** A view showing the whole of `bounds` inside a width x height canvas with a margin. */
export function fitView(bounds, width, height, margin = 16) {
  const bw = Math.max(1e-6, bounds.maxX - bounds.minX), bd = Math.max(1e-6, bounds.maxY - bounds.minY);
  const scale = Math.min((width - 2 * margin) / bw, (height - 2 * margin) / bd);
  const tx = (width - bw * scale) / 2 - bounds.minX * scale;
  const ty = (height - bd * scale) / 2 - bounds.minY * scale;
  return makeView(scale, tx, ty);
}

export function toScreen(view, x, y) {
  return [x * view.scale + view.tx, y * view.scale + view.ty];
}

export function toWorld(view, sx, sy) {
  return [(sx - view.tx) / view.scale, (sy - view.ty) / view.scale];
}

/** Zoom by `factor` keeping screen point (sx, sy) over the same spot of the plan. */
export function zoomAt(view, sx, sy, factor) {
  const [wx, wy] = toWorld(view, sx, sy);
  const next = makeView(view.scale * factor, 0, 0);
  return makeView(next.scale, sx - wx * next.scale, sy - wy * next.scale);
}

export function panBy(view, dx, dy) {
  return makeView(view.scale, view.tx + dx, view.ty + dy);
}

/** A view centred on rect {x, y, w, d}, zoomed so it fills about `share` of the canvas. */
export function focusView(rect, width, height, share = 0.08) {
  const scale = Math.min(width * share / Math.max(rect.w, 0.5), height * share / Math.max(rect.d, 0.5), 60);
  const cx = rect.x + rect.w / 2, cy = rect.y + rect.d / 2;
  return makeView(scale, width / 2 - cx * scale, height / 2 - cy * scale);
}

/** The plan rectangle visible in the canvas. */
export function visibleWorld(view, width, height) {
  const [x0, y0] = toWorld(view, 0, 0);
  const [x1, y1] = toWorld(view, width, height);
  return { minX: x0, minY: y0, maxX: x1, maxY: y1 };
}
