// Pooling, one window at a time: the input with the current window and the value that won it
// (max/min) marked, the output filling in, and the summary written out. Every value, window
// and winner is the API's.

import { makeScale, maxAbs } from "../../shared/colormap.js";
import { h } from "../../shared/dom.js";
import { num } from "../../shared/format.js";
import { GridView } from "./grid-view.js";

const VERB = { max: "largest", min: "smallest", avg: "mean" };

export class PoolView {
  // root: the pool card; model: a PoolModel; selection: its Selection; stepper: its Stepper.
  constructor(root, model, selection, stepper) {
    this.model = model;
    this.selection = selection;
    this.input = new GridView({ label: "pooling input", on: { hover: () => {} } });
    this.output = new GridView({
      caption: "output",
      label: "pooling output",
      on: { click: ([i, j]) => selection.selectCell(i, j), hover: (c) => selection.hover(c ? c[0] * selection.shape[1] + c[1] : null) },
    });
    this.formula = h("pre", { class: "formula", dataset: { testid: "pool-formula" } });
    this.problem = h("p", { class: "problem", role: "alert", hidden: true });
    this.explain = h("p", { class: "dot-product", dataset: { testid: "pool-explain" }, "aria-live": "polite" });
    root.append(
      h("div", { class: "pool-layout" },
        h("div", { class: "pool-controls" }),
        h("div", { class: "pool-stage" },
          h("div", { class: "card-head row" }, h("h2", {}, "Window by window"), stepper.el),
          h("div", { class: "sliding-body" },
            h("div", { class: "sliding-part" }, h("h3", {}, "Input"), this.input.el),
            h("span", { class: "op", "aria-hidden": "true" }, "→"),
            h("div", { class: "sliding-part" }, h("h3", {}, "Output"), this.output.el),
          ),
          this.explain,
          this.formula,
          this.problem,
        ),
      ),
    );
    model.addEventListener("result", () => this.render());
    model.addEventListener("error", () => {
      this.problem.textContent = model.error;
      this.problem.hidden = false;
      this.formula.classList.add("is-stale");
    });
    selection.on(["select", "hover"], () => this.update());
  }

  render() {
    const r = this.model.result;
    this.problem.hidden = true;
    this.formula.classList.remove("is-stale");
    this.formula.textContent = r.formula;
    this.values = r.input;
    const m = Math.max(maxAbs(this.values), maxAbs(r.output));
    this.scale = makeScale("diverging", -m, m);
    this.input.render(this.values, { pad: r.padding, scale: this.scale });
    this.input.setCaption(r.padding[0] || r.padding[1] ? `padding ${r.padding.join(", ")} (never wins a max or min; counts as 0 in an average)` : "");
    this.update();
  }

  update() {
    const r = this.model.result;
    if (!r || !this.values) return; // drawn once the first result is rendered
    const row = this.selection.row;
    const step = this.model.step(row);
    this.output.renderSoFar(r.output, row, this.scale);
    this.output.mark("current", step ? [step.output] : []);
    const hover = this.model.step(this.selection.hoverRow);
    this.input.mark("window", step ? step.padded_window : []);
    this.input.mark("hover", hover ? hover.padded_window : []);
    this.input.mark("winner", step?.source ? [step.source] : []);
    if (!step) return;
    const [i, j] = step.output;
    const seen = step.window.map(([rr, ss]) => num(r.input[rr][ss], 4));
    const padded = r.mode === "avg" && (r.padding[0] || r.padding[1]);
    this.explain.replaceChildren(
      h("span", { class: "eq-lhs" }, `y[${i}, ${j}] = ${VERB[r.mode]} of `),
      `{ ${seen.join(", ")} }${padded ? " and any padded 0s" : ""}`,
      " = ",
      h("strong", { class: "eq-sum" }, num(step.value, 5)),
      step.source ? h("span", { class: "muted" }, ` — from input [${step.source.join(", ")}]`) : "",
    );
  }
}
