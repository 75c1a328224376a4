// Where everything goes in the overview: layers in columns by depth (a layer one column right
// of the deepest layer it reads, so parallel branches share a column), and inside a layer's
// block where each unit is drawn. Sizes come from config.js; nothing here reads the DOM.
//
// A layer's picture is one "atlas" canvas at one canvas pixel per value:
//   maps (C, H, W): channels in sub-columns of at most `maxRows` maps, 1 px apart — a big
//   layer's page of them only (channels first .. first + C - 1 of `total`, see folds.js);
//   vectors (n,): cells in columns of at most `vectorRows`, filled top to bottom.

import { overview } from "../../../shared/config.js";

// `inputs` of a layer, as the API gives them (a chain's layers read the one before).
export const inputsOf = (info) => info.inputs ?? [info.index - 1];

// [{ depth, nodes: [layer index, ...] }, ...], the network input (-1) alone in column 0.
export function columns(layers) {
  const depth = new Map([[-1, 0]]);
  for (const info of layers) depth.set(info.index, 1 + Math.max(...inputsOf(info).map((i) => depth.get(i))));
  const cols = [];
  for (const [index, d] of depth) (cols[d] ??= { depth: d, nodes: [] }).nodes.push(index);
  return cols.filter(Boolean);
}

// How layer `shape`'s units sit in its atlas, and the CSS size they are drawn at, when the
// block may be `height` CSS pixels tall; `page`: the channels drawn ({ first, count }, default
// all). `labelled`: a short vector drawn as labelled rows.
export function blockGeometry(shape, height, page = null) {
  if (shape.length === 3) {
    const [total, H, W] = shape;
    const first = page?.first ?? 0;
    const C = page?.count ?? total;
    const rows = Math.min(C, overview.maxRows);
    const subcols = Math.ceil(C / rows);
    const gap = 1; // canvas pixels between maps
    const fit = Math.min(overview.mapMax / W, height / (rows * H + (rows - 1) * gap));
    // A map shown smaller than half its size (a 224×224 input, 112×112 maps) is drawn from
    // every step-th row and column: no more canvas pixels than CSS pixels.
    const step = Math.max(1, Math.floor(1 / fit));
    const [h, w] = [Math.ceil(H / step), Math.ceil(W / step)]; // a map's canvas pixels
    const width = subcols * w + (subcols - 1) * gap;
    const tall = rows * h + (rows - 1) * gap;
    const scale = Math.min(overview.mapMax / w, height / tall);
    return { kind: "maps", C, H, W, h, w, step, rows, subcols, gap, width, height: tall, scale, first, total };
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (n <= overview.labelledMax) return { kind: "labelled", n };
  const rows = Math.min(n, overview.vectorRows);
  const cols = Math.ceil(n / rows);
  const scale = Math.min(overview.vectorCell, height / rows);
  return { kind: "vector", n, rows, cols, width: cols, height: rows, scale, cellWidth: cols === 1 ? overview.vectorWidth : scale };
}

// Whether unit `unit`'s channel is on the page drawn (always, for a vector).
export const drawn = (g, unit) => g.kind !== "maps" || (unit[0] >= g.first && unit[0] < g.first + g.C);

// Atlas pixel (x, y) of unit `unit` ([c, i, j] or [k]; c on the page drawn).
export function atlasPoint(g, unit) {
  if (g.kind === "maps") {
    const [i, j] = unit.slice(1).map((v) => Math.floor(v / g.step));
    const c = unit[0] - g.first;
    const sc = Math.floor(c / g.rows);
    const r = c % g.rows;
    return { x: sc * (g.w + g.gap) + j, y: r * (g.h + g.gap) + i };
  }
  const [k] = unit;
  return { x: Math.floor(k / g.rows), y: k % g.rows };
}

// The unit at atlas pixel (x, y), or null for a gap, past the end or outside the atlas (a
// finger that slid off the map keeps sending its position: never a negative unit).
export function unitAtAtlas(g, x, y) {
  if (!(x >= 0 && y >= 0 && x < g.width && y < g.height)) return null;
  if (g.kind === "maps") {
    const sc = Math.floor(x / (g.w + g.gap));
    const r = Math.floor(y / (g.h + g.gap));
    const j = x - sc * (g.w + g.gap);
    const i = y - r * (g.h + g.gap);
    const c = sc * g.rows + r;
    if (j >= g.w || i >= g.h || c >= g.C || j < 0 || i < 0) return null;
    return [g.first + c, Math.min(g.H - 1, i * g.step), Math.min(g.W - 1, j * g.step)];
  }
  const k = x * g.rows + y;
  return k >= 0 && k < g.n && y < g.rows ? [k] : null;
}

// Atlas rectangle of rows top..bottom-1, columns left..right-1 of channel c's map (for boxes
// drawn over it), in its canvas pixels.
export function mapBox(g, c, [top, left, bottom, right]) {
  const { x, y } = atlasPoint(g, [c, 0, 0]);
  return { x: x + left / g.step, y: y + top / g.step, w: (right - left) / g.step, h: (bottom - top) / g.step };
}

// The next unit from `unit` for an arrow key (within a map; Shift+Up/Down changes channel,
// past the page drawn too: the caller turns the page), or the same unit at an edge.
export function stepUnit(g, unit, key, shift) {
  if (g.kind === "maps") {
    let [c, i, j] = unit;
    if (shift && (key === "ArrowUp" || key === "ArrowDown")) c = clamp(c + (key === "ArrowDown" ? 1 : -1), g.total);
    else if (key === "ArrowUp") i = clamp(i - 1, g.H);
    else if (key === "ArrowDown") i = clamp(i + 1, g.H);
    else if (key === "ArrowLeft") j = clamp(j - 1, g.W);
    else if (key === "ArrowRight") j = clamp(j + 1, g.W);
    return [c, i, j];
  }
  const n = g.n;
  const delta = { ArrowUp: -1, ArrowDown: 1, ArrowLeft: -(g.rows ?? 1), ArrowRight: g.rows ?? 1 }[key] ?? 0;
  return [clamp(unit[0] + delta, n)];
}

const clamp = (v, n) => Math.max(0, Math.min(n - 1, v));
