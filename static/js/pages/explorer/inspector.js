// The inspector: one feature map enlarged, beside the filter that produced it — for a
// convolution its own filter, for ReLU and pooling the same channel of the convolution
// before them — with the input channels each kernel was slid over. Arrow keys move a unit
// cursor over the enlarged map (the same as hovering it: receptive fields light up).

import { maps } from "../../shared/config.js";
import { inkScale, makeScale, paintGrid, paintValues } from "../../shared/colormap.js";
import { h, pixelCanvas, unitAt } from "../../shared/dom.js";
import { num } from "../../shared/format.js";
import { placeBox } from "./feature-maps.js";
import { Legend } from "../../shared/legend.js";

// Layers that keep channel c in channel c, so a map still "belongs" to a filter before them.
const CHANNEL_PRESERVING = { relu: true, maxpool2d: true, avgpool2d: true, minpool2d: true };

// The convolution whose filter produced channel maps of layer `index`, or null.
export function sourceConv(layers, index) {
  for (let i = index; i >= 0; i--) {
    if (layers[i].type === "conv2d") return layers[i];
    if (!CHANNEL_PRESERVING[layers[i].type]) return null;
  }
  return null;
}

// One sentence on where the enlarged map comes from, by the layer's type.
const ORIGIN = {
  conv2d: (info, c, from) =>
    info.config.in_channels === 1
      ? `${info.name} channel ${c} = (${from} ⋆ kernel) + bias: filter ${c}, below.`
      : `${info.name} channel ${c} = Σ over the ${info.config.in_channels} channels of ` +
        `${from} of (channel ⋆ kernel) + bias: filter ${c}, below.`,
  relu: (info, c, from) => `${info.name} channel ${c} = max(0, ${from} channel ${c}).`,
  maxpool2d: (info, c, from) => `${info.name} channel ${c}: the maximum of each window of ${from} channel ${c}.`,
  avgpool2d: (info, c, from) => `${info.name} channel ${c}: the average of each window of ${from} channel ${c}.`,
  minpool2d: (info, c, from) => `${info.name} channel ${c}: the minimum of each window of ${from} channel ${c}.`,
};

export class Inspector {
  // on: { hover(index, channel, row, col) | hover(null), close() }
  constructor(on) {
    this.on = on;
    this.target = null; // { block, channel, layers, inputOf, src, fields: ReceptiveFields }
    this.cursor = null; // { row, col } of the keyboard cursor

    this.title = h("h4", { class: "inspector-title" });
    this.origin = h("p", { class: "inspector-origin" });
    this.zoomCanvas = h("canvas", { class: "pixelated" });
    this.zoomBox = h("span", { class: "rf-box unit-box", hidden: true });
    this.zoomReadout = h("p", { class: "readout", "aria-live": "polite" });
    this.zoomFrame = h(
      "div",
      {
        class: "zoom-frame",
        tabindex: "0",
        role: "img",
        onpointermove: (e) => this.#hoverAt(e),
        onpointerleave: () => this.#leave(),
        onkeydown: (e) => this.#key(e),
        onblur: () => this.#leave(),
      },
      this.zoomCanvas,
      this.zoomBox,
    );
    this.filterTitle = h("h5", {});
    this.kernels = h("div", { class: "kernels" });
    this.bias = h("p", { class: "bias" });
    this.filterLegend = new Legend();
    this.filterPanel = h(
      "div",
      { class: "filter-panel" },
      this.filterTitle,
      this.kernels,
      this.bias,
      this.filterLegend.el,
    );
    this.el = h(
      "section",
      { class: "inspector", dataset: { testid: "inspector" }, "aria-label": "Feature map inspector" },
      h(
        "header",
        { class: "inspector-head" },
        this.title,
        h("button", { type: "button", class: "button ghost", onclick: () => on.close() }, "Close", h("kbd", {}, "Esc")),
      ),
      this.origin,
      h(
        "div",
        { class: "inspector-body" },
        h("figure", { class: "zoom" }, this.zoomFrame, this.zoomReadout),
        this.filterPanel,
      ),
    );
  }

  get selection() {
    return this.target ? { index: this.target.block.info.index, channel: this.target.channel } : null;
  }

  // block: a LayersView block; layers: LayerInfo list; inputOf(index): { grid(c), scale, name }
  // for the input of layer `index`; filters: a Promise of the source conv's /filters, or null.
  show({ block, channel, layers, inputOf, filters, fields }) {
    const { info } = block;
    const src = sourceConv(layers, info.index);
    this.target = { block, channel, layers, inputOf, src, fields };
    this.cursor = null;
    block.slot.append(this.el);
    const [, H, W] = info.output_shape;
    const side = maps.zoomSize;
    this.zoomCanvas.style.width = `${Math.round((side * W) / Math.max(H, W))}px`;
    this.zoomCanvas.style.height = `${Math.round((side * H) / Math.max(H, W))}px`;
    this.zoomFrame.setAttribute(
      "aria-label",
      `${info.name} channel ${channel}, enlarged. Arrow keys move a cursor over its units.`,
    );
    this.title.textContent = `${info.name} · channel ${channel}`;
    const from = info.index > 0 ? layers[info.index - 1].name : "the input";
    this.origin.textContent = ORIGIN[info.type](info, channel, from);
    this.update();
    this.#showFilter(filters);
  }

  close() {
    this.target = null;
    this.el.remove();
  }

  // Repaint from the block's latest output (after new activations).
  update() {
    if (!this.target) return;
    const { block, channel } = this.target;
    if (block.output) {
      const [, H, W] = block.info.output_shape;
      paintValues(this.zoomCanvas, block.output.values, channel * H * W, H, W, block.scale);
    }
    if (this.cursor) this.#readout(this.cursor.row, this.cursor.col);
    this.#paintInputs();
  }

  async #showFilter(filtersPromise) {
    const { src, channel } = this.target;
    this.kernels.replaceChildren();
    this.inputs = null;
    this.bias.textContent = "";
    if (!src || !filtersPromise) {
      this.filterPanel.hidden = true;
      return;
    }
    this.filterPanel.hidden = false;
    this.filterTitle.textContent = `Filter ${channel} of ${src.name}: one ${src.config.kernel_size.join("×")} kernel per input channel`;
    const target = this.target;
    const filters = await filtersPromise;
    if (this.target !== target || !filters) return;
    const scale = makeScale("diverging", filters.min, filters.max);
    this.filterLegend.render(scale, `${src.name} weight`);
    const [, C, kh, kw] = filters.shape;
    this.cellSize = C > 4 ? maps.kernelSizeMany : maps.kernelSize;
    this.inputs = [];
    for (let c = 0; c < C; c++) {
      const kernel = pixelCanvas(kw, kh, this.cellSize, {
        role: "img",
        "aria-label": `kernel for input channel ${c}`,
      });
      paintGrid(kernel, filters.weights[channel][c], scale);
      const canvas = h("canvas", { class: "pixelated" });
      const box = h("span", { class: "rf-box", hidden: true });
      this.inputs.push({ canvas, box });
      this.kernels.append(
        h(
          "figure",
          { class: "kernel" },
          h("span", { class: "map-frame" }, canvas, box),
          h("span", { class: "kernel-op", "aria-hidden": "true" }, "⋆"),
          kernel,
          h("figcaption", {}, `input channel ${c}`),
        ),
      );
    }
    this.bias.textContent = `bias ${num(filters.bias[channel], 4)}`;
    this.#paintInputs();
  }

  // The channels the source convolution was applied to, beside their kernels.
  #paintInputs() {
    if (!this.target?.src || !this.inputs) return;
    const input = this.target.inputOf(this.target.src.index);
    if (!input) return;
    this.inputs.forEach(({ canvas }, c) => {
      const grid = input.grid(c);
      canvas.style.width = `${this.cellSize}px`;
      canvas.style.height = `${Math.round((this.cellSize * grid.length) / grid[0].length)}px`;
      canvas.title = `${input.name} channel ${c}`;
      paintGrid(canvas, grid, input.scale ?? inkScale());
    });
  }

  // Outline, on the input channels beside the kernels, what unit (row, col) of the enlarged
  // map depends on (null: nothing).
  async #fieldOnInputs(row, col) {
    if (!this.target?.src || !this.inputs) return;
    const target = this.target;
    const { block, src } = target;
    const token = (this.fieldToken = {});
    const region = row === null ? null : await target.fields.region(block.info.index, row, col, src.index - 1);
    if (this.fieldToken !== token || this.target !== target) return; // the pointer moved on
    const [, H, W] = src.input_shape;
    for (const { box } of this.inputs) placeBox(box, region, H, W);
  }

  #hoverAt(e) {
    if (!this.target) return;
    const [, H, W] = this.target.block.info.output_shape;
    const { row, col } = unitAt(e, this.zoomCanvas, H, W);
    this.#point(row, col);
  }

  #point(row, col) {
    const { block, channel } = this.target;
    const [, H, W] = block.info.output_shape;
    placeBox(this.zoomBox, { rows: [row, row], cols: [col, col] }, H, W);
    this.#fieldOnInputs(row, col);
    this.#readout(row, col);
    this.on.hover(block.info.index, channel, row, col);
  }

  #readout(row, col) {
    const { block, channel } = this.target;
    if (!block.output) return;
    const [, H, W] = block.info.output_shape;
    this.zoomReadout.textContent = `(${row}, ${col}) = ${num(block.output.values[(channel * H + row) * W + col], 4)}`;
  }

  #leave() {
    this.zoomBox.hidden = true;
    this.#fieldOnInputs(null, null);
    this.on.hover(null);
  }

  #key(e) {
    if (!this.target) return;
    const [, H, W] = this.target.block.info.output_shape;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (e.key === "Escape") {
      e.preventDefault();
      this.on.close();
      return;
    }
    if (!moves[e.key]) return;
    e.preventDefault();
    const [dr, dc] = moves[e.key];
    const cur = this.cursor ?? { row: Math.floor(H / 2), col: Math.floor(W / 2) };
    this.cursor = {
      row: Math.min(H - 1, Math.max(0, cur.row + (this.cursor ? dr : 0))),
      col: Math.min(W - 1, Math.max(0, cur.col + (this.cursor ? dc : 0))),
    };
    this.#point(this.cursor.row, this.cursor.col);
  }
}
