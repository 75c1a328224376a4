// "Inside the network": one block per layer (data-testid="layer-<index>") with its summary
// (name, type, output shape, parameters), a legend for its one shared colour scale (the API's,
// as the overview and the PNGs use it), and the view that suits its output — chosen from the
// API's `type` by the lookup tables below. The overview is the other view of the same data.

import { layerScale } from "../../shared/colormap.js";
import { h } from "../../shared/dom.js";
import { count, shape } from "../../shared/format.js";
import { BarsView } from "./bar-chart.js";
import { FeatureMapsView } from "./feature-maps.js";
import { hasNumbers, numbersPanel } from "./layer-numbers.js";
import { WhileOnScreen } from "../../shared/on-screen.js";
import { Legend } from "../../shared/legend.js";
import { StripView } from "./vector-strip.js";

const maps = (info, ctx) => new FeatureMapsView(info, ctx.on);
const vector = (info, ctx) => new BarsView(info, { labels: ctx.labelsFor(info) });

// Which view draws a layer's output.
const VIEW = {
  conv2d: maps,
  maxpool2d: maps,
  avgpool2d: maps,
  minpool2d: maps,
  relu: (info, ctx) => (info.output_shape.length === 3 ? maps : vector)(info, ctx),
  globalavgpool: vector,
  globalmaxpool: vector,
  flatten: (info) => new StripView(info),
  dense: vector,
  softmax: (info, ctx) => new BarsView(info, { labels: ctx.labelsFor(info), asPercent: true }),
};
// A type without its own view: maps for (C, H, W), bars for a vector, else a strip.
const byShape = (info, ctx) =>
  info.output_shape.length === 3 ? maps(info, ctx) : info.output_shape.length === 1 ? vector(info, ctx) : new StripView(info);

const pairText = (p) => (p[0] === p[1] ? `${p[0]}` : `${p[0]}×${p[1]}`);
const windowText = (c) =>
  `${c.kernel_size.join("×")} window · stride ${pairText(c.stride)} · padding ${pairText(c.padding)}`;

// One line on what a layer does, from its config.
const DESCRIBE = {
  conv2d: (c) => {
    const dilation = c.dilation && (c.dilation[0] > 1 || c.dilation[1] > 1);
    return (
      `${c.out_channels} filters of ${c.in_channels}×${c.kernel_size.join("×")} · ` +
      `stride ${pairText(c.stride)} · padding ${pairText(c.padding)}` +
      (dilation ? ` · dilation ${pairText(c.dilation)}` : "")
    );
  },
  maxpool2d: (c) => `max over a ${windowText(c)}`,
  avgpool2d: (c) => `average over a ${windowText(c)}`,
  minpool2d: (c) => `min over a ${windowText(c)}`,
  relu: () => "max(0, x), element by element",
  globalavgpool: () => "average of each channel",
  globalmaxpool: () => "maximum of each channel",
  flatten: () => "maps unrolled into one vector, channel by channel",
  dense: (c) => `${c.in_features} inputs → ${c.out_features} outputs, fully connected`,
  softmax: () => "exponentiate and normalise: probabilities that sum to 1",
  batchnorm2d: () => "each channel normalised by its running mean and variance, then scaled and shifted",
  batchnorm1d: () => "each feature normalised by its running mean and variance, then scaled and shifted",
  dropout: (c) => `drops ${Math.round(c.p * 100)}% of values while training; passes everything through here`,
  leakyrelu: (c) => `x where positive, ${c.negative_slope}·x elsewhere`,
  elu: (c) => `x where positive, ${c.alpha}·(eˣ − 1) elsewhere`,
  sigmoid: () => "1 / (1 + e⁻ˣ), element by element",
  tanh: () => "tanh(x), element by element",
  logsoftmax: () => "log of the softmax probabilities",
  add: (c) => (c.constant_shape ? "plus a constant" : "the sum of its two inputs"),
  sub: (c) => (c.constant_shape ? "minus a constant" : "the difference of its two inputs"),
  mul: (c) => (c.constant_shape ? "times a constant" : "the product of its two inputs"),
  div: (c) => (c.constant_shape ? "divided by a constant" : "the quotient of its two inputs"),
  concat: () => "its inputs' channels side by side",
  identity: () => "its input, unchanged",
  // graph layers an imported ONNX model brings
  transpose: (c) => `axes reordered to (${c.perm.join(", ")}), e.g. Keras's channels-last before its flatten`,
  reshape: (c) => `the same numbers read as ${c.shape.join(" × ")}`,
  squeeze: (c) => `axis ${c.dim} of size 1 removed`,
  unsqueeze: (c) => `an axis of size 1 inserted at ${c.dim}`,
  pad: (c) => `a border of ${c.value === 0 ? "zeros" : c.value} added: ${c.pads[0]} top, ${c.pads[1]} left, ${c.pads[2]} bottom, ${c.pads[3]} right`,
  meanvariancenormalization: (c) => `(x − mean) / std over axes ${c.axes.join(", ")}`,
  narrow: (c) => `entries ${c.start} to ${c.start + c.length - 1} of axis ${c.dim}`,
  matmul: () => "the matrix product of its two inputs: positions weighted by attention",
  sum: (c) => `the sum along axis ${c.dim}${c.keepdim ? ", kept as size 1" : ""}: branches added up`,
  softmaxdim: (c) => `probabilities along axis ${c.dim}: how much each branch counts`,
  resize2d: (c) =>
    `${c.mode === "nearest" ? "nearest-neighbour" : "bilinear"} resize to ${c.size.join(" × ")} (${c.coordinate.replaceAll("_", " ")} coordinates)`,
  groupnorm: (c) => `each of ${c.num_groups} channel groups normalised by its own mean and variance, then scaled and shifted`,
  layernorm2d: () => "each position's channels normalised by their mean and variance, then scaled and shifted",
  localresponsenorm: (c) => `each value divided by the activity of ${c.size} neighbouring channels`,
  hardtanh: (c) => `x clamped to [${c.min_val}, ${c.max_val}]`,
  hardsigmoid: (c) => `max(0, min(1, ${+c.alpha.toFixed(4)}·x + ${c.beta})), element by element`,
  hardswish: () => "x · min(max(x + 3, 0), 6) / 6, element by element",
  silu: () => "x · sigmoid(x), element by element",
  gelu: (c) => `x · Φ(x)${c.approximate === "tanh" ? " (tanh approximation)" : ""}, element by element`,
  erf: () => "the error function, element by element",
  selu: () => "scaled ELU, element by element",
  prelu: (c) => (c.num_parameters > 1 ? "x where positive, a learned slope per channel elsewhere" : "x where positive, a learned slope elsewhere"),
};
const describe = (info) => (DESCRIBE[info.type] ?? (() => ""))(info.config);

// "reads pool1, bn3": what a layer reads when it is not just the layer above.
function readsText(info, layers) {
  const inputs = info.inputs ?? [info.index - 1];
  if (inputs.length === 1 && inputs[0] === info.index - 1) return null;
  return `reads ${inputs.map((j) => (j < 0 ? "the input" : layers[j].name)).join(" + ")}`;
}

export class LayersView {
  // container: element to fill; model: ModelDetail; on: { hover, select } (see FeatureMapsView)
  constructor(container, model, on) {
    this.model = model;
    this.blocks = [];
    const lastDense = model.layers.map((l) => l.type).lastIndexOf("dense");
    const ctx = {
      on,
      // Class names label the output units of the last dense layer and what follows it.
      labelsFor: (info) =>
        info.index >= lastDense && info.output_shape[0] === model.classes.length
          ? model.classes
          : null,
    };
    this.ctx = ctx;
    container.replaceChildren();
    for (const info of model.layers) {
      const view = (VIEW[info.type] ?? byShape)(info, ctx);
      const reads = readsText(info, model.layers);
      const legend = new Legend();
      const readout = h("p", { class: "readout", "aria-live": "off" });
      const slot = h("div", { class: "inspector-slot" });
      const el = h(
        "article",
        {
          class: "layer card",
          id: `layer-${info.index}`,
          dataset: { testid: `layer-${info.index}`, type: info.type },
          "aria-labelledby": `layer-${info.index}-title`,
        },
        h(
          "header",
          { class: "layer-head" },
          h(
            "div",
            { class: "layer-title" },
            h(
              "h3",
              { id: `layer-${info.index}-title` },
              h("span", { class: "layer-index" }, info.index),
              info.name,
              h("span", { class: "type-badge", dataset: { type: info.type } }, info.type),
            ),
            h(
              "p",
              { class: "layer-facts" },
              h("span", { dataset: { testid: "layer-shape" } }, shape(info.output_shape)),
              h("span", { dataset: { testid: "layer-params" } }, `${count(info.num_params)} params`),
              reads ? h("span", { class: "layer-reads", dataset: { testid: "layer-reads" } }, reads) : null,
              h("span", { class: "layer-describe" }, describe(info)),
            ),
          ),
          legend.el,
        ),
        h("div", { class: "layer-body is-empty" }, view.el),
        readout,
        slot,
      );
      if (hasNumbers(info)) el.append(numbersPanel(model.id, info)); // batch norm, constants
      container.append(el);
      this.blocks.push({ info, el, view, legend, readout, slot, scale: null, output: null });
    }
    this.painter = new WhileOnScreen(this.blocks.map((block) => ({ el: block.el, update: () => this.#paint(block) })));
  }

  // outputs: the `layers` of an activations response. Every block gets its output and scale
  // (what hovering and the inspector read); only blocks on screen (or near it) are painted,
  // and a block scrolled into view paints its latest output then — off screen, the maps of
  // a 64-channel network cost the drawing's own round trip most of its time.
  render(outputs) {
    outputs.forEach((output, i) => {
      const block = this.blocks[i];
      block.scale = layerScale(output); // the API's scale: the same as the PNGs'
      block.output = output;
    });
    this.painter.set(outputs);
  }

  #paint(block) {
    if (block.output?.size === 0) return; // a big network's layer the overview did not ask for
    block.legend.render(block.scale, "output");
    block.view.render(block.output, block.scale);
    block.el.querySelector(".layer-body").classList.remove("is-empty");
  }

  // Stop watching the blocks (the view is being replaced).
  disconnect() {
    this.painter.disconnect();
  }

  // Back to the state before any output (the pad was cleared), keeping every block and the
  // maps' canvases (with their drawing contexts): building them again for a 64-channel network
  // took longer than the next render. Views without a reset() are made afresh (they are small).
  reset() {
    this.painter.clear();
    for (const block of this.blocks) {
      block.scale = null;
      block.output = null;
      block.readout.textContent = "";
      block.view.highlight?.(null);
      block.view.select?.(-1);
      if (block.view.reset) {
        block.view.reset();
      } else {
        const view = (VIEW[block.info.type] ?? byShape)(block.info, this.ctx);
        block.view.el.replaceWith(view.el);
        block.view = view;
      }
      const legend = new Legend();
      block.legend.el.replaceWith(legend.el);
      block.legend = legend;
      block.el.querySelector(".layer-body").classList.add("is-empty");
    }
  }

  block(index) {
    return this.blocks[index];
  }

  // Outline `region` on every map of layer `index` (null removes it).
  highlight(index, region) {
    this.blocks[index]?.view.highlight?.(region);
  }

  clearHighlights() {
    for (const block of this.blocks) {
      block.view.highlight?.(null);
      block.readout.textContent = "";
    }
  }

  readout(index, text) {
    this.blocks[index].readout.textContent = text;
  }

  select(index, channel) {
    this.blocks.forEach((b) => b.view.select?.(b.info.index === index ? channel : -1));
  }
}
