// The equation view: the selected output written out term by term — every x·w (a padded
// position reads 0), the bias, and the sum — then the same in seed 000's compact notation
// (αA + βB + γD + δE + b) for small filters.

import { h } from "../dom.js";
import { count, num } from "../format.js";
import { pixelName, weightColour, weightName } from "./weights.js";

const SYMBOLIC_MAX_TERMS = 12;

export class EquationView {
  // root: the card's body; model: { result, step(row) }; selection: its Selection.
  constructor(root, model, selection) {
    this.model = model;
    this.selection = selection;
    this.head = h("p", { class: "eq-head" });
    this.terms = h("ol", { class: "eq-terms", "aria-label": "Every product of the selected output" });
    this.total = h("p", { class: "eq-total" });
    this.symbolic = h("p", { class: "eq-symbolic muted" });
    // The list scrolls when it is long: say so (a row cut in half says nothing by itself).
    this.more = h("p", { class: "eq-more small muted", dataset: { testid: "equation-more" }, hidden: true });
    root.append(this.head, this.terms, this.more, this.total, this.symbolic);
    model.addEventListener("result", () => this.render());
    model.addEventListener("step", () => this.render());
    selection.addEventListener("select", () => this.render());
    selection.addEventListener("weight", () => this.#weight());
  }

  render() {
    const r = this.model.result;
    if (!r) return;
    const step = this.model.step(this.selection.row);
    if (!step) {
      this.terms.replaceChildren();
      this.total.textContent = "Fetching this output's terms…";
      return;
    }
    const [i, j] = step.output;
    const K = step.terms.length;
    const shapeIn = r.matrix ? r.matrix.shape_in : [r.input.length, r.input[0].length, r.input[0][0].length];
    this.head.replaceChildren(
      h("strong", {}, `y[${i}, ${j}]`),
      ` = the sum of ${count(K)} products x·w, plus the bias`,
    );
    this.items = step.terms.map((t, k) => {
      const pad = t.input === null;
      return h(
        "li",
        {
          class: pad ? "eq-term is-pad" : "eq-term",
          style: { "--swatch": weightColour(k) },
          dataset: { k },
          title: pad ? "a padded position: x = 0" : `x at [${t.input.join(", ")}]`,
          onpointerenter: () => this.selection.hoverWeight(k),
          onpointerleave: () => this.selection.hoverWeight(null),
        },
        h("span", { class: "eq-name" }, `${weightName(k, K)} · ${pad ? "pad" : pixelName(t.input, shapeIn, r.channels)}`),
        h("span", { class: "eq-values" }, `${num(t.x, 4)} × ${num(t.w, 4)}`),
        h("span", { class: "eq-product" }, `= ${num(t.product, 4)}`),
      );
    });
    this.terms.replaceChildren(...this.items);
    requestAnimationFrame(() => {
      const hidden = this.terms.scrollHeight > this.terms.clientHeight + 1;
      this.more.hidden = !hidden;
      this.more.textContent = `↓ Scroll the list for all ${count(K)} products.`;
    });
    this.total.replaceChildren(
      "Σ products + bias ",
      h("span", { class: "bias" }, num(step.bias, 4)),
      " = ",
      h("strong", { class: "eq-sum", dataset: { testid: "equation-sum" } }, num(step.sum, 6)),
    );
    this.symbolic.textContent =
      K <= SYMBOLIC_MAX_TERMS
        ? `Compactly: y[${i}, ${j}] = ${step.terms.map((t, k) => `${weightName(k, K)}${t.input === null ? "·0" : pixelName(t.input, shapeIn, r.channels)}`).join(" + ")} + b`
        : `Compactly: y[${i}, ${j}] = Σₖ xₖ·wₖ + b over all ${count(K)} kernel weights k.`;
    this.#weight();
  }

  #weight() {
    const k = this.selection.weight;
    for (const item of this.items ?? []) item.classList.toggle("is-lit", k !== null && Number(item.dataset.k) === k);
  }
}
