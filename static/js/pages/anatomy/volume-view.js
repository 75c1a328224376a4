// The real layer as volumes, the seeds' sentence with the layer's own sizes: "a 32×32×3 image
// convolved with a 5×5×3 filter gives a 28×28 map; six filters give six maps". Under it the
// photo the network sees (a colour model's first layer), with the chosen output's window on it,
// and every filter's feature map, the chosen one marked; clicking a map chooses that filter.

import { makeScale } from "../../shared/colormap.js";
import { h } from "../../shared/dom.js";
import { count, num } from "../../shared/format.js";
import { Legend } from "../../shared/legend.js";
import { isPlanes, paintRgb } from "../../shared/rgb.js";
import { GridView } from "./grid-view.js";

const WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];

export class VolumeView {
  // root: an empty element; model: a LayerModel; selection: its Selection;
  // pick(f): called when a map is clicked (choose filter f).
  constructor(root, model, selection, pick) {
    this.model = model;
    this.selection = selection;
    this.pick = pick;
    this.sentence = h("p", { class: "volumes", dataset: { testid: "real-volumes" } });
    this.photoCanvas = h("canvas", { class: "pixelated", role: "img", "aria-label": "The photo the network sees" });
    this.window = h("span", { class: "grid-mark mark-window is-outline", hidden: true });
    this.photo = h(
      "figure",
      { class: "real-photo", dataset: { testid: "real-photo" }, hidden: true },
      h("div", { class: "heat-frame" }, this.photoCanvas, h("div", { class: "grid-overlay" }, this.window)),
      h("figcaption", { class: "muted small" }, "The photo the network sees"),
    );
    this.maps = h("div", { class: "all-maps", role: "group", "aria-label": "Every filter's feature map", dataset: { testid: "real-maps" } });
    this.legend = new Legend();
    this.mapsPart = h("figure", { class: "real-part maps-part" }, h("h3", { class: "maps-title" }), this.maps, this.legend.el);
    root.append(this.sentence, h("div", { class: "volume-row" }, this.photo, this.mapsPart));
    model.addEventListener("result", () => this.render());
    model.addEventListener("step", () => this.#mark());
    selection.addEventListener("select", () => this.#mark());
  }

  render() {
    const a = this.model.answer;
    const [C, H, W] = a.matrix.shape_in;
    const [, kh, kw] = a.matrix.kernel_shape;
    const [Ho, Wo] = a.matrix.shape_out;
    const F = a.layer.config.out_channels;
    const first = a.layer.index === 0;
    const what = first ? (C === 3 ? "image" : "drawing") : "input volume";
    const n = WORDS[F] ?? count(F);
    this.sentence.replaceChildren(
      `A ${H}×${W}×${C} ${what} convolved with a ${kh}×${kw}×${C} filter gives a ${Ho}×${Wo} map; `,
      h("strong", {}, `${n} filters give ${n} maps`),
      a.groups > 1 ? ` (in ${a.groups} groups: each filter reads ${C} of ${a.layer.config.in_channels} channels)` : ".",
    );
    this.#photo(a, H, W);
    this.#maps(a, F);
    this.#mark();
  }

  // The photo, when this layer reads it: a colour picture the size of the layer's input.
  #photo(a, H, W) {
    const pic = a.network_input;
    const shown = isPlanes(pic) && pic[0].length === H && pic[0][0].length === W && a.layer.index === 0;
    this.photo.hidden = !shown;
    if (shown) paintRgb(this.photoCanvas, pic);
  }

  #maps(a, F) {
    this.mapsPart.hidden = !a.feature_maps;
    if (!a.feature_maps) return;
    let lo = Infinity;
    let hi = -Infinity;
    for (const m of a.feature_maps) for (const row of m) for (const v of row) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const scale = makeScale(lo < 0 ? "diverging" : "sequential", lo, hi);
    this.mapsPart.querySelector(".maps-title").textContent = `All ${F} feature maps (one colour scale)`;
    this.legend.render(scale, "output");
    this.mapViews = a.feature_maps.map((map, f) => {
      const g = new GridView({ caption: `filter ${f}`, label: `feature map of filter ${f}`, on: { click: () => this.pick(f) } });
      g.render(map, { scale, numbers: false });
      g.el.classList.toggle("is-chosen", f === a.filter);
      g.el.setAttribute("aria-current", String(f === a.filter));
      g.el.title = `filter ${f}: min ${num(Math.min(...map.flat()))}, max ${num(Math.max(...map.flat()))}`;
      return g;
    });
    this.maps.replaceChildren(...this.mapViews.map((g) => g.el));
  }

  // The chosen output: its window on the photo, the output on every map.
  #mark() {
    const a = this.model.answer;
    if (!a) return;
    const step = this.model.step(this.selection.row);
    const cell = this.selection.row === null ? null : this.selection.cell(this.selection.row);
    for (const g of this.mapViews ?? []) g.mark("window", cell ? [cell] : []);
    const [, H, W] = a.matrix.shape_in;
    const inside = step ? step.window.filter(([, r, s]) => r >= 0 && r < H && s >= 0 && s < W) : [];
    this.window.hidden = !inside.length;
    if (!inside.length) return;
    const rows = inside.map((p) => p[1]);
    const cols = inside.map((p) => p[2]);
    const [r0, s0] = [Math.min(...rows), Math.min(...cols)];
    Object.assign(this.window.style, {
      left: `${(s0 / W) * 100}%`,
      top: `${(r0 / H) * 100}%`,
      width: `${((Math.max(...cols) - s0 + 1) / W) * 100}%`,
      height: `${((Math.max(...rows) - r0 + 1) / H) * 100}%`,
    });
  }
}
