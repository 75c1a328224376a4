// A hand-made kernel on the current drawing: pick a preset (seed 001's edge detectors, blur,
// sharpen, identity) or type the weights, and see the feature map the API computes.

import { api } from "../../shared/api.js";
import { makeScale, paintGrid, inkScale } from "../../shared/colormap.js";
import { explain as config } from "../../shared/config.js";
import { h, pixelCanvas } from "../../shared/dom.js";
import { LatestWins } from "../../shared/latest-wins.js";
import { Legend } from "../../shared/legend.js";

export class KernelEditor {
  // root: an empty <section>; on: { error(message) }
  constructor(root, on) {
    this.root = root;
    this.on = on;
    this.input = null; // the network input (28×28) of the current drawing
    this.size = 3;
    this.weights = [[1, 0, -1], [1, 0, -1], [1, 0, -1]];
    this.preset = "vertical-edge";
    this.bias = 0;
    this.runner = new LatestWins({
      minIntervalMs: config.minIntervalMs,
      run: (body) => api.kernel(body),
      onResult: (answer) => this.#show(answer),
      onError: (err) => this.on.error(err.message),
    });
    this.#build();
    this.#loadPresets();
  }

  #build() {
    this.presetBox = h("div", { class: "kernel-presets", role: "group", "aria-label": "Presets" });
    this.sizeSelect = h(
      "select",
      { dataset: { testid: "kernel-size" }, onchange: () => this.#resize(Number(this.sizeSelect.value)) },
      [3, 5].map((n) => h("option", { value: String(n) }, `${n}×${n}`)),
    );
    this.gridBox = h("div", { class: "kernel-grid", dataset: { testid: "kernel-grid" } });
    this.biasInput = h("input", {
      type: "number",
      step: "0.1",
      value: "0",
      class: "kernel-bias",
      "aria-label": "Bias",
      oninput: () => {
        this.bias = Number(this.biasInput.value) || 0;
        this.#changed();
      },
    });
    this.inputCanvas = pixelCanvas(28, 28, config.kernelMapSize, { role: "img", "aria-label": "Network input" });
    this.outputCanvas = pixelCanvas(28, 28, config.kernelMapSize, {
      dataset: { testid: "kernel-output" },
      role: "img",
      "aria-label": "Feature map of the kernel on the drawing",
    });
    this.legend = new Legend();
    this.formula = h("p", { class: "muted kernel-formula", dataset: { testid: "kernel-formula" } });
    this.about = h("p", { class: "muted kernel-about" });
    this.root.replaceChildren(
      h(
        "header",
        { class: "section-head" },
        h("h2", {}, "Try a kernel yourself"),
        h("p", { class: "muted" }, "A filter is a small window of weights slid over the image (as Jeremy Jordan's introduction shows). Pick one or type your own; the map shows where your drawing matches it."),
      ),
      h(
        "div",
        { class: "card kernel-card" },
        h(
          "div",
          { class: "kernel-controls" },
          this.presetBox,
          h("label", { class: "explain-field" }, h("span", {}, "Size"), this.sizeSelect),
          this.gridBox,
          h("label", { class: "explain-field" }, h("span", {}, "Bias"), this.biasInput),
          this.about,
        ),
        h("figure", { class: "kernel-figure" }, this.inputCanvas, h("figcaption", { class: "muted" }, "network input")),
        h("figure", { class: "kernel-figure" }, this.outputCanvas, this.legend.el, this.formula),
      ),
    );
    this.#renderGrid();
  }

  async #loadPresets() {
    try {
      const { presets } = await api.kernelPresets();
      this.presets = presets;
      this.presetBox.replaceChildren(
        ...presets.map((p) =>
          h(
            "button",
            {
              type: "button",
              class: "button preset",
              dataset: { testid: "kernel-preset", name: p.name },
              "aria-pressed": String(p.name === this.preset),
              title: p.description,
              onclick: () => this.#pick(p),
            },
            p.name,
          ),
        ),
      );
      this.about.textContent = presets.find((p) => p.name === this.preset)?.description ?? "";
    } catch (err) {
      this.on.error(err.message);
    }
  }

  #pick(preset) {
    this.preset = preset.name;
    this.weights = preset.kernel.map((row) => [...row]);
    this.size = this.weights.length;
    this.sizeSelect.value = String(this.size);
    this.about.textContent = preset.description;
    this.#renderGrid();
    this.#changed();
  }

  #resize(n) {
    const old = this.weights;
    const off = (old.length - n) / 2;
    this.weights = Array.from({ length: n }, (_, r) =>
      Array.from({ length: n }, (_, c) => old[r + off]?.[c + off] ?? 0),
    );
    this.size = n;
    this.#custom();
    this.#renderGrid();
    this.#changed();
  }

  #custom() {
    this.preset = null;
    this.about.textContent = "Your own kernel.";
  }

  #renderGrid() {
    for (const b of this.presetBox.children) b.setAttribute("aria-pressed", String(b.dataset.name === this.preset));
    this.gridBox.style.setProperty("--kernel-n", this.size);
    this.gridBox.replaceChildren(
      ...this.weights.flatMap((row, r) =>
        row.map((v, c) => {
          const input = h("input", {
            type: "number",
            step: "0.1",
            value: String(Math.round(v * 1000) / 1000),
            "aria-label": `weight row ${r + 1}, column ${c + 1}`,
            dataset: { testid: "kernel-cell" },
            oninput: () => {
              this.weights[r][c] = Number(input.value) || 0;
              this.#custom();
              for (const b of this.presetBox.children) b.setAttribute("aria-pressed", "false");
              this.#changed();
            },
          });
          return input;
        }),
      ),
    );
  }

  // input: the explorer's network input (H×W) or null when the pad is empty.
  update(input) {
    this.input = input;
    if (!input) {
      this.runner.cancel();
      for (const c of [this.inputCanvas, this.outputCanvas]) c.getContext("2d").clearRect(0, 0, c.width, c.height);
      this.formula.textContent = "Draw a digit to see the feature map.";
      delete this.root.dataset.shown;
      return;
    }
    paintGrid(this.inputCanvas, input, inkScale());
    this.#changed();
  }

  #changed() {
    if (!this.input) return;
    const body = { pixels: this.input, preprocess: false, kernel: this.weights, bias: this.bias };
    this.runner.request(() => body);
  }

  #show(answer) {
    const scale = makeScale("diverging", answer.min, answer.max);
    paintGrid(this.outputCanvas, answer.output, scale);
    this.legend.render(scale, "feature map");
    this.formula.textContent = answer.formula;
    this.root.dataset.shown = String(Number(this.root.dataset.shown || 0) + 1);
  }
}
