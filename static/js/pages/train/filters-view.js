// The first conv layer's kernels as they learn: one small heat map per filter, all on one
// symmetric scale (blue negative, red positive), from the job's `filters` events.

import { makeScale, paintGrid } from "../../shared/colormap.js";
import { training } from "../../shared/config.js";
import { h, pixelCanvas } from "../../shared/dom.js";
import { num } from "../../shared/format.js";

export class FiltersView {
  constructor(grid, caption, legend) {
    this.grid = grid;
    this.caption = caption;
    this.legend = legend;
    this.canvases = [];
  }

  // event: { name, shape: [F, C, kh, kw], weights, min, max }
  render(event) {
    const [F, C, kh, kw] = event.shape;
    const scale = makeScale("diverging", event.min, event.max);
    if (this.canvases.length !== F * C) {
      this.canvases = [];
      const cells = [];
      for (let f = 0; f < F; f++) {
        for (let c = 0; c < C; c++) {
          const canvas = pixelCanvas(kw, kh, training.kernelSize, {
            role: "img",
            "aria-label": `filter ${f}${C > 1 ? ` channel ${c}` : ""}`,
          });
          this.canvases.push(canvas);
          cells.push(h("div", { class: "kernel" }, canvas, h("span", {}, C > 1 ? `${f}.${c}` : f)));
        }
      }
      this.grid.replaceChildren(...cells);
    }
    let i = 0;
    for (let f = 0; f < F; f++) {
      for (let c = 0; c < C; c++) paintGrid(this.canvases[i++], event.weights[f][c], scale);
    }
    this.caption.textContent = `${event.name}: ${F} filters of ${kh}×${kw}, weights from ${num(event.min)} to ${num(event.max)}`;
    this.legend.hidden = false;
    this.legend.style.background = scale.gradient();
    this.legend.dataset.lo = num(scale.lo);
    this.legend.dataset.hi = num(scale.hi);
    this.grid.dataset.updates = String(Number(this.grid.dataset.updates || 0) + 1);
  }

  reset() {
    this.canvases = [];
    this.grid.replaceChildren();
    this.legend.hidden = true;
    this.caption.textContent = "appear when training starts";
  }
}
