// Drawing helpers the teaching views share: a grid of numbers or a heat map, a small map
// with a caption, a line chart. Every number drawn comes from the API as is.

import { makeScale, maxAbs, paintGrid } from "./colormap.js";
import { h, pixelCanvas } from "./dom.js";
import { num } from "./format.js";

// A diverging scale symmetric about zero for a nested array, or the ReLU-style sequential
// one when nothing is negative.
export function scaleFor(nested) {
  const m = maxAbs(nested);
  let negative = false;
  const walk = (a) => {
    for (const v of a) {
      if (Array.isArray(v)) walk(v);
      else if (v < 0) negative = true;
    }
  };
  walk(nested);
  return negative ? makeScale("diverging", -m, m) : makeScale("sequential", 0, m);
}

// A 2-D grid: numbers in coloured cells when it is small, a pixelated heat map otherwise.
export function gridView(grid, { scale = scaleFor(grid), maxSide = 8, size = 132, label = "", digits = 3 } = {}) {
  const H = grid.length;
  const W = H ? grid[0].length : 0;
  if (H <= maxSide && W <= maxSide) {
    const cells = grid.flatMap((row) =>
      row.map((v) => {
        const [r, g, b] = scale.rgb(v);
        const dark = 0.299 * r + 0.587 * g + 0.114 * b < 140;
        return h("span", { class: `t-cell${dark ? " dark" : ""}`, style: { background: `rgb(${r} ${g} ${b})` } }, num(v, digits));
      }),
    );
    return h("div", { class: "t-numbers", role: "img", "aria-label": label, style: { "--cols": W } }, cells);
  }
  const canvas = pixelCanvas(W, H, size, { role: "img", "aria-label": label });
  paintGrid(canvas, grid, scale);
  return canvas;
}

// A figure: the grid and a caption under it.
export function figure(grid, caption, options = {}) {
  return h("figure", { class: "t-figure" }, gridView(grid, { label: caption, ...options }), h("figcaption", {}, caption));
}

// Line chart of series [{ label, values, colour }] over xs; `marker` marks one x.
export function lineChart(canvas, xs, series, { marker = null, yMax = 1, yLabel = "" } = {}) {
  const ctx = canvas.getContext("2d");
  const ratio = window.devicePixelRatio || 1;
  const cssW = canvas.clientWidth || 360;
  const cssH = canvas.clientHeight || 180;
  canvas.width = cssW * ratio;
  canvas.height = cssH * ratio;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  const pad = { l: 40, r: 10, t: 10, b: 28 };
  const x = (v) => pad.l + ((v - xs[0]) / (xs[xs.length - 1] - xs[0])) * (cssW - pad.l - pad.r);
  const y = (v) => cssH - pad.b - (v / yMax) * (cssH - pad.t - pad.b);
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = "#4b5563";
  ctx.strokeStyle = "#e5e7eb";
  for (const t of [0, 0.5, 1]) {
    ctx.beginPath();
    ctx.moveTo(pad.l, y(t * yMax));
    ctx.lineTo(cssW - pad.r, y(t * yMax));
    ctx.stroke();
    ctx.fillText(`${Math.round(t * yMax * 100)}%`, 4, y(t * yMax) + 4);
  }
  for (const v of xs) if (v % 2 === 0) ctx.fillText(String(v), x(v) - 6, cssH - 10);
  if (yLabel) ctx.fillText(yLabel, pad.l + 4, pad.t + 10);
  if (marker !== null) {
    ctx.strokeStyle = "#9ca3af";
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(x(marker), pad.t);
    ctx.lineTo(x(marker), cssH - pad.b);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  for (const s of series) {
    ctx.strokeStyle = s.colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.values.forEach((v, i) => (i ? ctx.lineTo(x(xs[i]), y(v)) : ctx.moveTo(x(xs[i]), y(v))));
    ctx.stroke();
    ctx.lineWidth = 1;
  }
}

// "<card head>" with a title and a muted sentence.
export function head(title, text) {
  return h("header", { class: "card-head" }, h("div", {}, h("h2", {}, title), text ? h("p", { class: "muted small" }, text) : null));
}
