// The network input the server actually used (a digit's 28×28, or a colour model's photo as
// it sees it), pixelated, with an outline for the receptive field of the unit being hovered. It is drawn in several places (beside the
// drawing, and beside the layers so it stays in view while scrolling through them).

import { paintImage } from "../../shared/color-channels.js";
import { inkScale, paintGrid } from "../../shared/colormap.js";
import { placeBox } from "./feature-maps.js";

export class NetworkInputView {
  // figures: <figure>s, each holding a <canvas> and a .rf-box outline; caption: an element
  // that describes the highlighted region in words.
  constructor(figures, caption) {
    this.views = figures.map((figure) => ({
      figure,
      canvas: figure.querySelector("canvas"),
      box: figure.querySelector(".rf-box"),
    }));
    this.caption = caption;
    this.scale = inkScale();
    this.input = null;
  }

  // input: H×W rows (a grey model), or C×H×W (a colour model's R, G, B).
  render(input) {
    this.input = input;
    const colour = Array.isArray(input[0][0]);
    for (const { figure, canvas } of this.views) {
      if (colour) paintImage(canvas, input, null);
      else paintGrid(canvas, input, this.scale);
      figure.classList.remove("is-empty");
    }
  }

  reset() {
    this.input = null;
    for (const { figure, canvas } of this.views) {
      canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
      figure.classList.add("is-empty");
    }
    this.highlight(null);
  }

  // region: { rows: [r0, r1], cols: [c0, c1] } of the input, or null.
  highlight(region) {
    if (!this.input) region = null;
    const grid = this.input && Array.isArray(this.input[0][0]) ? this.input[0] : this.input;
    const H = grid ? grid.length : 1;
    const W = grid ? grid[0].length : 1;
    for (const { box } of this.views) placeBox(box, region, H, W);
    if (!this.caption) return;
    if (!region) {
      this.caption.textContent = "Hover a unit of a map to see which input pixels it sees.";
      return;
    }
    const [r0, r1] = region.rows;
    const [c0, c1] = region.cols;
    this.caption.textContent = `Receptive field: rows ${r0}–${r1}, columns ${c0}–${c1} (${r1 - r0 + 1} × ${c1 - c0 + 1} pixels)`;
  }
}
