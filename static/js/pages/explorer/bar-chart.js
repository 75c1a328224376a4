// Vectors (dense, softmax, global pooling): labelled bars with their numbers when there are
// few units, a compact column chart when there are many. Bars grow from zero, coloured by
// the layer's shared scale.

import { bars } from "../../shared/config.js";
import { h } from "../../shared/dom.js";
import { num, probability } from "../../shared/format.js";

export class BarsView {
  // info: LayerInfo; labels: a name per unit (e.g. the classes) or null for unit indices;
  // asPercent: show the numbers as percentages (probabilities).
  constructor(info, { labels = null, asPercent = false } = {}) {
    this.n = info.output_shape[0];
    this.asPercent = asPercent;
    this.compact = this.n > bars.maxLabelled;
    if (this.compact) {
      this.barWidth = this.n <= 128 ? 4 : this.n <= 256 ? 2 : 1;
      this.canvas = h("canvas", {
        class: "columns",
        width: this.n * this.barWidth,
        height: bars.compactHeight,
        role: "img",
        "aria-label": `${info.name}: ${this.n} values`,
      });
      this.canvas.style.height = `${bars.compactHeight}px`;
      this.el = h("div", { class: "columns-wrap" }, this.canvas);
      return;
    }
    this.rows = [];
    this.el = h("ol", { class: "bars" });
    for (let i = 0; i < this.n; i++) {
      const fill = h("span", { class: "bar-fill" });
      const value = h("span", { class: "bar-value" });
      const zero = h("span", { class: "bar-zero" });
      const row = h(
        "li",
        { class: "bar-row" },
        h("span", { class: "bar-label" }, labels ? labels[i] : i),
        h("span", { class: "bar-track" }, zero, fill),
        value,
      );
      this.rows.push({ row, fill, value, zero });
      this.el.append(row);
    }
  }

  render(output, scale) {
    const values = output.values;
    const span = scale.hi - scale.lo || 1;
    const zero = (0 - scale.lo) / span; // where zero sits along the bar, 0..1
    if (this.compact) {
      this.#columns(values, scale, zero, span);
      return;
    }
    values.forEach((v, i) => {
      const { row, fill, value, zero: zeroMark } = this.rows[i];
      const t = (v - scale.lo) / span;
      const a = Math.min(t, zero);
      const b = Math.max(t, zero);
      fill.style.left = `${a * 100}%`;
      fill.style.width = `${(b - a) * 100}%`;
      fill.style.background = scale.css(v);
      zeroMark.style.left = `${zero * 100}%`;
      zeroMark.hidden = zero <= 0;
      value.textContent = this.asPercent ? probability(v) : num(v);
      row.title = `${row.firstChild.textContent}: ${num(v, 5)}`;
    });
  }

  #columns(values, scale, zero, span) {
    const ctx = this.canvas.getContext("2d");
    const { width, height } = this.canvas;
    ctx.clearRect(0, 0, width, height);
    const y0 = height * (1 - zero);
    values.forEach((v, i) => {
      const y = height * (1 - (v - scale.lo) / span);
      ctx.fillStyle = scale.css(v);
      ctx.fillRect(i * this.barWidth, Math.min(y, y0), Math.max(1, this.barWidth - (this.barWidth > 2 ? 1 : 0)), Math.max(1, Math.abs(y - y0)));
    });
    ctx.fillStyle = "rgb(0 0 0 / 0.25)";
    ctx.fillRect(0, Math.round(y0) - (zero >= 1 ? 1 : 0), width, 1);
  }
}
