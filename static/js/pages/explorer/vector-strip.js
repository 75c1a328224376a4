// Flatten: the vector drawn as a strip of coloured cells, one row per input channel, so the
// order in which the maps were unrolled is visible (channel 0's values, then channel 1's...).

import { paintValues } from "../../shared/colormap.js";
import { maps } from "../../shared/config.js";
import { h } from "../../shared/dom.js";

const WRAP = 64; // cells per row when the input was not (C, H, W)

export class StripView {
  constructor(info) {
    const n = info.output_shape[0];
    const from = info.input_shape;
    this.cols = from.length === 3 ? from[1] * from[2] : Math.min(n, WRAP);
    this.rows = Math.ceil(n / this.cols);
    this.canvas = h("canvas", {
      class: "pixelated strip",
      width: this.cols,
      height: this.rows,
      role: "img",
      "aria-label": `${info.name}: ${n} values in ${this.rows} rows of ${this.cols}`,
    });
    this.canvas.style.width = `${this.cols * maps.stripCell}px`;
    this.canvas.style.aspectRatio = `${this.cols} / ${this.rows}`;
    this.el = h("div", { class: "strip-wrap" }, this.canvas);
  }

  render(output, scale) {
    const padded = new Float32Array(this.rows * this.cols).fill(scale.lo); // pad the last row
    padded.set(output.values);
    paintValues(this.canvas, padded, 0, this.rows, this.cols, scale);
  }
}
