// The size arithmetic of the current convolution, as the API writes it with the actual
// numbers (H_out = ⌊(H + 2p − d(k − 1) − 1) / s⌋ + 1), or — when the controls describe an
// impossible combination — the API's explanation of why, in place of the arithmetic. Below
// it, what the filter costs: its parameters against a dense layer on the same pixels.

import { h } from "../../shared/dom.js";

export class ArithmeticView {
  constructor(root, model) {
    this.model = model;
    this.formula = h("pre", { class: "formula", dataset: { testid: "conv-formula" } });
    this.problem = h("p", { class: "problem", role: "alert", dataset: { testid: "conv-problem" }, hidden: true });
    this.params = h("dl", { class: "facts params" });
    root.append(this.formula, this.problem, this.params);
    model.addEventListener("result", () => this.render());
    model.addEventListener("error", () => this.#error());
  }

  render() {
    const r = this.model.result;
    this.problem.hidden = true;
    this.formula.classList.remove("is-stale");
    this.formula.textContent = r.formula;
    const p = r.parameters;
    this.params.replaceChildren(
      h("dt", {}, "This filter"),
      h("dd", { dataset: { testid: "conv-params" } }, p.conv_formula),
      h("dt", {}, "A dense layer, same pixels"),
      h("dd", {}, p.dense_formula),
    );
  }

  #error() {
    this.problem.textContent = this.model.error;
    this.problem.hidden = false;
    this.formula.classList.add("is-stale");
  }
}
