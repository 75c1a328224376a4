// The filters of every convolution: filter f is a row of kernels, one per input channel,
// painted with one diverging scale per layer (zero is neutral) and its bias. Choosing a
// filter opens its output map in the inspector.

import { maps } from "../../shared/config.js";
import { makeScale, paintGrid } from "../../shared/colormap.js";
import { h, pixelCanvas } from "../../shared/dom.js";
import { count, num, shape } from "../../shared/format.js";
import { rovingFocus } from "./roving-focus.js";
import { Legend } from "../../shared/legend.js";

// Which layers have filters to show here, and how to draw them.
const FILTER_VIEWS = {
  conv2d: (info, filters, on) => convFilters(info, filters, on),
};

function hasFilters(info) {
  return info.type in FILTER_VIEWS;
}

export class FiltersView {
  // container: the section's body; on: { select(layerIndex, channel) }
  constructor(container, on) {
    this.container = container;
    this.on = on;
  }

  // layers: the model's LayerInfo; load(index): a Promise of that layer's /filters.
  async render(layers, load) {
    const shown = layers.filter(hasFilters);
    this.container.replaceChildren();
    if (!shown.length) {
      this.container.append(h("p", { class: "muted" }, "This model has no convolution layers."));
      return;
    }
    const kernels = shown.reduce((sum, { config: c }) => sum + (c.out_channels * c.in_channels) / (c.groups ?? 1), 0);
    if (kernels > maps.filtersSectionMax) {
      // One canvas per kernel: a MobileNet's 30,000 or a ResNet's million would stop the page.
      const link = h("a", { href: "/filters" }, "the Filters page");
      this.container.append(h("p", { class: "muted" }, `This network's ${shown.length} convolutions hold ${count(kernels)} kernels — too many to draw here at once; `, link, " shows them a page at a time."));
      return;
    }
    const slots = shown.map((info) => {
      const slot = h("article", { class: "card filter-layer", dataset: { testid: `filters-${info.index}` } }, h("h3", {}, info.name));
      this.container.append(slot);
      return slot;
    });
    await Promise.all(
      shown.map(async (info, i) => {
        const filters = await load(info.index);
        if (filters) slots[i].replaceWith(FILTER_VIEWS[info.type](info, filters, this.on));
      }),
    );
  }
}

function convFilters(info, filters, on) {
  const [F, C, kh, kw] = filters.shape;
  const scale = makeScale("diverging", filters.min, filters.max);
  const legend = new Legend();
  legend.render(scale, "weight");
  const cell = C === 1 ? maps.filterCellSize : maps.filterCellSizeTiled;
  const tileCols = Math.ceil(Math.sqrt(C)); // C kernels tiled into a square
  const items = [];
  for (let f = 0; f < F; f++) {
    const kernels = [];
    for (let c = 0; c < C; c++) {
      const canvas = pixelCanvas(kw, kh, cell, { title: `filter ${f}, input channel ${c}` });
      paintGrid(canvas, filters.weights[f][c], scale);
      kernels.push(canvas);
    }
    items.push(
      h(
        "button",
        {
          type: "button",
          class: "filter",
          "aria-label": `${info.name} filter ${f}: show its output map`,
          onclick: () => on.select(info.index, f),
        },
        h("span", { class: "filter-kernels", style: { "--kernel-cols": tileCols } }, kernels),
        h(
          "span",
          { class: "filter-caption" },
          h("strong", {}, `filter ${f}`),
          h("span", { class: "muted" }, `bias ${num(filters.bias[f], 2)}`),
        ),
      ),
    );
  }
  const grid = h(
    "div",
    {
      class: "filters",
      // Equal columns, wide enough for a filter's kernels and its caption.
      style: { "--filter-min": `${Math.max(84, tileCols * (cell + 2) + 12)}px` },
    },
    items,
  );
  rovingFocus(grid, ".filter")();
  return h(
    "article",
    { class: "card filter-layer", dataset: { testid: `filters-${info.index}` } },
    h(
      "header",
      { class: "layer-head" },
      h(
        "div",
        { class: "layer-title" },
        h("h3", {}, h("span", { class: "layer-index" }, info.index), info.name, h("span", { class: "type-badge", dataset: { type: info.type } }, info.type)),
        h("p", { class: "layer-facts" }, h("span", {}, `weights ${shape(filters.shape)}`), h("span", {}, `${F} filters × ${C} input channel${C === 1 ? "" : "s"}`)),
      ),
      legend.el,
    ),
    grid,
  );
}
