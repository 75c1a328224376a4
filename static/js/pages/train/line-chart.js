// A line chart on a canvas: axes with ticks, grid, a legend, a title. Series are lists of
// {x, y} points; the numbers come from the training events as they are.

import { training } from "../../shared/config.js";

// Round tick values covering [lo, hi] with about `count` steps.
function ticks(lo, hi, count = 5) {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
  return out;
}

export class LineChart {
  // canvas: the drawing surface; opts: { title, xLabel, yFormat(v), yMax (fixed) or null,
  // yFloor (the automatic scale's smallest top; default 1e-3), height (CSS pixels; default
  // training.chart.height), series: [{ key, label, colour, markers }] }
  constructor(canvas, opts) {
    this.canvas = canvas;
    this.opts = opts;
    this.data = new Map(opts.series.map((s) => [s.key, []]));
    this.xMax = 1;
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  set(key, points) {
    this.data.set(key, points);
  }

  add(key, point) {
    this.data.get(key).push(point);
  }

  clear(xMax = 1) {
    for (const key of this.data.keys()) this.data.set(key, []);
    this.xMax = xMax;
  }

  get count() {
    let n = 0;
    for (const points of this.data.values()) n += points.length;
    return n;
  }

  draw() {
    const { canvas, opts } = this;
    const c = training.chart;
    const dpr = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 400;
    const height = opts.height ?? c.height;
    canvas.style.height = `${height}px`;
    if (canvas.width !== Math.round(width * dpr)) canvas.width = Math.round(width * dpr);
    if (canvas.height !== Math.round(height * dpr)) canvas.height = Math.round(height * dpr);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = c.font;

    const all = [...this.data.values()].flat().filter((p) => Number.isFinite(p.y));
    const yFloor = opts.yFloor ?? 1e-3; // the smallest top of an automatic scale
    const yMax = opts.yMax ?? (all.length ? Math.max(yFloor, ...all.map((p) => p.y)) * 1.1 : 1);
    const left = c.pad.left;
    const right = width - c.pad.right;
    const top = c.pad.top;
    const bottom = height - c.pad.bottom;
    const X = (x) => left + (x / this.xMax) * (right - left);
    const Y = (y) => bottom - (Math.min(y, yMax) / yMax) * (bottom - top);

    // grid and y ticks
    ctx.fillStyle = c.text;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of ticks(0, yMax, 4)) {
      ctx.strokeStyle = c.grid;
      ctx.beginPath();
      ctx.moveTo(left, Y(v));
      ctx.lineTo(right, Y(v));
      ctx.stroke();
      ctx.fillText(opts.yFormat(v), left - 6, Y(v));
    }
    // x ticks: epochs
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const xt = ticks(0, this.xMax, Math.min(8, Math.max(1, this.xMax)));
    for (const v of xt) {
      ctx.strokeStyle = c.axis;
      ctx.beginPath();
      ctx.moveTo(X(v), bottom);
      ctx.lineTo(X(v), bottom + 4);
      ctx.stroke();
      ctx.fillText(Number.isInteger(v) ? String(v) : v.toFixed(1), X(v), bottom + 6);
    }
    ctx.fillText(opts.xLabel, (left + right) / 2, bottom + 21);
    // axes
    ctx.strokeStyle = c.axis;
    ctx.beginPath();
    ctx.moveTo(left, top);
    ctx.lineTo(left, bottom);
    ctx.lineTo(right, bottom);
    ctx.stroke();

    // series
    for (const s of opts.series) {
      const points = this.data.get(s.key).filter((p) => Number.isFinite(p.y));
      ctx.strokeStyle = s.colour;
      ctx.fillStyle = s.colour;
      ctx.lineWidth = 2;
      ctx.beginPath();
      points.forEach((p, i) => (i ? ctx.lineTo(X(p.x), Y(p.y)) : ctx.moveTo(X(p.x), Y(p.y))));
      ctx.stroke();
      if (s.markers || points.length === 1) {
        for (const p of points) {
          ctx.beginPath();
          ctx.arc(X(p.x), Y(p.y), 3.5, 0, 2 * Math.PI);
          ctx.fill();
        }
      }
      ctx.lineWidth = 1;
    }

    // title and legend
    ctx.fillStyle = "#111827";
    ctx.textAlign = "left";
    ctx.textBaseline = "alphabetic";
    ctx.font = `600 ${c.font}`;
    ctx.fillText(opts.title, left, 16);
    ctx.font = c.font;
    let x = right;
    for (const s of [...opts.series].reverse()) {
      const w = ctx.measureText(s.label).width;
      x -= w;
      ctx.fillStyle = c.text;
      ctx.fillText(s.label, x, 16);
      x -= 22;
      ctx.strokeStyle = s.colour;
      ctx.fillStyle = s.colour;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(x, 12);
      ctx.lineTo(x + 16, 12);
      ctx.stroke();
      if (s.markers) {
        ctx.beginPath();
        ctx.arc(x + 8, 12, 3, 0, 2 * Math.PI);
        ctx.fill();
      }
      ctx.lineWidth = 1;
      x -= 14;
    }
    canvas.closest("figure").dataset.points = String(this.count);
  }
}
