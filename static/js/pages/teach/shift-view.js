// Translation: move the drawing (sliders, or drag the moved input), scale and rotate it. The
// conv maps move with it (the measured correlation of the moved maps with the moved original
// maps), pooled maps move by fewer of their own pixels and change less, and the confidence
// against a horizontal shift is plotted for the CNN and for the dense net.

import { api } from "../../shared/api.js";
import { inkScale, paintGrid } from "../../shared/colormap.js";
import { h, pixelCanvas } from "../../shared/dom.js";
import { num, percent, probability } from "../../shared/format.js";
import { LatestWins } from "../../shared/latest-wins.js";
import { legendFor } from "../../shared/legend.js";
import { figure, head, lineChart, scaleFor } from "../../shared/teach-figures.js";

const COLOURS = { cnn: "#2563eb", dense: "#f59e0b" };
const SPATIAL = ["conv2d", "maxpool2d", "avgpool2d"];

export class ShiftView {
  constructor(root, status) {
    this.status = status;
    this.input = null;
    this.pair = null;
    const slider = (name, min, max, step, value) =>
      h("input", { type: "range", min, max, step, value, "aria-label": name, dataset: { control: name }, oninput: () => this.move() });
    this.controls = { dx: slider("dx", -8, 8, 1, 0), dy: slider("dy", -8, 8, 1, 0), scale: slider("scale", 0.6, 1.4, 0.05, 1), angle: slider("angle", -45, 45, 5, 0) };
    this.readout = h("span", { class: "small muted", dataset: { testid: "shift-readout" } });
    this.moved = pixelCanvas(28, 28, 168, { class: "pixelated shift-pad", role: "img", "aria-label": "The moved input: drag it to move it", dataset: { testid: "shift-input" } });
    this.#draggable(this.moved);
    this.prediction = h("p", { class: "t-stats", "aria-live": "polite" });
    this.maps = h("div", { class: "shift-maps" });
    this.chart = h("canvas", { class: "t-chart", role: "img", "aria-label": "Confidence against the horizontal shift", dataset: { testid: "shift-chart" } });
    this.legend = h("div", { class: "t-legend" });
    this.chartTitle = h("p", { class: "small muted" });
    this.runner = new LatestWins({
      minIntervalMs: 60,
      run: (body) => api.shift(this.pair.cnn.id, body),
      onResult: (r) => this.render(r),
      onError: (err) => status.error(err.message),
    });
    root.append(
      head("Move it: translation", "Mukul Rathi's key insight: the position of the object should not matter. Shared weights make the conv maps move with the input (equivariance); pooling makes a moved map move less and the answer change less (a little invariance). A dense net on pixels has neither. Drag the digit or use the sliders."),
      h(
        "div",
        { class: "t-controls" },
        Object.entries({ "shift right": "dx", "shift down": "dy", scale: "scale", "rotate (°)": "angle" }).map(([label, k]) => h("label", {}, label, this.controls[k])),
        h("button", { type: "button", class: "button ghost", onclick: () => this.reset() }, "Reset"),
        this.readout,
      ),
      h("div", { class: "t-row" }, h("figure", { class: "t-figure" }, this.moved, h("figcaption", {}, "the moved input (drag it)")), h("div", { class: "shift-chart" }, this.prediction, this.chartTitle, this.chart, this.legend)),
      this.maps,
    );
  }

  setNetworks(pair) {
    this.pair = pair;
  }

  update(input) {
    this.input = input;
    if (!input || !this.pair) {
      this.runner.cancel();
      this.maps.replaceChildren(h("p", { class: "muted" }, "Draw a digit to move it."));
      return;
    }
    this.move();
    this.curves();
  }

  reset() {
    for (const [k, v] of Object.entries({ dx: 0, dy: 0, scale: 1, angle: 0 })) this.controls[k].value = v;
    this.move();
  }

  values() {
    return Object.fromEntries(Object.entries(this.controls).map(([k, el]) => [k, Number(el.value)]));
  }

  move() {
    if (!this.input || !this.pair) return;
    const v = this.values();
    this.readout.textContent = `dx ${v.dx}, dy ${v.dy}, scale ${v.scale}, ${v.angle}°`;
    const input = this.input; // this drawing, even if the pad changes before the request starts
    this.runner.request(() => ({ pixels: input, preprocess: false, ...v, channel: 0 }));
    if (this.curve) this.drawChart();
  }

  async curves() {
    if (!this.input) return;
    const body = { pixels: this.input, preprocess: false, axis: "x", max_shift: 8 };
    try {
      const cnn = await api.shiftCurve(this.pair.cnn.id, body);
      const dense = this.pair.dense ? await api.shiftCurve(this.pair.dense.id, { ...body, target: cnn.target }) : null;
      this.curve = { cnn, dense };
      this.drawChart();
    } catch (err) {
      this.status.error(err.message);
    }
  }

  drawChart() {
    const { cnn, dense } = this.curve;
    const series = [{ colour: COLOURS.cnn, values: cnn.confidence }];
    if (dense) series.push({ colour: COLOURS.dense, values: dense.confidence });
    lineChart(this.chart, cnn.shifts, series, { marker: this.values().dx });
    this.chartTitle.textContent = `Confidence p(${cnn.label}) against the shift right, in pixels (dashed: now)`;
    this.legend.replaceChildren(
      h("span", { style: { "--swatch": COLOURS.cnn } }, `${this.pair.cnn.name}: ${probability(Math.min(...cnn.confidence))} at worst`),
      dense ? h("span", { style: { "--swatch": COLOURS.dense } }, `${this.pair.dense.name}: ${probability(Math.min(...dense.confidence))} at worst`) : null,
    );
  }

  render(r) {
    paintGrid(this.moved, r.input, inkScale());
    this.prediction.replaceChildren(h("span", {}, `${this.pair.cnn.name} says `, h("strong", {}, r.label), ` (${probability(r.probabilities[r.prediction])})`));
    const rows = r.layers
      .filter((e) => SPATIAL.includes(e.type))
      .map((e) => {
        const scale = scaleFor([e.map, e.expected]);
        const eq = e.equivariance === null ? "—" : num(e.equivariance, 3);
        return h(
          "div",
          { class: "shift-layer", dataset: { layer: e.index } },
          h("h3", {}, `${e.index} · ${e.name}`),
          h("div", { class: "t-row" }, figure(e.original, "before", { scale, maxSide: 0, size: 96 }), figure(e.map, "moved input", { scale, maxSide: 0, size: 96 }), figure(e.expected, "before, moved", { scale, maxSide: 0, size: 96 })),
          legendFor(scale, "activation"),
          h(
            "p",
            { class: "t-stats" },
            h("span", {}, "moves ", h("strong", {}, `${num(e.shift_in_map[1], 2)} right, ${num(e.shift_in_map[0], 2)} down`), " in its own pixels"),
            h("span", { dataset: { testid: `equivariance-${e.index}` } }, "correlation with the moved original ", h("strong", {}, eq)),
            h("span", {}, "changed by ", h("strong", {}, e.change === null ? "—" : percent(e.change))),
          ),
        );
      });
    this.maps.replaceChildren(h("p", { class: "small muted" }, "Channel 0 of every conv and pooling layer of the CNN."), h("div", { class: "shift-grid" }, rows));
  }

  #draggable(canvas) {
    let start = null;
    canvas.addEventListener("pointerdown", (e) => {
      canvas.setPointerCapture(e.pointerId);
      start = { x: e.clientX, y: e.clientY, dx: Number(this.controls.dx.value), dy: Number(this.controls.dy.value) };
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!start) return;
      const px = canvas.getBoundingClientRect().width / 28;
      const dx = Math.max(-8, Math.min(8, Math.round(start.dx + (e.clientX - start.x) / px)));
      const dy = Math.max(-8, Math.min(8, Math.round(start.dy + (e.clientY - start.y) / px)));
      if (dx !== Number(this.controls.dx.value) || dy !== Number(this.controls.dy.value)) {
        this.controls.dx.value = dx;
        this.controls.dy.value = dy;
        this.move();
      }
    });
    canvas.addEventListener("pointerup", () => (start = null));
  }
}
