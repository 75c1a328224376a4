// Backpropagation on the explorer's drawing: "it is a 3" → POST /api/models/{id}/backprop →
// the loss, every layer's gradient (as maps), each weight block's gradient, which inputs of
// a max pooling received the gradient, and the probabilities before and after one SGD step
// on a copy of the weights.

import { api } from "../../shared/api.js";
import { makeScale, maxAbs, paintGrid } from "../../shared/colormap.js";
import { h, pixelCanvas } from "../../shared/dom.js";
import { num, probability, shape } from "../../shared/format.js";
import { legendFor } from "../../shared/legend.js";
import { head } from "../../shared/teach-figures.js";

const RATES = [0.0001, 0.001, 0.01, 0.1];
const MAX_MAPS = 32;

export class BackpropView {
  constructor(root, status) {
    this.root = root;
    this.status = status;
    this.model = null;
    this.input = null;
    this.target = null;
    this.buttons = h("div", { class: "bp-classes", role: "group", "aria-label": "The true class" });
    this.rate = h("select", { "aria-label": "learning rate", onchange: () => this.run() }, RATES.map((r) => h("option", { value: r, selected: r === 0.001 }, String(r))));
    this.summary = h("div", { class: "bp-summary", "aria-live": "polite" });
    this.layers = h("div", { class: "bp-layers" });
    root.append(
      head("Backpropagation on your drawing", "Tell the network what your digit really is. The engine runs it forward, measures the loss −log p[true class], and sends the gradient back layer by layer: softmax + cross-entropy give p − y, a dense layer passes Wᵀ·dout, ReLU passes it where its input was positive, max pooling only to each window's winner, and a filter's gradient is the correlation of its input with dout. Then one SGD step on a copy of the weights — the stored model never changes."),
      h("div", { class: "t-controls" }, h("span", {}, "It is a"), this.buttons, h("label", {}, "learning rate", this.rate)),
      this.summary,
      this.layers,
    );
  }

  // model: ModelDetail; input: the network input (H×W) or null.
  update(model, input) {
    if (model !== this.model) {
      this.model = model;
      this.target = null;
      this.buttons.replaceChildren(
        ...model.classes.map((c, k) => h("button", { type: "button", class: "chip", dataset: { target: k }, "aria-pressed": "false", onclick: () => this.pick(k) }, c)),
      );
    }
    this.input = input;
    if (!input) {
      this.summary.replaceChildren(h("p", { class: "muted" }, "Draw a digit (or pick one from the gallery), then say what it is."));
      this.layers.replaceChildren();
      return;
    }
    if (this.target !== null) this.run();
  }

  pick(k) {
    this.target = k;
    for (const b of this.buttons.children) b.setAttribute("aria-pressed", String(Number(b.dataset.target) === k));
    this.run();
  }

  async run() {
    if (this.target === null || !this.input) return;
    const body = { pixels: this.input, preprocess: false, target: this.target, learning_rate: Number(this.rate.value) };
    const model = this.model;
    try {
      const r = await api.backprop(model.id, body);
      if (model === this.model) this.render(r);
    } catch (err) {
      this.status.error(err.message);
    }
  }

  render(r) {
    const classes = this.model.classes;
    const rows = classes.flatMap((c, k) => [
      h("span", { class: k === r.target ? "strong" : "" }, c),
      bar(r.probabilities_before[k], ""),
      bar(r.probabilities_after[k], "after"),
    ]);
    this.summary.replaceChildren(
      h(
        "p",
        { class: "t-stats", dataset: { testid: "backprop-loss" } },
        h("span", {}, "loss −log p[", classes[r.target], "] = ", h("strong", {}, num(r.loss, 4))),
        h("span", {}, `after one step (learning rate ${r.learning_rate}): `, h("strong", {}, num(r.loss_after, 4))),
        h("span", {}, "p[", classes[r.target], "]: ", h("strong", {}, num(r.probabilities_before[r.target], 3)), " → ", h("strong", {}, num(r.probabilities_after[r.target], 3))),
      ),
      h("div", { class: "bp-probs", dataset: { testid: "backprop-probabilities" } }, h("span", {}, ""), h("span", { class: "small muted" }, "before"), h("span", { class: "small muted" }, "after one step"), rows),
    );
    const blocks = [...r.layers].reverse().map((e) => this.#layer(e, r));
    blocks.push(h("section", { class: "bp-layer", dataset: { layer: "input" } }, h("h3", {}, "dL/d(input): which pixels would change the loss"), maps([r.grad_input])));
    this.layers.replaceChildren(...blocks);
  }

  #layer(e, r) {
    const parts = [h("h3", {}, `${e.index} · ${e.name} (${e.type}) — dL/d(output), ${shape(e.shape)}`)];
    parts.push(e.shape.length === 3 ? maps(e.grad_output) : strip(e.grad_output));
    if (e.grad_weights) {
      const what = e.weight_shape.length === 4 ? "each filter's gradient (rows: filters, columns: input channels)" : "the weight block's gradient (rows: outputs, columns: inputs) = dout ⊗ input";
      parts.push(h("p", { class: "small muted" }, `dL/dW ${shape(e.weight_shape)}: ${what}; largest |dW| ${num(e.grad_weights_max_abs)}`), weightsCanvas(e.grad_weights));
    }
    if (e.routing) {
      const n = e.routing.flat(2).reduce((a, b) => a + b, 0);
      parts.push(h("p", { class: "small muted" }, `Max-pool routing: the ${n} inputs (of ${e.routing.flat(2).length}) that won their window — the only ones the gradient reaches.`), maps(e.routing, { routing: true }));
    }
    return h("section", { class: "bp-layer", dataset: { layer: e.index, type: e.type } }, parts);
  }
}

function bar(p, kind) {
  return h("span", { class: "bp-bar-wrap" }, h("span", { class: `bp-bar ${kind}`, style: { width: `${Math.max(0.5, p * 100)}%` } }), " ", probability(p));
}

// One small canvas per channel of a (C, H, W) array, on one scale.
function maps(volume, { routing = false } = {}) {
  const m = maxAbs(volume);
  const scale = routing ? makeScale("sequential", 0, 1) : makeScale("diverging", -m, m);
  const shown = volume.slice(0, MAX_MAPS);
  return h(
    "div",
    { class: "bp-maps" },
    shown.map((grid, c) => {
      const canvas = pixelCanvas(grid[0].length, grid.length, 44, { "aria-label": `channel ${c}` });
      paintGrid(canvas, grid, scale);
      return canvas;
    }),
    volume.length > MAX_MAPS ? h("span", { class: "small muted" }, `+ ${volume.length - MAX_MAPS} more`) : null,
    legendFor(scale, routing ? "won its window (1) or not (0)" : "gradient"),
  );
}

function strip(vector) {
  const m = maxAbs(vector);
  const canvas = pixelCanvas(vector.length, 1, Math.min(784, Math.max(160, vector.length * 6)), { class: "pixelated flat-strip", "aria-label": `${vector.length} values` });
  const scale = makeScale("diverging", -m, m);
  paintGrid(canvas, [vector], scale);
  return h("div", { class: "bp-strip" }, canvas, legendFor(scale, "gradient"));
}

// Conv (F, C, kh, kw) tiled into one canvas (a row per filter, a column per input channel; one
// row of filters when there is a single channel); dense (out, in) drawn as it is.
function weightsCanvas(w) {
  let grid = w;
  if (Array.isArray(w[0][0])) {
    const [F, C, kh, kw] = [w.length, w[0].length, w[0][0].length, w[0][0][0].length];
    const cols = C === 1 ? F : C;
    const rows = C === 1 ? 1 : F;
    const kernel = (t) => (C === 1 ? w[t][0] : w[Math.floor(t / C)][t % C]);
    grid = Array.from({ length: rows * (kh + 1) - 1 }, (_, r) =>
      Array.from({ length: cols * (kw + 1) - 1 }, (_, s) => {
        const a = r % (kh + 1);
        const b = s % (kw + 1);
        const t = Math.floor(r / (kh + 1)) * cols + Math.floor(s / (kw + 1));
        return a < kh && b < kw ? kernel(t)[a][b] : 0;
      }),
    );
  }
  const m = maxAbs(grid);
  const W = grid[0].length;
  const cell = W <= 120 ? 5 : W <= 300 ? 3 : 900 / W;
  const canvas = pixelCanvas(W, grid.length, Math.round(W * cell), { class: "pixelated bp-weights" });
  const scale = makeScale("diverging", -m, m);
  paintGrid(canvas, grid, scale);
  return h("div", { class: "bp-weights-wrap" }, canvas, legendFor(scale, "weight gradient"));
}
