// Counting parameters (seed 004): a conv layer's filters against a dense layer on the same
// image. The counts and their arithmetic are the API's.

import { api } from "../../shared/api.js";
import { live } from "../../shared/config.js";
import { h } from "../../shared/dom.js";
import { count } from "../../shared/format.js";
import { LatestWins } from "../../shared/latest-wins.js";

const FIELDS = [
  ["channels", "channels", 3],
  ["height", "height", 256],
  ["width", "width", 256],
  ["kernel_size", "kernel side", 5],
  ["filters", "filters", 1],
  ["units", "dense units", 128],
];

export class ParamsView {
  constructor(root) {
    this.inputs = Object.fromEntries(
      FIELDS.map(([name, text, value]) => [name, h("input", { type: "number", min: 1, step: 1, value, "aria-label": text, class: "num-input", dataset: { field: name } })]),
    );
    this.bias = h("input", { type: "checkbox" });
    this.conv = h("p", { class: "param-line" });
    this.dense = h("p", { class: "param-line" });
    this.ratio = h("p", { class: "param-ratio", dataset: { testid: "params-ratio" } });
    this.problem = h("p", { class: "problem", role: "alert", hidden: true });
    root.append(
      h(
        "div",
        { class: "size-row" },
        ...FIELDS.map(([name, text]) => h("label", { class: "field" }, h("span", {}, text), this.inputs[name])),
        h("label", { class: "toggle" }, this.bias, " count biases"),
      ),
      h("div", { class: "param-compare" }, this.conv, this.dense, this.ratio),
      this.problem,
    );
    this.runner = new LatestWins({
      run: (query) => api.anatomyParams(query),
      onResult: (r) => this.render(r),
      onError: (err) => {
        this.problem.textContent = err.message;
        this.problem.hidden = false;
      },
      minIntervalMs: live.minIntervalMs,
    });
    root.addEventListener("input", () => this.#request());
    this.#request();
  }

  #request() {
    const bad = FIELDS.find(([name]) => !(Number.isInteger(Number(this.inputs[name].value)) && Number(this.inputs[name].value) >= 1));
    if (bad) {
      this.runner.cancel();
      this.problem.textContent = `${bad[1]}: type a whole number, at least 1`;
      this.problem.hidden = false;
      return;
    }
    const query = Object.fromEntries(Object.entries(this.inputs).map(([k, input]) => [k, input.value]));
    query.bias = this.bias.checked;
    this.runner.request(() => query);
  }

  render(r) {
    this.problem.hidden = true;
    this.conv.replaceChildren(h("span", { class: "param-name" }, "Convolution"), h("strong", { dataset: { testid: "params-conv" } }, count(r.conv)), h("span", { class: "muted" }, r.conv_formula));
    this.dense.replaceChildren(h("span", { class: "param-name" }, "Dense"), h("strong", { dataset: { testid: "params-dense" } }, count(r.dense)), h("span", { class: "muted" }, r.dense_formula));
    this.ratio.textContent = `The dense layer needs ${count(Math.round(r.ratio))} times as many parameters.`;
  }
}
