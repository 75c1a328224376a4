// The sliding window: the (padded) input with the current window on it, the kernel, the dot
// product written out with the real numbers, and the output filling in step by step — the
// picture every introduction starts with. Large inputs are heat maps, with the numbers under
// the window shown enlarged beside them.

import { makeScale, maxAbs } from "../../shared/colormap.js";
import { h } from "../../shared/dom.js";
import { num } from "../../shared/format.js";
import { weightColour, weightPosition } from "../../shared/anatomy/weights.js";
import { GridView } from "./grid-view.js";

const MAX_WRITTEN_TERMS = 12; // the dot product beyond this is shortened (the equation view has all)

export class SlidingView {
  // root: the card's body; model: a ConvModel (result, step(row)); selection: its Selection.
  constructor(root, model, selection) {
    this.model = model;
    this.selection = selection;
    this.inputs = h("div", { class: "sliding-channels" });
    this.kernels = h("div", { class: "sliding-channels" });
    this.zoom = h("div", { class: "sliding-channels sliding-zoom" });
    this.output = new GridView({
      caption: "output so far",
      label: "the output, filled in up to the current window",
      on: { click: ([i, j]) => selection.selectCell(i, j), hover: (c) => selection.hover(c ? c[0] * selection.shape[1] + c[1] : null) },
    });
    this.dot = h("p", { class: "dot-product", dataset: { testid: "dot-product" }, "aria-live": "polite" });
    root.append(
      h(
        "div",
        { class: "sliding-body" },
        h("div", { class: "sliding-part" }, h("h3", {}, "Input"), this.inputs),
        h("span", { class: "op", "aria-hidden": "true" }, "⊙"),
        h("div", { class: "sliding-part" }, h("h3", {}, "Kernel"), this.kernels),
        h("div", { class: "sliding-part zoom-part" }, h("h3", {}, "Under the window"), this.zoom),
        h("span", { class: "op", "aria-hidden": "true" }, "→"),
        h("div", { class: "sliding-part" }, h("h3", {}, "Output"), this.output.el),
      ),
      this.dot,
    );
    this.zoomPart = root.querySelector(".zoom-part");
    model.addEventListener("result", () => this.render());
    model.addEventListener("step", () => this.update());
    selection.addEventListener("select", () => this.update());
    selection.addEventListener("hover", () => this.#hover());
    selection.addEventListener("weight", () => this.#weight());
  }

  render() {
    const r = this.model.result;
    const [ph, pw] = r.padding;
    const [, kh, kw] = [r.kernel.length, r.kernel[0].length, r.kernel[0][0].length];
    const inScale = makeScale("diverging", -maxAbs(r.input), maxAbs(r.input));
    this.inputGrids = r.input.map((plane, c) => {
      const g = new GridView({
        caption: r.input.length > 1 ? `channel ${c}` : `${plane.length}×${plane[0].length}, padding ${ph === pw ? ph : `${ph},${pw}`}`,
        label: `input channel ${c} with its zero padding`,
      });
      g.render(plane, { pad: [ph, pw], scale: inScale });
      return g;
    });
    this.inputs.replaceChildren(...this.inputGrids.map((g) => g.el));
    this.kernelGrids = r.kernel.map((plane, c) => {
      const g = new GridView({ caption: r.kernel.length > 1 ? `channel ${c}` : `${kh}×${kw}`, label: `kernel channel ${c}` });
      g.render(plane, { numbers: true, colour: (a, b) => weightColour(c * kh * kw + a * kw + b) });
      return g;
    });
    this.kernels.replaceChildren(...this.kernelGrids.map((g) => g.el));
    this.big = this.inputGrids.some((g) => g.mode === "heat");
    this.zoomPart.hidden = !this.big;
    this.outScale = makeScale("diverging", -maxAbs(r.output), maxAbs(r.output));
    this.update();
  }

  // The selected output moved (or its step arrived).
  update() {
    const r = this.model.result;
    if (!r || !this.inputGrids) return; // drawn once the first result is rendered
    const row = this.selection.row;
    const step = this.model.step(row);
    this.output.renderSoFar(r.output, row, this.outScale);
    this.output.mark("current", row === null ? [] : [this.selection.cell(row)]);
    this.#markWindow("window", step);
    this.#weight();
    this.#zoom(step);
    this.#dot(step);
  }

  #markWindow(name, step) {
    this.inputGrids.forEach((g, c) => {
      g.mark(name, step ? step.window.filter((p) => p[0] === c).map(([, rr, ss]) => [rr, ss]) : []);
    });
  }

  #hover() {
    const row = this.selection.hoverRow;
    this.#markWindow("hover", row === null ? null : this.model.step(row));
  }

  #weight() {
    const r = this.model.result;
    const k = this.selection.weight;
    const [kh, kw] = [r.kernel[0].length, r.kernel[0][0].length];
    this.kernelGrids.forEach((g, c) => {
      if (k === null) return g.mark("weight", []);
      const [ck, a, b] = weightPosition(k, kh, kw);
      g.mark("weight", ck === c ? [[a, b]] : []);
    });
    const step = this.model.step(this.selection.row);
    this.inputGrids.forEach((g, c) => {
      const p = k === null || !step ? null : step.window[k];
      g.mark("weight", p && p[0] === c ? [[p[1], p[2]]] : []);
    });
  }

  // Large inputs: the numbers under the window, laid out like the kernel.
  #zoom(step) {
    if (!this.big) return;
    if (!step) {
      this.zoom.replaceChildren(h("p", { class: "muted" }, "…"));
      return;
    }
    const r = this.model.result;
    const [C, kh, kw] = [r.kernel.length, r.kernel[0].length, r.kernel[0][0].length];
    const planes = Array.from({ length: C }, () => Array.from({ length: kh }, () => new Array(kw).fill(0)));
    step.terms.forEach((t, k) => {
      const [c, a, b] = weightPosition(k, kh, kw);
      planes[c][a][b] = t.x;
    });
    this.zoom.replaceChildren(
      ...planes.map((plane, c) => {
        const g = new GridView({ caption: C > 1 ? `channel ${c}` : "", label: `input values under the window, channel ${c}` });
        g.render(plane, { numbers: true, colour: (a, b) => weightColour(c * kh * kw + a * kw + b) });
        return g.el;
      }),
    );
  }

  #dot(step) {
    if (!step) {
      this.dot.replaceChildren(h("span", { class: "muted" }, "Fetching this window's numbers…"));
      return;
    }
    const [i, j] = step.output;
    const shown = step.terms.slice(0, MAX_WRITTEN_TERMS);
    const parts = [h("span", { class: "eq-lhs" }, `y[${i}, ${j}] = `)];
    shown.forEach((t, k) => {
      if (k) parts.push(" + ");
      parts.push(term(t, k));
    });
    const rest = step.terms.length - shown.length;
    if (rest > 0) parts.push(h("span", { class: "muted" }, ` + … ${rest} more products`));
    parts.push(" + ", h("span", { class: "bias" }, num(step.bias, 4)), " = ", h("strong", { class: "eq-sum" }, num(step.sum, 5)));
    this.dot.replaceChildren(...parts);
  }
}

function term(t, k) {
  const el = h("span", { class: t.input === null ? "term is-pad" : "term", style: { "--swatch": weightColour(k) } }, `${signed(t.x)}·${signed(t.w)}`);
  if (t.input === null) el.title = "padding: reads 0";
  return el;
}

// A factor of a product: negative numbers in parentheses, so "0.2·(−0.5)" reads as one.
function signed(v) {
  return v < 0 ? `(−${num(-v, 4)})` : num(v, 4);
}
