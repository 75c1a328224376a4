// The matrix-multiplication view (seed 000): one filter as a weight matrix M with a row per
// output and a column per input pixel, so that y = M·x + b. Structural zeros (weights that do
// not exist, never trained) are grey; every entry has the colour of the kernel weight it is,
// so shared weights show as one colour. Hover a row to see its window and output, a weight
// (in the matrix or the legend) to light up every entry that shares it.
//
// Small matrices are SVG (one element per cell, with the x vector above and "+ b = y" on the
// right); large ones a canvas with one pixel per cell (columns binned to fit).

import { anatomy } from "../../shared/config.js";
import { h, svg as s, unitAt } from "../../shared/dom.js";
import { count, num } from "../../shared/format.js";
import { lettered, pixelName, weightColour, weightName } from "../../shared/anatomy/weights.js";
import { hexToRgb } from "./grid-view.js";

const MAX_CANVAS_WIDTH = 1024;

export class MatrixView {
  // root: the card's body; model: { result } with `result.matrix` (the API's WeightMatrix),
  // `result.input` (C, H, W) and `result.output`; selection: its Selection.
  constructor(root, model, selection) {
    this.model = model;
    this.selection = selection;
    this.summary = h("p", { class: "matrix-summary" });
    this.figure = h("div", { class: "matrix-figure" });
    this.legend = h("div", { class: "weight-legend", role: "group", "aria-label": "Kernel weights" });
    root.append(this.summary, this.figure, this.legend);
    model.addEventListener("result", () => this.render());
    selection.on(["select", "hover"], () => this.#rows());
    selection.addEventListener("weight", () => this.#weight());
  }

  render() {
    const m = this.model.result.matrix;
    if (!m) return;
    this.m = m;
    const K = m.kernel.length;
    const [C, H, W] = m.shape_in;
    this.summary.replaceChildren(
      h("strong", {}, `M is ${m.rows} × ${m.cols}`),
      ` — a row per output (${m.shape_out.join(" × ")}), a column per input pixel (${C} × ${H} × ${W}). `,
      `${count(m.entries.length)} entries are trainable but share only ${count(K)} weights; `,
      h("span", { class: "zero-note" }, `${count(m.num_structural_zeros)} are structural zeros`),
      " (grey: no connection, never trained).",
    );
    this.mode = m.rows * m.cols <= anatomy.matrixSvgMaxCells ? "svg" : "canvas";
    if (this.mode === "svg") this.#svg(m);
    else this.#canvas(m);
    this.#legend(m);
    this.#rows();
    this.#weight();
  }

  // -- SVG: every cell an element ------------------------------------------------------------

  #svg(m) {
    const r = this.model.result;
    const W = m.shape_in[2];
    const K = m.kernel.length;
    const cell = Math.min(anatomy.cell, Math.max(14, Math.floor(860 / m.cols)));
    const named = lettered(m.shape_in, r.channels);
    const showText = cell >= 20;
    const left = 64;
    const top = showText ? (named ? 44 : 26) : 8;
    const right = 130;
    const width = left + m.cols * cell + right;
    const height = top + m.rows * cell + 6;
    const svg = s("svg", {
      class: "matrix-svg",
      viewBox: `0 0 ${width} ${height}`,
      width,
      role: "img",
      "aria-label": `weight matrix, ${m.rows} rows by ${m.cols} columns`,
    });
    svg.style.maxWidth = `${width}px`;
    const x = r.input.flat(2); // the input in the matrix's column order (c, r, s)
    if (showText) {
      svg.append(s("text", { x: left - 8, y: top - 8, class: "axis", "text-anchor": "end" }, "x ="));
      for (let col = 0; col < m.cols; col++) {
        const cx = left + col * cell + cell / 2;
        if (named) svg.append(s("text", { x: cx, y: top - 26, class: "axis name", "text-anchor": "middle" }, pixelName([0, Math.floor(col / W), col % W], m.shape_in)));
        svg.append(s("text", { x: cx, y: top - 8, class: "axis", "text-anchor": "middle" }, num(x[col], 2)));
      }
    }
    const kOf = new Map(m.entries.map(([row, col, k]) => [row * m.cols + col, k]));
    this.rowEls = [];
    this.cellEls = [];
    const flatOut = r.output.flat();
    for (let row = 0; row < m.rows; row++) {
      const y = top + row * cell;
      const [i, j] = [Math.floor(row / m.shape_out[1]), row % m.shape_out[1]];
      const g = s("g", { class: "matrix-row", "data-row": row });
      g.append(s("rect", { x: 0, y, width, height: cell, class: "row-band" }));
      g.append(s("text", { x: left - 8, y: y + cell / 2, class: "axis", "text-anchor": "end", "dominant-baseline": "central" }, `y${i},${j}`));
      for (let col = 0; col < m.cols; col++) {
        const k = kOf.get(row * m.cols + col);
        const rect = s("rect", {
          x: left + col * cell + 1,
          y: y + 1,
          width: cell - 2,
          height: cell - 2,
          rx: 3,
          class: k === undefined ? "m-cell zero" : "m-cell entry",
          fill: k === undefined ? anatomy.structuralZero : weightColour(k),
          "data-k": k,
        });
        if (k !== undefined) {
          rect.addEventListener("pointerenter", () => this.selection.hoverWeight(k));
          rect.addEventListener("pointerleave", () => this.selection.hoverWeight(null));
          this.cellEls.push(rect);
        }
        g.append(rect);
        if (showText) {
          g.append(
            s(
              "text",
              { x: left + col * cell + cell / 2, y: y + cell / 2, class: k === undefined ? "m-text zero" : "m-text", "text-anchor": "middle", "dominant-baseline": "central" },
              k === undefined ? "0" : weightName(k, K),
            ),
          );
        }
      }
      g.append(
        s(
          "text",
          { x: left + m.cols * cell + 8, y: y + cell / 2, class: "axis rhs", "dominant-baseline": "central" },
          `+ ${num(m.bias, 3)} = ${num(flatOut[row], 4)}`,
        ),
      );
      this.selection.bindRow(g, row);
      this.rowEls.push(g);
      svg.append(g);
    }
    this.svg = svg;
    this.figure.replaceChildren(h("div", { class: "matrix-scroll" }, svg));
  }

  // -- canvas: one pixel per cell --------------------------------------------------------------

  #canvas(m) {
    const bin = Math.ceil(m.cols / MAX_CANVAS_WIDTH);
    const width = Math.ceil(m.cols / bin);
    const canvas = h("canvas", { class: "pixelated matrix-canvas", width, height: m.rows, role: "img", "aria-label": `weight matrix, ${m.rows} rows by ${m.cols} columns` });
    canvas.style.aspectRatio = `${width} / ${m.rows}`;
    this.overlay = h("div", { class: "grid-overlay" });
    const frame = h("div", { class: "matrix-frame is-clickable" }, canvas, this.overlay);
    frame.style.aspectRatio = `${width} / ${m.rows}`;
    const rowAt = (e) => unitAt(e, canvas, m.rows, 1).row;
    frame.addEventListener("pointermove", (e) => this.selection.hover(rowAt(e)));
    frame.addEventListener("pointerleave", () => this.selection.hover(null));
    frame.addEventListener("click", (e) => this.selection.select(rowAt(e)));
    this.canvas = canvas;
    this.bin = bin;
    const note = bin > 1 ? h("p", { class: "muted small" }, `${bin} input columns per pixel column.`) : null;
    this.figure.replaceChildren(frame, note ?? "");
    this.#paint();
  }

  #paint() {
    const m = this.m;
    const ctx = this.canvas.getContext("2d");
    const img = ctx.createImageData(this.canvas.width, m.rows);
    const zero = hexToRgb(anatomy.structuralZero);
    for (let o = 0; o < img.data.length; o += 4) {
      img.data[o] = zero[0];
      img.data[o + 1] = zero[1];
      img.data[o + 2] = zero[2];
      img.data[o + 3] = 255;
    }
    const lit = this.selection.weight;
    const colours = m.kernel.map((_, k) => cssToRgb(weightColour(k)));
    const dimmed = hexToRgb(anatomy.dimmed);
    for (const [row, col, k] of m.entries) {
      const o = (row * this.canvas.width + Math.floor(col / this.bin)) * 4;
      const rgb = lit === null || lit === k ? colours[k] : dimmed;
      img.data[o] = rgb[0];
      img.data[o + 1] = rgb[1];
      img.data[o + 2] = rgb[2];
    }
    ctx.putImageData(img, 0, 0);
  }

  // -- legend and highlights ---------------------------------------------------------------------

  #legend(m) {
    const K = m.kernel.length;
    const shared = new Array(K).fill(0);
    for (const e of m.entries) shared[e[2]] += 1;
    this.legendItems = m.kernel.map((w, k) =>
      h(
        "button",
        {
          type: "button",
          class: "weight-key",
          style: { "--swatch": weightColour(k) },
          dataset: { k, testid: "weight-key" },
          "aria-label": `weight ${weightName(k, K)} = ${num(w, 4)}, used ${shared[k]} times`,
          onpointerenter: () => this.selection.hoverWeight(k),
          onpointerleave: () => this.selection.hoverWeight(null),
          onfocus: () => this.selection.hoverWeight(k),
          onblur: () => this.selection.hoverWeight(null),
        },
        h("span", { class: "swatch" }),
        `${weightName(k, K)} = ${num(w, 3)}`,
        h("span", { class: "muted" }, ` ×${shared[k]}`),
      ),
    );
    const zero = h("span", { class: "weight-key is-zero", style: { "--swatch": anatomy.structuralZero } }, h("span", { class: "swatch" }), "0 structural");
    this.legend.replaceChildren(...this.legendItems, zero);
  }

  #rows() {
    if (!this.m) return;
    const { row, hoverRow } = this.selection;
    if (this.mode === "svg") {
      this.rowEls.forEach((g, n) => {
        g.classList.toggle("is-current", n === row);
        g.classList.toggle("is-hover", n === hoverRow);
      });
    } else {
      this.overlay.replaceChildren(
        ...[
          [row, "current"],
          [hoverRow, "hover"],
        ]
          .filter(([n]) => n !== null)
          .map(([n, name]) => {
            const line = h("span", { class: `grid-mark row-mark mark-${name}` });
            line.style.top = `${(n / this.m.rows) * 100}%`;
            line.style.height = `max(2px, ${100 / this.m.rows}%)`;
            return line;
          }),
      );
    }
  }

  #weight() {
    if (!this.m) return;
    const k = this.selection.weight;
    if (this.mode === "svg") {
      this.svg.classList.toggle("has-weight", k !== null);
      for (const rect of this.cellEls) rect.classList.toggle("is-lit", k !== null && Number(rect.dataset.k) === k);
    } else {
      this.#paint();
    }
    for (const item of this.legendItems) item.classList.toggle("is-lit", Number(item.dataset.k) === k);
  }
}

// "#rrggbb" or "hsl(h s% l%)" to [r, g, b], via a 1×1 canvas (the browser parses the colour).
const probe = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
function cssToRgb(css) {
  probe.clearRect(0, 0, 1, 1);
  probe.fillStyle = css;
  probe.fillRect(0, 0, 1, 1);
  const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
  return [r, g, b];
}
