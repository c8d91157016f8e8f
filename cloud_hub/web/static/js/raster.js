// A rasteriser of axis-aligned rectangles into a Uint32Array pixel buffer (an ImageData's).
// Rule kept here: edges snap to whole pixels and every rectangle at least one pixel wide, so
// 20,000 bins cost one pass of integer writes instead of 20,000 canvas calls.

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([0x0a0b0c0d]).buffer)[0] === 0x0d;

/** "#rrggbb" -> the 32-bit pixel value of that opaque colour in ImageData byte order. */
export function pixel(hex) {
  const n = parseInt(hex.slice(1), 16);
  const r = (n >> 16) & 255, g = (n >> 8) & 255, b = n & 255;
  return LITTLE_ENDIAN ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
}

export class PixelBuffer {
  constructor(width, height) {
    this.width = width; this.height = height;
    this.image = new ImageData(Math.max(1, width), Math.max(1, height));
    this.data = new Uint32Array(this.image.data.buffer);
  }

  clear(colour) { this.data.fill(colour); }

  copyFrom(other) { this.data.set(other.data); }

  /** Fill the pixels covered by [x, x+w) × [y, y+h) (screen pixels, fractional allowed). */
  fill(x, y, w, h, colour) {
    const W = this.width, H = this.height, d = this.data;
    let x0 = Math.round(x), x1 = Math.round(x + w), y0 = Math.round(y), y1 = Math.round(y + h);
    // thinner than a pixel: the pixel its middle falls in
    if (x1 <= x0) { x0 = Math.floor(x + w / 2); x1 = x0 + 1; }
    if (y1 <= y0) { y0 = Math.floor(y + h / 2); y1 = y0 + 1; }
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > W) x1 = W;
    if (y1 > H) y1 = H;
    if (x0 >= x1 || y0 >= y1) return;
    const span = x1 - x0;
    for (let row = y0; row < y1; row++) {
      const start = row * W + x0;
      if (span > 16) d.fill(colour, start, start + span);
      else for (let k = start, end = start + span; k < end; k++) d[k] = colour;
    }
  }

  /** A one-pixel outline just inside the snapped rectangle. */
  outline(x, y, w, h, colour) {
    const x0 = Math.round(x), x1 = Math.round(x + w), y0 = Math.round(y), y1 = Math.round(y + h);
    if (x1 - x0 < 2 || y1 - y0 < 2) { this.fill(x, y, w, h, colour); return; }
    this.fill(x0, y0, x1 - x0, 1, colour);
    this.fill(x0, y1 - 1, x1 - x0, 1, colour);
    this.fill(x0, y0, 1, y1 - y0, colour);
    this.fill(x1 - 1, y0, 1, y1 - y0, colour);
  }
}
