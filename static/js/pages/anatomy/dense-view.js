// The dense-network view (seed 000): the convolution as a fully connected layer, inputs on
// the left, outputs on the right. Each trainable connection is coloured by the kernel weight
// it shares; the structural zeros — connections a dense layer would have and a convolution
// does not — are drawn faint grey, or hidden with the toggle. The edges are the API's matrix
// entries; nothing is computed here.

import { anatomy } from "../../shared/config.js";
import { h, svg as s } from "../../shared/dom.js";
import { count, num, ordinal } from "../../shared/format.js";
import { pixelName, weightColour } from "../../shared/anatomy/weights.js";

const WIDTH = 640;
const MARGIN = 110;
const FAINT_EDGES = 6000;

export class DenseView {
  constructor(root, model, selection) {
    this.model = model;
    this.selection = selection;
    this.toggle = h("input", { type: "checkbox", checked: true, dataset: { testid: "show-zeros" } });
    this.summary = h("p", { class: "dense-summary" });
    this.figure = h("div", { class: "dense-figure" });
    root.append(
      h("div", { class: "dense-head" }, this.summary, h("label", { class: "toggle" }, this.toggle, " show structural zeros")),
      this.figure,
    );
    this.toggle.addEventListener("change", () => this.render());
    model.addEventListener("result", () => this.render());
    selection.on(["select", "hover", "weight"], () => this.#highlight());
  }

  render() {
    const m = this.model.result.matrix;
    if (!m) return;
    this.m = m;
    this.mode = Math.max(m.rows, m.cols) <= anatomy.denseSvgMaxNodes ? "svg" : "canvas";
    const zerosDrawable = this.mode === "svg" && m.num_structural_zeros <= anatomy.denseZerosMaxEdges;
    this.toggle.disabled = !zerosDrawable;
    this.toggle.parentElement.title = zerosDrawable ? "" : "too many to draw";
    this.summary.replaceChildren(
      `${count(m.cols)} inputs → ${count(m.rows)} outputs. A dense layer would connect all ${count(m.cols)} × ${count(m.rows)} pairs; `,
      h("strong", {}, `this filter keeps ${count(m.entries.length)}`),
      `, sharing ${count(m.kernel.length)} weights. ${zerosDrawable ? "" : "The structural zeros are too many to draw."}`,
    );
    if (this.mode === "svg") this.#svg(m, zerosDrawable && this.toggle.checked);
    else this.#canvas(m);
    this.#highlight();
  }

  #layout(m, height) {
    const gap = (n) => (height - 40) / Math.max(n, 1);
    return {
      xin: MARGIN,
      xout: WIDTH - MARGIN,
      yin: (col) => 20 + gap(m.cols) * (col + 0.5),
      yout: (row) => 20 + gap(m.rows) * (row + 0.5),
      gapIn: gap(m.cols),
      gapOut: gap(m.rows),
    };
  }

  #svg(m, zeros) {
    const r = this.model.result;
    const n = Math.max(m.rows, m.cols);
    const height = Math.max(160, Math.min(680, n * 24 + 40));
    const L = this.#layout(m, height);
    const svg = s("svg", { class: "dense-svg", viewBox: `0 0 ${WIDTH} ${height}`, role: "img", "aria-label": "dense network view" });
    svg.style.maxWidth = `${WIDTH}px`;
    const edges = s("g", { class: "edges" });
    if (zeros) {
      const linked = new Set(m.entries.map(([row, col]) => row * m.cols + col));
      for (let row = 0; row < m.rows; row++) {
        for (let col = 0; col < m.cols; col++) {
          if (linked.has(row * m.cols + col)) continue;
          edges.append(s("line", { x1: L.xin, y1: L.yin(col), x2: L.xout, y2: L.yout(row), class: "edge zero", stroke: anatomy.structuralZero }));
        }
      }
    }
    this.edgeEls = m.entries.map(([row, col, k]) => {
      const line = s("line", { x1: L.xin, y1: L.yin(col), x2: L.xout, y2: L.yout(row), class: "edge entry", stroke: weightColour(k), "data-row": row, "data-k": k });
      line.addEventListener("pointerenter", () => this.selection.hoverWeight(k));
      line.addEventListener("pointerleave", () => this.selection.hoverWeight(null));
      edges.append(line);
      return line;
    });
    svg.append(edges);
    const x = r.input.flat(2);
    const labelIn = L.gapIn >= 12;
    for (let col = 0; col < m.cols; col++) {
      svg.append(s("circle", { cx: L.xin, cy: L.yin(col), r: Math.min(7, L.gapIn / 2.6), class: "node in" }));
      if (labelIn) {
        svg.append(s("text", { x: L.xin - 12, y: L.yin(col), class: "axis", "text-anchor": "end", "dominant-baseline": "central" }, `${pixelName(position(col, m.shape_in), m.shape_in, r.channels)} = ${num(x[col], 3)}`));
      }
    }
    const out = r.output.flat();
    this.outEls = [];
    for (let row = 0; row < m.rows; row++) {
      const [i, j] = [Math.floor(row / m.shape_out[1]), row % m.shape_out[1]];
      const g = s("g", { class: "node-out", "data-row": row });
      g.append(s("circle", { cx: L.xout, cy: L.yout(row), r: Math.min(9, L.gapOut / 2.4), class: "node out" }));
      g.append(s("text", { x: L.xout + 14, y: L.yout(row), class: "axis", "dominant-baseline": "central" }, `y${i},${j} = ${num(out[row], 4)}`));
      this.selection.bindRow(g, row);
      this.outEls.push(g);
      svg.append(g);
    }
    this.svg = svg;
    this.figure.replaceChildren(svg);
  }

  #canvas(m) {
    const height = 560;
    const canvas = h("canvas", { class: "dense-canvas", width: WIDTH * 2, height: height * 2, role: "img", "aria-label": "dense network view" });
    canvas.style.aspectRatio = `${WIDTH} / ${height}`;
    canvas.addEventListener("pointermove", (e) => {
      const rect = canvas.getBoundingClientRect();
      const y = ((e.clientY - rect.top) / rect.height) * height;
      const L = this.#layout(m, height);
      this.selection.hover(Math.min(m.rows - 1, Math.max(0, Math.floor((y - 20) / L.gapOut))));
    });
    canvas.addEventListener("pointerleave", () => this.selection.hover(null));
    canvas.addEventListener("click", () => this.selection.select(this.selection.hoverRow));
    this.canvas = canvas;
    this.canvasHeight = height;
    this.bg = null;
    this.sample = Math.max(1, Math.ceil(m.entries.length / FAINT_EDGES));
    this.byWeight = m.kernel.map(() => []); // k -> [[row, col], ...]
    this.byRow = new Map(); // row -> [[col, k], ...]
    for (const [r, c, k] of m.entries) {
      this.byWeight[k].push([r, c]);
      if (!this.byRow.has(r)) this.byRow.set(r, []);
      this.byRow.get(r).push([c, k]);
    }
    const sample = Math.max(1, Math.ceil(m.entries.length / FAINT_EDGES));
    const faint = sample > 1 ? `the connections of every ${ordinal(sample)} output` : "every trainable connection";
    this.figure.replaceChildren(canvas, h("p", { class: "muted small" }, `Faint: ${faint}. Bold: the chosen output's. Point at the outputs on the right to choose one.`));
  }

  // Trainable edges, faint, in a background canvas redrawn only when the lit weight changes:
  // those of every `sample`-th output (at most FAINT_EDGES lines; software rasterising tens of
  // thousands is seconds), one path per kernel weight.
  #background(L) {
    const m = this.m;
    const weight = this.selection.weight;
    if (this.bg && this.bgWeight === weight) return this.bg;
    const bg = this.bg ?? h("canvas", { width: this.canvas.width, height: this.canvas.height });
    const ctx = bg.getContext("2d");
    ctx.setTransform(2, 0, 0, 2, 0, 0);
    ctx.clearRect(0, 0, WIDTH, this.canvasHeight);
    ctx.lineWidth = 0.4;
    this.byWeight.forEach((edges, k) => {
      ctx.globalAlpha = weight === null ? 0.25 : k === weight ? 0.6 : 0.04;
      ctx.strokeStyle = weightColour(k);
      ctx.beginPath();
      for (const [r, c] of edges) {
        if (r % this.sample) continue;
        ctx.moveTo(L.xin, L.yin(c));
        ctx.lineTo(L.xout, L.yout(r));
      }
      ctx.stroke();
    });
    this.bg = bg;
    this.bgWeight = weight;
    return bg;
  }

  #paint() {
    const m = this.m;
    const ctx = this.canvas.getContext("2d");
    const L = this.#layout(m, this.canvasHeight);
    const { row, hoverRow, weight } = this.selection;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.drawImage(this.#background(L), 0, 0);
    ctx.setTransform(2, 0, 0, 2, 0, 0);
    ctx.globalAlpha = 1;
    ctx.lineWidth = 1.4;
    for (const r of new Set([row, hoverRow])) {
      for (const [c, k] of r === null ? [] : (this.byRow.get(r) ?? [])) {
        if (weight !== null && k !== weight) continue;
        ctx.strokeStyle = weightColour(k);
        ctx.beginPath();
        ctx.moveTo(L.xin, L.yin(c));
        ctx.lineTo(L.xout, L.yout(r));
        ctx.stroke();
      }
    }
    ctx.fillStyle = anatomy.axis;
    ctx.fillRect(L.xin - 2, 20, 4, this.canvasHeight - 40);
    ctx.fillRect(L.xout - 2, 20, 4, this.canvasHeight - 40);
    ctx.fillStyle = anatomy.label;
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "right";
    ctx.fillText(`${count(m.cols)} inputs`, L.xin - 10, 16);
    ctx.textAlign = "left";
    ctx.fillText(`${count(m.rows)} outputs`, L.xout + 10, 16);
    if (row !== null) {
      const [i, j] = [Math.floor(row / m.shape_out[1]), row % m.shape_out[1]];
      ctx.fillText(`y${i},${j}`, L.xout + 10, L.yout(row) + 4);
    }
    const [C, H, W] = m.shape_in;
    ctx.textAlign = "right";
    const names = this.model.result.channels ?? []; // a grouped conv's group: its layer channels
    for (let c = 0; C > 1 && c < C; c++) ctx.fillText(`channel ${names[c] ?? c}`, L.xin - 10, L.yin(c * H * W) + 12);
  }

  #highlight() {
    if (!this.m) return;
    if (this.mode === "canvas") return this.#paint();
    const { row, hoverRow, weight } = this.selection;
    const focus = hoverRow ?? row;
    this.svg.classList.toggle("has-focus", focus !== null || weight !== null);
    for (const line of this.edgeEls) {
      const r = Number(line.dataset.row);
      const k = Number(line.dataset.k);
      line.classList.toggle("is-lit", weight !== null ? k === weight : r === focus);
    }
    this.outEls.forEach((g, n) => {
      g.classList.toggle("is-current", n === row);
      g.classList.toggle("is-hover", n === hoverRow);
    });
  }
}

// [c, r, s] of matrix column `col` for an input of `shape_in` (the API's flattening).
function position(col, [, H, W]) {
  return [Math.floor(col / (H * W)), Math.floor((col % (H * W)) / W), col % W];
}
