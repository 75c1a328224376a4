// A colour bar with its numbers: the scale's ends, zero for a diverging scale, and the
// layer's actual minimum and maximum as the API reports them.

import { h } from "./dom.js";
import { num } from "./format.js";

export class Legend {
  constructor() {
    this.bar = h("span", { class: "legend-bar", "aria-hidden": "true" });
    this.lo = h("span", { class: "legend-lo" });
    this.mid = h("span", { class: "legend-mid" });
    this.hi = h("span", { class: "legend-hi" });
    this.range = h("span", { class: "legend-range" });
    this.el = h(
      "figure",
      { class: "legend", dataset: { testid: "legend" } },
      h("div", { class: "legend-scale" }, this.bar, h("div", { class: "legend-ticks" }, this.lo, this.mid, this.hi)),
      h("figcaption", {}, this.range),
    );
  }

  // scale: from makeScale(); label: what the numbers are ("activation", "weight").
  render(scale, label = "value") {
    this.bar.style.background = scale.gradient();
    this.lo.textContent = num(scale.lo);
    this.mid.textContent = scale.kind === "diverging" ? "0" : "";
    this.hi.textContent = num(scale.hi);
    this.range.textContent = `${label} min ${num(scale.min)} · max ${num(scale.max)}`;
    this.el.dataset.kind = scale.kind;
  }
}

// A legend drawn once, for a figure that is drawn once: its element.
export function legendFor(scale, label) {
  const legend = new Legend();
  legend.render(scale, label);
  return legend.el;
}
