// One filter of a real conv layer: the layer's volumes (volume-view.js), the layer's input for
// this drawing or photo (a photo's channels each in its own colour) (one map per channel,
// the window of the chosen output marked), the filter, the check that M·x + b is the feature
// map, and — drawn by the playground's own views — the feature map, the equation, M and M as
// a dense layer.
// A grouped conv is shown one group at a time: the group's input channels only, and a second
// check that the group's whole block M_g·x_g + b_g is its filters' feature maps.

import { makeScale, maxAbs } from "../../shared/colormap.js";
import { h } from "../../shared/dom.js";
import { count, num, shape, span } from "../../shared/format.js";
import { Legend } from "../../shared/legend.js";
import { CHANNEL_NAMES, channelScale, pixelLegendScale } from "../../shared/rgb.js";
import { GridView } from "./grid-view.js";

export class RealLayerView {
  // root: the result card; model: a LayerModel; selection: its Selection.
  constructor(root, model, selection) {
    this.root = root;
    this.model = model;
    this.selection = selection;
    this.check = h("p", { class: "check", dataset: { testid: "matrix-check" }, "aria-live": "polite" });
    this.title = h("p", { class: "real-title" });
    this.groupCheck = h("p", { class: "check", dataset: { testid: "group-check" }, "aria-live": "polite", hidden: true });
    this.inputs = h("div", { class: "channel-grid" });
    this.kernels = h("div", { class: "channel-grid kernels" });
    this.inputLegend = new Legend();
    this.kernelLegend = new Legend();
    this.formula = h("pre", { class: "formula" });
    this.problem = h("p", { class: "problem", role: "alert", hidden: true });
    this.slots = {
      volume: h("div", { class: "real-volume" }),
      stepper: h("div", { class: "stepper-slot" }),
      output: h("div", { class: "real-slot", dataset: { testid: "real-feature-map" } }),
      equation: h("div", { class: "real-slot real-equation", dataset: { testid: "real-equation" } }),
      matrix: h("div", { class: "real-slot", dataset: { testid: "real-matrix" } }),
      dense: h("div", { class: "real-slot", dataset: { testid: "real-dense" } }),
    };
    this.png = h("a", { class: "small", target: "_blank", rel: "noopener" }, "the same matrix as a PNG");
    root.append(
      this.title,
      this.check,
      this.groupCheck,
      this.problem,
      this.slots.volume,
      h(
        "div",
        { class: "real-row" },
        h("figure", { class: "real-part" }, h("h3", { class: "inputs-title" }), this.inputs, this.inputLegend.el),
        // each operator travels with what it points at: a wrapped row never ends in an arrow
        h(
          "div",
          { class: "real-step" },
          h("span", { class: "op", "aria-hidden": "true" }, "⊙"),
          h("figure", { class: "real-part" }, h("h3", { class: "kernel-title" }), this.kernels, this.kernelLegend.el),
        ),
        h(
          "div",
          { class: "real-step" },
          h("span", { class: "op", "aria-hidden": "true" }, "→"),
          h("figure", { class: "real-part" }, h("h3", {}, "Feature map"), this.slots.output),
        ),
      ),
      this.formula,
      h("h3", { class: "sub" }, "The chosen output, term by term"),
      this.slots.stepper,
      this.slots.equation,
      h("h3", { class: "sub" }, "Its weight matrix M"),
      this.slots.matrix,
      h("h3", { class: "sub" }, "M as a dense layer"),
      this.slots.dense,
      h("p", {}, this.png),
    );
    this.inputsTitle = root.querySelector(".inputs-title");
    this.kernelTitle = root.querySelector(".kernel-title");
    model.addEventListener("result", () => this.render());
    model.addEventListener("step", () => this.#window());
    model.addEventListener("error", () => {
      this.problem.textContent = model.error;
      this.problem.hidden = false;
    });
    selection.on(["select", "hover"], () => this.#window());
  }

  render() {
    const a = this.model.answer;
    const [C, H, W] = a.matrix.shape_in;
    const [, kh, kw] = a.matrix.kernel_shape;
    this.problem.hidden = true;
    const grouped = a.groups > 1;
    const ins = a.group_in_channels;
    const inSpan = span(ins[0], ins.length, "channel");
    const groupText = grouped ? ` · group ${a.group} of ${a.groups} (input ${inSpan} → ${span(a.group_out_channels[0], a.group_out_channels.length, "filter")})` : "";
    this.title.textContent = `${a.model_id} · layer ${a.layer.index} (${a.layer.name})${groupText} · filter ${a.filter} of ${a.layer.config.out_channels}`;
    const ok = a.matches;
    this.check.className = `check ${ok ? "is-ok" : "is-bad"}`;
    this.check.replaceChildren(
      h("span", { class: "check-mark", "aria-hidden": "true" }, ok ? "✓" : "✗"),
      h("span", {}, `M × input + b ${ok ? "=" : "≠"} feature map`),
      h("span", { class: "muted" }, ` — max |difference| over all ${count(a.matrix.rows)} outputs = ${num(a.max_abs_diff, 2)} (float32 rounding; tolerance ${num(a.tolerance, 1)})`),
    );
    this.#groupCheck(a);
    this.inputsTitle.textContent = grouped ? `Group ${a.group}'s input: ${inSpan} of ${a.layer.config.in_channels}, ${shape([C, H, W])}` : `Layer input, ${shape([C, H, W])}`;
    this.kernelTitle.textContent = `Filter ${a.filter}, ${shape([C, kh, kw])}, bias ${num(a.bias, 3)}`;
    // a photo's R, G, B planes (the first layer of a colour model, pixels in [0, 1]) in colour
    const rgb = a.layer.index === 0 && C === 3 && !grouped && a.input_min >= 0 && a.input_max <= 1;
    const inScale = makeScale(a.input_min < 0 ? "diverging" : "sequential", a.input_min, a.input_max);
    this.inputGrids = a.input.map((plane, c) => {
      const name = rgb ? `${CHANNEL_NAMES[c]} (channel ${c})` : `${ins[c]}`;
      const g = new GridView({ caption: C > 1 || grouped ? name : "", label: `layer input channel ${ins[c]}` });
      g.render(plane, { pad: a.layer.config.padding, scale: rgb ? channelScale(c) : inScale, numbers: false });
      return g;
    });
    this.inputs.replaceChildren(...this.inputGrids.map((g) => g.el));
    this.inputLegend.render(rgb ? pixelLegendScale(a.input_min, a.input_max) : inScale, rgb ? "pixel" : "input");
    this.inputs.classList.toggle("is-many", C > 4);
    const m = maxAbs(a.kernel);
    const kScale = makeScale("diverging", -m, m);
    const weights = a.kernel.flat(2); // (C, kh, kw) → C·kh·kw numbers: the range the legend states
    this.kernelLegend.render(makeScale("diverging", Math.min(...weights), Math.max(...weights)), "weight");
    this.kernels.replaceChildren(
      ...a.kernel.map((plane, c) => {
        const g = new GridView({ caption: C > 1 || grouped ? `${ins[c]}` : "", label: `filter channel ${c}, on input channel ${ins[c]}` });
        g.render(plane, { scale: kScale, numbers: false });
        return g.el;
      }),
    );
    this.kernels.classList.toggle("is-many", C > 4);
    this.formula.textContent = a.formula;
    this.root.dataset.renders = String(Number(this.root.dataset.renders ?? 0) + 1); // answers drawn
    this.png.href = `/api/models/${encodeURIComponent(a.model_id)}/layers/${a.layer.index}/weight-matrix.png?filter=${a.filter}&group=${a.group}`;
    this.#window();
  }

  // A grouped conv's second check: the group's whole block against all its feature maps.
  #groupCheck(a) {
    const g = a.group_check;
    this.groupCheck.hidden = !(a.groups > 1 && g);
    if (this.groupCheck.hidden) return;
    const biases = g.filters > 1 ? `its ${g.filters} biases` : "its bias";
    const what = `M_${a.group} (${count(g.rows)} × ${count(g.cols ?? 0)}) × group ${a.group}'s input + ${biases}`;
    if (!g.checked) {
      this.groupCheck.className = "check";
      this.groupCheck.textContent = `${what}: the block is too large to check here (${count(g.rows)} rows).`;
      return;
    }
    this.groupCheck.className = `check ${g.matches ? "is-ok" : "is-bad"}`;
    this.groupCheck.replaceChildren(
      h("span", { class: "check-mark", "aria-hidden": "true" }, g.matches ? "✓" : "✗"),
      h("span", {}, `${what} ${g.matches ? "=" : "≠"} its ${g.filters} feature map${g.filters > 1 ? "s" : ""}`),
      h("span", { class: "muted" }, ` — max |difference| = ${num(g.max_abs_diff, 2)}`),
    );
  }

  // Mark the chosen (and hovered) output's window on every input channel.
  #window() {
    if (!this.inputGrids) return;
    const cur = this.model.step(this.selection.row);
    const hover = this.model.step(this.selection.hoverRow);
    this.inputGrids.forEach((g, c) => {
      g.mark("window", cur ? cur.window.filter((p) => p[0] === c).map(([, r, s]) => [r, s]) : []);
      g.mark("hover", hover ? hover.window.filter((p) => p[0] === c).map(([, r, s]) => [r, s]) : []);
    });
  }
}
