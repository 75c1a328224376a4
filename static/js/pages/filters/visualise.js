// A filter card's feature visualisation, asked for on demand: the picture gradient ascent
// finds for the unit (regularised by jitter, L2, total variation and blur — the server's
// /visualise), the activation along the way, and the regularisers used.

import { inkScale, paintGrid } from "../../shared/colormap.js";
import { explain as config } from "../../shared/config.js";
import { h, pixelCanvas, svg } from "../../shared/dom.js";
import { num } from "../../shared/format.js";
import { paintRGB } from "./colour.js";

const CURVE = { width: 120, height: 36 };

// The activation after each step as a small line, lowest to highest.
function curve(history) {
  const lo = Math.min(...history);
  const hi = Math.max(...history);
  const x = (i) => (CURVE.width * i) / Math.max(1, history.length - 1);
  const y = (v) => CURVE.height - 2 - ((CURVE.height - 4) * (v - lo)) / (hi - lo || 1);
  const points = history.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  return svg(
    "svg",
    { class: "visualise-curve", width: CURVE.width, height: CURVE.height, viewBox: `0 0 ${CURVE.width} ${CURVE.height}`, role: "img", "aria-label": `activation from ${num(history[0])} to ${num(history.at(-1))}` },
    svg("polyline", { points, fill: "none", stroke: "currentColor", "stroke-width": 1.5 }),
  );
}

export class VisualiseSlot {
  // unit: the filter; ask(): a promise of its /visualise answer; colour: a colour model.
  constructor(unit, ask, colour) {
    this.ask = ask;
    this.colour = colour;
    this.button = h("button", { type: "button", class: "button ghost small", dataset: { testid: "filter-visualise" }, onclick: () => this.run() }, "Visualise this unit");
    this.out = h("div", { class: "visualise-out", "aria-live": "polite" });
    this.el = h("div", { class: "filter-visualise", dataset: { unit: String(unit) } }, this.button, this.out);
  }

  async run() {
    this.button.disabled = true;
    this.out.replaceChildren(h("span", { class: "muted" }, "gradient ascent on the input…"));
    try {
      this.show(await this.ask());
    } catch (err) {
      this.out.replaceChildren(h("span", { class: "muted" }, err.message));
    } finally {
      this.button.disabled = false;
    }
  }

  show(answer) {
    const image = answer.image;
    const rgb = Array.isArray(image[0][0]);
    const plane = rgb ? image[0] : image;
    const canvas = pixelCanvas(plane[0].length, plane.length, 2 * config.filterImageSize, {
      dataset: { testid: "filter-visualisation-image" },
      title: `unit ${answer.unit}: activation ${num(answer.initial)} → ${num(answer.activation)}`,
    });
    if (rgb) paintRGB(canvas, image);
    else paintGrid(canvas, image, inkScale());
    const r = answer.regularisers;
    this.out.replaceChildren(
      h(
        "figure",
        { class: "filter-part visualisation", dataset: { testid: "filter-visualisation" } },
        canvas,
        h(
          "figcaption",
          {},
          h("span", {}, `activation ${num(answer.initial)} → ${num(answer.activation)} in ${answer.steps} steps`),
          curve(answer.history),
          h("span", { class: "muted" }, `jitter ${r.jitter} px · blur every ${r.blur_every} · L2 ${r.l2} · TV ${r.tv}`),
        ),
      ),
    );
    this.button.textContent = "Visualise again";
    document.body.dataset.visualised = String(answer.unit);
  }
}
