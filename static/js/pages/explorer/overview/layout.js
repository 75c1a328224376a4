// Where everything goes in the overview: layers in columns by depth (a layer one column right
// of the deepest layer it reads, so parallel branches share a column), and inside a layer's
// block where each unit is drawn. Sizes come from config.js; nothing here reads the DOM.
//
// A layer's picture is one "atlas" canvas at one canvas pixel per value:
//   maps (C, H, W): channels in sub-columns of at most `maxRows` maps, 1 px apart;
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
// block may be `height` CSS pixels tall. `labelled`: a short vector drawn as labelled rows.
export function blockGeometry(shape, height) {
  if (shape.length === 3) {
    const [C, H, W] = shape;
    const rows = Math.min(C, overview.maxRows);
    const subcols = Math.ceil(C / rows);
    const gap = 1; // canvas pixels between maps
    const width = subcols * W + (subcols - 1) * gap;
    const tall = rows * H + (rows - 1) * gap;
    const scale = Math.min(overview.mapMax / W, height / tall);
    return { kind: "maps", C, H, W, rows, subcols, gap, width, height: tall, scale };
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (n <= overview.labelledMax) return { kind: "labelled", n };
  const rows = Math.min(n, overview.vectorRows);
  const cols = Math.ceil(n / rows);
  const scale = Math.min(overview.vectorCell, height / rows);
  return { kind: "vector", n, rows, cols, width: cols, height: rows, scale, cellWidth: cols === 1 ? overview.vectorWidth : scale };
}

// Atlas pixel (x, y) of unit `unit` ([c, i, j] or [k]).
export function atlasPoint(g, unit) {
  if (g.kind === "maps") {
    const [c, i, j] = unit;
    const sc = Math.floor(c / g.rows);
    const r = c % g.rows;
    return { x: sc * (g.W + g.gap) + j, y: r * (g.H + g.gap) + i };
  }
  const [k] = unit;
  return { x: Math.floor(k / g.rows), y: k % g.rows };
}

// The unit at atlas pixel (x, y), or null for a gap, past the end or outside the atlas (a
// finger that slid off the map keeps sending its position: never a negative unit).
export function unitAtAtlas(g, x, y) {
  if (!(x >= 0 && y >= 0 && x < g.width && y < g.height)) return null;
  if (g.kind === "maps") {
    const sc = Math.floor(x / (g.W + g.gap));
    const r = Math.floor(y / (g.H + g.gap));
    const j = x - sc * (g.W + g.gap);
    const i = y - r * (g.H + g.gap);
    const c = sc * g.rows + r;
    if (j >= g.W || i >= g.H || c >= g.C || j < 0 || i < 0) return null;
    return [c, i, j];
  }
  const k = x * g.rows + y;
  return k >= 0 && k < g.n && y < g.rows ? [k] : null;
}

// Atlas rectangle of channel c's map (for boxes drawn over it).
export function mapRect(g, c) {
  const { x, y } = atlasPoint(g, [c, 0, 0]);
  return { x, y, w: g.W, h: g.H };
}

// The next unit from `unit` for an arrow key (within a map; Shift+Up/Down changes channel),
// or the same unit at an edge.
export function stepUnit(g, unit, key, shift) {
  if (g.kind === "maps") {
    let [c, i, j] = unit;
    if (shift && (key === "ArrowUp" || key === "ArrowDown")) c = clamp(c + (key === "ArrowDown" ? 1 : -1), g.C);
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
