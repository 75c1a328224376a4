// One card per filter of a conv layer: its kernels (one per input channel, tiled, on one
// diverging scale for the layer — and, for a first layer on a colour input, the filter as one
// RGB picture beside its R, G, B slices), the input that maximises it, its top-activating
// images, and a regularised feature visualisation asked for on demand.

import { inkScale, makeScale, paintGrid } from "../../shared/colormap.js";
import { explain as config } from "../../shared/config.js";
import { h, pixelCanvas } from "../../shared/dom.js";
import { num } from "../../shared/format.js";
import { Legend } from "../../shared/legend.js";
import { filterPicture, layerMaxAbs, paintRGB, rgbLegend } from "./colour.js";
import { VisualiseSlot } from "./visualise.js";

const CHANNELS = ["R", "G", "B"];

// A picture of an input: (H, W) ink, or (3, H, W) RGB (a colour model's).
function inputCanvas(image, cssWidth, attrs) {
  const rgb = Array.isArray(image[0][0]);
  const plane = rgb ? image[0] : image;
  const canvas = pixelCanvas(plane[0].length, plane.length, cssWidth, attrs);
  if (rgb) paintRGB(canvas, image);
  else paintGrid(canvas, image, inkScale());
  return canvas;
}

// `image` (H, W) or (C, H, W) cut to rows top..bottom and columns left..right.
function crop(image, [top, left, bottom, right]) {
  const cut = (plane) => plane.slice(top, bottom).map((row) => row.slice(left, right));
  return Array.isArray(image[0][0]) ? image.map(cut) : cut(image);
}

export class FilterCards {
  constructor(container) {
    this.container = container;
    this.cards = [];
    // One colour scale for the layer's weights, one for the pictures of inputs (ink).
    this.weightLegend = new Legend();
    this.inkLegend = new Legend();
    this.inkLegend.render(inkScale(), "input ink (likes most, top digits)");
    this.rgbSlot = h("div", { class: "rgb-legend-slot" });
    container.before(h("div", { class: "filters-legends", dataset: { testid: "filters-legends" } }, this.weightLegend.el, this.inkLegend.el, this.rgbSlot));
  }

  // info: the conv layer's LayerInfo; filters: its /filters answer; colour: the model reads a
  // colour input ({bgr}) or null; visualise(unit): the /visualise answer's promise.
  render(info, filters, colour, visualise) {
    const [F, C, kh, kw] = filters.shape;
    const scale = makeScale("diverging", filters.min, filters.max);
    this.weightLegend.render(scale, `${info.name} weights`);
    const rgb = colour !== null && C === 3; // a first layer's 3-deep filters: in colour
    const m = rgb ? layerMaxAbs(filters.weights) : 0;
    this.rgbSlot.replaceChildren(...(rgb ? [rgbLegend(m, info.name)] : []));
    this.inkLegend.el.style.display = colour === null ? "" : "none"; // colour pictures need none
    const cell = C === 1 || rgb ? config.filterKernelSize : Math.max(12, Math.floor(config.filterKernelSize / Math.ceil(Math.sqrt(C))));
    this.cards = [];
    for (let f = 0; f < F; f++) {
      const tiles = filters.weights[f].map((kernel, c) => {
        const canvas = pixelCanvas(kw, kh, rgb ? Math.round(cell / 2) : cell, { title: rgb ? `${CHANNELS[c]} weights` : `input channel ${c}` });
        paintGrid(canvas, kernel, scale);
        return rgb ? h("figure", { class: "filter-channel", dataset: { testid: "filter-channel" } }, canvas, h("figcaption", {}, CHANNELS[c])) : canvas;
      });
      const parts = [];
      if (rgb) {
        const picture = pixelCanvas(kw, kh, cell, { title: `filter ${f} in colour`, dataset: { testid: "filter-rgb-image" } });
        paintRGB(picture, filterPicture(filters.weights[f], m, colour.bgr));
        parts.push(h("figure", { class: "filter-part", dataset: { testid: "filter-rgb" } }, picture, h("figcaption", {}, "RGB composite")));
      }
      const tileCols = rgb ? 3 : Math.ceil(Math.sqrt(C));
      parts.push(h("figure", { class: "filter-part", dataset: { testid: "filter-weights" } }, h("div", { class: "filter-kernel-tiles", style: { "--tile-cols": tileCols } }, tiles), h("figcaption", {}, rgb ? `R, G, B slices ${kh}×${kw}` : `weights ${C}×${kh}×${kw}`)));
      const maxSlot = h("div", { class: "placeholder", style: { width: `${config.filterImageSize}px`, height: `${config.filterImageSize}px` } }, "…");
      parts.push(h("figure", { class: "filter-part", dataset: { testid: "filter-maximise" } }, maxSlot, h("figcaption", {}, "likes most")));
      const topSlot = h("div", { class: "top-patches" }, h("span", { class: "muted" }, "finding the top images…"));
      const topCaption = h("figcaption", {}, "top images (receptive field)");
      const vis = new VisualiseSlot(f, () => visualise(f), colour !== null);
      const card = h(
        "article",
        { class: "card filter-card", dataset: { testid: "filter-card", filter: String(f) } },
        h("h3", {}, `${info.name} · filter ${f}`, h("span", { class: "muted" }, `  bias ${num(filters.bias[f])}`)),
        h("div", { class: "filter-row" }, parts),
        h("figure", { class: "filter-part", dataset: { testid: "filter-top" } }, topSlot, topCaption),
        vis.el,
      );
      this.cards.push({ card, maxSlot, topSlot, topCaption });
    }
    this.container.replaceChildren(...this.cards.map((c) => c.card));
  }

  // answer: /maximise for the whole layer; shown cut to `box`, the input the centre unit sees.
  showMaximised(answer) {
    for (const m of answer.filters) {
      const slot = this.cards[m.filter];
      if (!slot) continue;
      const image = answer.box ? crop(m.image, answer.box) : m.image;
      const canvas = inputCanvas(image, config.filterImageSize, {
        title: `centre unit's activation: ${num(m.initial)} on faint noise → ${num(m.activation)}`,
        dataset: { testid: "filter-maximise-image" },
      });
      slot.maxSlot.replaceWith(canvas);
      slot.maxSlot = canvas;
    }
  }

  // answer: /top-activations for the layer.
  showTop(answer) {
    for (const entry of answer.filters) {
      const slot = this.cards[entry.filter];
      if (!slot) continue;
      const what = answer.dataset === "your photos" ? "the top of your photos" : `top ${answer.dataset} images`;
      slot.topCaption.textContent = `${what} (receptive field)`;
      slot.topSlot.replaceChildren(
        ...entry.examples.map((e) => {
          const canvas = inputCanvas(e.patch, config.patchSize, {
            title: `${answer.dataset} #${e.index} (${e.label}); activation ${num(e.value)} at (${e.position.join(", ")})`,
            dataset: { testid: "filter-top-image" },
          });
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
