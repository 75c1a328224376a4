// How a kernel weight k is shown: its colour (the same in every view, so a shared weight is
// recognisable everywhere) and its name (Greek letters, as seed 000 names α β γ δ).
//
// k indexes the filter's flat weights as the API does: k = c*kh*kw + a*kw + b.

import { weightColours } from "../palette.js";

const GREEK = "αβγδεζηθικλμνξοπρστυφχψω";
const COUNT = weightColours.length / 6;

// The colour of weight k: app/core/palette.py's table (the weight-matrix PNG uses the same).
export function weightColour(k) {
  const i = (k % COUNT) * 6;
  return `#${weightColours.slice(i, i + 6)}`;
}

// `K` is how many weights the filter has: Greek letters while they last, else w0, w1, ...
export function weightName(k, K) {
  return K <= GREEK.length ? GREEK[k] : `w${k}`;
}

// [c, a, b] of weight k in a (C, kh, kw) kernel.
export function weightPosition(k, kh, kw) {
  return [Math.floor(k / (kh * kw)), Math.floor((k % (kh * kw)) / kw), k % kw];
}

// Whether input pixels are named by letters: small single-channel inputs, as seed 000 names
// them A…I — not a grouped conv's later group (`channels` given), whose channel is named.
export function lettered([C, H, W], channels = undefined) {
  return !channels && C === 1 && H * W <= 26;
}

// Input pixel names: letters (see lettered), otherwise the position. [c, r, s] as the API
// gives it. `channels`: the layer channel each plane is, only when they are not 0, 1, ...
export function pixelName([c, r, s], shapeIn, channels = undefined) {
  if (channels) return `x${channels[c]}:${r},${s}`;
  if (lettered(shapeIn)) return String.fromCharCode(65 + r * shapeIn[2] + s);
  return shapeIn[0] === 1 ? `x${r},${s}` : `x${c}:${r},${s}`;
}
