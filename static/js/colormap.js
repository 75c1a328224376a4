// Colour scales: a value range plus a colour map from config.js, and painting 2-D arrays
// into canvases with them. One scale is shared by every map of a layer.

import { LUT_SIZE, luts, stops } from "./palette.js";

const tables = new Map();

// Colour map `name` (app/palette.py's table, generated into palette.js) as LUT_SIZE RGB
// triples in a flat Uint8ClampedArray.
function lookupTable(name) {
  if (tables.has(name)) return tables.get(name);
  const hex = luts[name];
  const lut = new Uint8ClampedArray(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE * 3; i++) lut[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  tables.set(name, lut);
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
    const m = Math.max(Math.abs(min), Math.abs(max)) || 1;
    lo = -m;
    hi = m;
  } else {
    lo = Math.min(0, min);
    hi = max > lo ? max : lo + 1;
  }
  return scaleOf(kind, lo, hi, min, max);
}

// The scale the API chose for a layer (`scale` of an activations layer: kind, lo, hi).
export function layerScale(output) {
  const { kind, lo, hi } = output.scale;
  return scaleOf(kind, lo, hi, output.min, output.max);
}

function scaleOf(kind, lo, hi, min, max) {
  const span = hi - lo;
  const lut = lookupTable(kind);
  return {
    kind,
    lut,
    lo,
    hi,
    min,
    max,
    // Index into the LUT for value v: app/palette.py's lut_index, floor(t * 255 + 0.5).
    index(v) {
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
      return `linear-gradient(to right, ${stops[kind].join(", ")})`;
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

// Paint an H×W plane of the flat `values` (starting at `offset`, row-major) into `canvas`
// at one canvas pixel per value — for the packed activations, no nested arrays.
export function paintValues(canvas, values, offset, H, W, scale) {
  if (canvas.width !== W) canvas.width = W;
  if (canvas.height !== H) canvas.height = H;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(W, H);
  const px = img.data;
  const { lut } = scale;
  for (let p = 0; p < H * W; p++) {
    const i = scale.index(values[offset + p]) * 3;
    const o = p * 4;
    px[o] = lut[i];
    px[o + 1] = lut[i + 1];
    px[o + 2] = lut[i + 2];
    px[o + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
