// One card per filter of a conv layer: its kernels (one per input channel, tiled, on one
// diverging scale for the layer), the input that maximises it, and its top test digits.

import { inkScale, makeScale, paintGrid } from "../../shared/colormap.js";
import { explain as config } from "../../shared/config.js";
import { h, pixelCanvas } from "../../shared/dom.js";
import { num } from "../../shared/format.js";
import { Legend } from "../../shared/legend.js";

export class FilterCards {
  constructor(container) {
    this.container = container;
    this.cards = [];
    // One colour scale for the layer's weights, one for the pictures of inputs (ink).
    this.weightLegend = new Legend();
    this.inkLegend = new Legend();
    this.inkLegend.render(inkScale(), "input ink (likes most, top digits)");
    container.before(h("div", { class: "filters-legends", dataset: { testid: "filters-legends" } }, this.weightLegend.el, this.inkLegend.el));
  }

  // info: the conv layer's LayerInfo; filters: its /filters answer.
  render(info, filters) {
    const [F, C, kh, kw] = filters.shape;
    const scale = makeScale("diverging", filters.min, filters.max);
    this.weightLegend.render(scale, `${info.name} weights`);
    const cell = C === 1 ? config.filterKernelSize : Math.max(12, Math.floor(config.filterKernelSize / Math.ceil(Math.sqrt(C))));
    this.cards = [];
    for (let f = 0; f < F; f++) {
      const tiles = filters.weights[f].map((kernel, c) => {
        const canvas = pixelCanvas(kw, kh, cell, { title: `input channel ${c}` });
        paintGrid(canvas, kernel, scale);
        return canvas;
      });
      const maxSlot = h("div", { class: "placeholder", style: { width: `${config.filterImageSize}px`, height: `${config.filterImageSize}px` } }, "…");
      const topSlot = h("div", { class: "top-patches" }, h("span", { class: "muted" }, "finding the top digits…"));
      const card = h(
        "article",
        { class: "card filter-card", dataset: { testid: "filter-card", filter: String(f) } },
        h("h3", {}, `${info.name} · filter ${f}`, h("span", { class: "muted" }, `  bias ${num(filters.bias[f])}`)),
        h(
          "div",
          { class: "filter-row" },
          h("figure", { class: "filter-part", dataset: { testid: "filter-weights" } }, h("div", { class: "filter-kernel-tiles", style: { "--tile-cols": Math.ceil(Math.sqrt(C)) } }, tiles), h("figcaption", {}, `weights ${C}×${kh}×${kw}`)),
          h("figure", { class: "filter-part", dataset: { testid: "filter-maximise" } }, maxSlot, h("figcaption", {}, "likes most")),
        ),
        h("figure", { class: "filter-part", dataset: { testid: "filter-top" } }, topSlot, h("figcaption", {}, "top test digits (receptive field)")),
      );
      this.cards.push({ card, maxSlot, topSlot });
    }
    this.container.replaceChildren(...this.cards.map((c) => c.card));
  }

  // answer: /maximise for the whole layer; shown cut to `box`, the input the centre unit sees.
  showMaximised(answer) {
    const [top, left, bottom, right] = answer.box ?? [0, 0, Infinity, Infinity];
    for (const m of answer.filters) {
      const slot = this.cards[m.filter];
      if (!slot) continue;
      const image = m.image.slice(top, bottom).map((row) => row.slice(left, right));
      const canvas = pixelCanvas(image[0].length, image.length, config.filterImageSize, {
        title: `centre unit's activation: ${num(m.initial)} on faint noise → ${num(m.activation)}`,
        dataset: { testid: "filter-maximise-image" },
      });
      paintGrid(canvas, image, inkScale());
      slot.maxSlot.replaceWith(canvas);
      slot.maxSlot = canvas;
    }
  }

  // answer: /top-activations for the layer.
  showTop(answer) {
    for (const entry of answer.filters) {
      const slot = this.cards[entry.filter];
      if (!slot) continue;
      slot.topSlot.replaceChildren(
        ...entry.examples.map((e) => {
          const canvas = pixelCanvas(e.patch[0].length, e.patch.length, config.patchSize, {
            title: `test digit #${e.index} (a ${e.label}); activation ${num(e.value)} at (${e.position.join(", ")})`,
          });
          paintGrid(canvas, e.patch, inkScale());
          return h("span", { class: "top-patch" }, canvas, `${e.label} · ${num(e.value)}`);
        }),
      );
    }
  }

  failed(part, message) {
    for (const slot of this.cards) {
      const target = part === "top" ? slot.topSlot : slot.maxSlot;
      target.textContent = message;
    }
  }
}
