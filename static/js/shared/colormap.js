// Colour scales: a value range plus a colour map from config.js, and painting 2-D arrays
// into canvases with them. One scale is shared by every map of a layer.

import { LUT_SIZE, luts, stops } from "./palette.js";

const tables = new Map();

// Colour map `name` (app/core/palette.py's table, generated into palette.js) as LUT_SIZE RGB
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
    // Index into the LUT for value v: app/core/palette.py's lut_index, floor(t * 255 + 0.5).
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
    min: 0,
    max: 1,
    gradient: () => `linear-gradient(to right, ${stops.ink.join(", ")})`,
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

// Per canvas: its 2-D context and an ImageData of its size, reused by every paint (a fresh
// context lookup and ImageData per map cost more than the painting on a 64-channel layer).
const surfaces = new WeakMap();

// A reused 2-D context, ImageData of canvas's size and its pixels as 32-bit words.
export function surface(canvas, W, H) {
  let s = surfaces.get(canvas);
  if (!s || s.img.width !== W || s.img.height !== H) {
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(W, H);
    s = { ctx, img, px: new Uint32Array(img.data.buffer) };
    surfaces.set(canvas, s);
  }
  return s;
}

// Make `canvas` transparent again, through its reused context.
export function clearCanvas(canvas) {
  const ctx = surfaces.get(canvas)?.ctx ?? canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const packedLuts = new WeakMap();

// The RGB LUT as opaque RGBA pixels, one 32-bit word each (in the platform's byte order).
function packed(lut) {
  let words = packedLuts.get(lut);
  if (!words) {
    words = new Uint32Array(lut.length / 3);
    const bytes = new Uint8Array(words.buffer);
    for (let i = 0; i < words.length; i++) {
      const rgba = [lut[i * 3], lut[i * 3 + 1], lut[i * 3 + 2], 255];
      bytes.set(LITTLE_ENDIAN ? rgba : rgba.reverse(), i * 4);
    }
    packedLuts.set(lut, words);
  }
  return words;
}

// Paint `grid` (rows of numbers, H×W) into `canvas` at one canvas pixel per value; CSS
// scales the canvas up with `image-rendering: pixelated`. Colours are `scale.index(v)`'s.
export function paintGrid(canvas, grid, scale) {
  const H = grid.length;
  const W = H ? grid[0].length : 0;
  if (canvas.width !== W) canvas.width = W;
  if (canvas.height !== H) canvas.height = H;
  if (!H || !W) return;
  const { ctx, img, px } = surface(canvas, W, H);
  for (let r = 0; r < H; r++) writeWords(px, r * W, grid[r], 0, W, scale);
  ctx.putImageData(img, 0, 0);
}

// Paint an H×W plane of the flat `values` (starting at `offset`, row-major) into `canvas`
// at one canvas pixel per value — for the packed activations, no nested arrays.
export function paintValues(canvas, values, offset, H, W, scale) {
  if (canvas.width !== W) canvas.width = W;
  if (canvas.height !== H) canvas.height = H;
  if (!H || !W) return;
  const { ctx, img, px } = surface(canvas, W, H);
  writeWords(px, 0, values, offset, H * W, scale);
  ctx.putImageData(img, 0, 0);
}

// px[at + k] = the colour of values[offset + k·stride] for k < n, as opaque RGBA words:
// scale.index's formula inlined (a call per value cost more than the rest of a 64-channel
// layer's painting). stride > 1: every stride-th value (a big map drawn smaller).
export function writeWords(px, at, values, offset, n, scale, stride = 1) {
  const words = packed(scale.lut);
  const top = words.length - 1;
  const { lo } = scale;
  const span = scale.hi - lo;
  if (!(span > 0)) {
    for (let k = 0; k < n; k++) px[at + k] = words[scale.index(values[offset + k * stride])];
    return;
  }
  for (let k = 0; k < n; k++) {
    const i = Math.round(((values[offset + k * stride] - lo) / span) * top); // app/core/palette.py's order
    px[at + k] = words[i > top ? top : i >= 0 ? i : 0];
  }
}

