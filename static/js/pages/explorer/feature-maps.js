// Small multiples: one canvas per channel of a (C, H, W) layer output, all painted with the
// layer's one shared colour scale. Hovering a unit reports it (for receptive fields);
// clicking a map selects it (for the inspector).

import { maps } from "../../shared/config.js";
import { clearCanvas, paintValues } from "../../shared/colormap.js";
import { h, pixelCanvas, unitAt } from "../../shared/dom.js";
import { rovingFocus } from "./roving-focus.js";

// Place `box` (absolutely positioned in a map's frame) over `region` of an H×W map.
export function placeBox(box, region, H, W) {
  if (!region) {
    box.hidden = true;
    return;
  }
  const [r0, r1] = region.rows;
  const [c0, c1] = region.cols;
  box.hidden = false;
  box.style.top = `${(r0 / H) * 100}%`;
  box.style.left = `${(c0 / W) * 100}%`;
  box.style.height = `${((r1 - r0 + 1) / H) * 100}%`;
  box.style.width = `${((c1 - c0 + 1) / W) * 100}%`;
}

export class FeatureMapsView {
  // info: the layer's LayerInfo; on: { hover(index, channel, row, col) | hover(null), select(index, channel) }
  constructor(info, on) {
    const [total, H, W] = info.output_shape;
    const C = Math.min(total, maps.maxCards); // a big network's first channels (what is shipped)
    this.info = info;
    this.H = H;
    this.W = W;
    this.items = [];
    const cols = Math.ceil(C / Math.ceil(C / maps.perRow)); // balanced rows
    this.el = h("div", {
      class: "maps",
      style: { "--cols": cols, "--map-max": `${maps.thumbMax}px` },
    });
    for (let c = 0; c < C; c++) {
      const canvas = pixelCanvas(W, H, null); // the grid cell sets its width
      const box = h("span", { class: "rf-box", hidden: true });
      const button = h(
        "button",
        {
          type: "button",
          class: "map",
          "aria-pressed": "false",
          "aria-label": `${info.name} channel ${c}: enlarge with its filter`,
          onclick: () => on.select(info.index, c),
          onpointermove: (e) => {
            const { row, col } = unitAt(e, canvas, H, W);
            on.hover(info.index, c, row, col);
          },
          onpointerleave: () => on.hover(null),
        },
        h("span", { class: "map-frame" }, canvas, box),
        h("span", { class: "map-label" }, c),
      );
      this.items.push({ canvas, box, button });
      this.el.append(button);
    }
    if (C < total) this.el.append(h("p", { class: "maps-more muted" }, `The first ${C} of ${total} channels; the overview pages through them all.`));
    rovingFocus(this.el, ".map")();
  }

  // output: a packed layer; a big network's may hold only its first channels (the rest stay blank).
  render(output, scale) {
    const n = this.H * this.W;
    const shipped = output.values.length / n;
    this.items.forEach((item, c) => (c < shipped ? paintValues(item.canvas, output.values, c * n, this.H, this.W, scale) : clearCanvas(item.canvas)));
  }

  // Blank every map (as before the first render).
  reset() {
    for (const item of this.items) clearCanvas(item.canvas);
  }

  // Outline `region` (or nothing, for null) on every channel's map.
  highlight(region) {
    for (const item of this.items) placeBox(item.box, region, this.H, this.W);
  }

  select(channel) {
    this.items.forEach((item, c) => item.button.setAttribute("aria-pressed", String(c === channel)));
  }
}
