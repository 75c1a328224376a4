// Colour scales: a value range plus a colour map from config.js, and painting 2-D arrays
// into canvases with them. One scale is shared by every map of a layer.

import { colormaps } from "./config.js";

const LUT_SIZE = 256;
const luts = new Map();

function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

// The colour map `name` interpolated into LUT_SIZE RGB triples (a flat Uint8ClampedArray).
function lookupTable(name) {
  if (luts.has(name)) return luts.get(name);
  const stops = colormaps[name].map(hexToRgb);
  const lut = new Uint8ClampedArray(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) {
    const t = (i / (LUT_SIZE - 1)) * (stops.length - 1);
    const k = Math.min(Math.floor(t), stops.length - 2);
    const f = t - k;
    for (let c = 0; c < 3; c++) {
      lut[i * 3 + c] = stops[k][c] + (stops[k + 1][c] - stops[k][c]) * f;
    }
  }
  luts.set(name, lut);
  return lut;
}

// A scale maps values in [lo, hi] onto colour map `name`.
//   diverging: symmetric about zero, so zero is always the neutral middle colour;
//   sequential: zero (or the minimum, if it is above zero) is the lightest colour.
// `min` and `max` are the layer's range as the API reports it.
export function makeScale(kind, min, max) {
  let lo;
  let hi;
  if (kind === "diverging") {
    const m = Math.max(Math.abs(min), Math.abs(max));
    lo = -m;
    hi = m;
  } else {
    lo = Math.min(0, min);
    hi = max;
  }
  const span = hi - lo;
  const lut = lookupTable(kind);
  return {
    kind,
    lut,
    lo,
    hi,
    min,
    max,
    // Index into the LUT for value v (a constant layer sits in the middle / at the bottom).
    index(v) {
      if (!(span > 0)) return kind === "diverging" ? LUT_SIZE >> 1 : 0;
      const t = (v - lo) / span;
      return Math.max(0, Math.min(LUT_SIZE - 1, Math.round(t * (LUT_SIZE - 1))));
    },
    rgb(v) {
      const i = this.index(v) * 3;
      return [lut[i], lut[i + 1], lut[i + 2]];
    },
    css(v) {
      const [r, g, b] = this.rgb(v);
      return `rgb(${r} ${g} ${b})`;
    },
    // CSS gradient for a legend bar, low on the left.
    gradient() {
      const stops = colormaps[kind];
      return `linear-gradient(to right, ${stops.join(", ")})`;
    },
  };
}

// Scale for values known to lie in [0, 1] (ink).
export function inkScale() {
  const lut = lookupTable("ink");
  return {
    kind: "ink",
    lut,
    lo: 0,
    hi: 1,
    index: (v) => Math.max(0, Math.min(LUT_SIZE - 1, Math.round(v * (LUT_SIZE - 1)))),
    rgb(v) {
      const i = this.index(v) * 3;
      return [lut[i], lut[i + 1], lut[i + 2]];
    },
  };
}

// Largest |value| in a nested array (for colouring weights, which come without a range).
export function maxAbs(nested) {
  let m = 0;
  const walk = (a) => {
    for (const v of a) {
      if (Array.isArray(v)) walk(v);
      else if (Math.abs(v) > m) m = Math.abs(v);
    }
  };
  walk(nested);
  return m;
}

// Paint `grid` (rows of numbers, H×W) into `canvas` at one canvas pixel per value; CSS
// scales the canvas up with `image-rendering: pixelated`.
export function paintGrid(canvas, grid, scale) {
  const H = grid.length;
  const W = H ? grid[0].length : 0;
  if (canvas.width !== W) canvas.width = W;
  if (canvas.height !== H) canvas.height = H;
  if (!H || !W) return;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(W, H);
  const px = img.data;
  for (let r = 0; r < H; r++) {
    const row = grid[r];
    for (let c = 0; c < W; c++) {
      const i = scale.index(row[c]) * 3;
      const o = (r * W + c) * 4;
      px[o] = scale.lut[i];
      px[o + 1] = scale.lut[i + 1];
      px[o + 2] = scale.lut[i + 2];
      px[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}
