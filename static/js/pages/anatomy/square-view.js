// Lines → corners → a square: the hand-built network of GET /api/teach/square on a drawing the
// person picks or paints, every map after every layer, and every weight editable (the maps
// follow: each change is one POST /api/teach/square).

import { api } from "../../shared/api.js";
import { inkScale, paintGrid } from "../../shared/colormap.js";
import { cellAt, h, pixelCanvas } from "../../shared/dom.js";
import { num } from "../../shared/format.js";
import { LatestWins } from "../../shared/latest-wins.js";
import { GridEditor } from "./grid-editor.js";
import { figure, scaleFor } from "../../shared/teach-figures.js";

const CHANNELS = { lines: ["horizontal line", "vertical line"], square: ["square"] };

export class SquareView {
  constructor(root, status) {
    this.root = root;
    this.status = status;
    this.runner = new LatestWins({
      minIntervalMs: 60,
      run: (body) => api.square(body),
      onResult: (r) => {
        status.clear();
        this.render(r);
      },
      onError: (err) => status.error(err.message),
    });
  }

  async start() {
    const setup = await api.squareSetup();
    this.setup = setup;
    CHANNELS.corners = setup.corners.map((c) => `${c} corner`);
    this.image = setup.shapes.square.map((row) => [...row]);
    this.chips = Object.keys(setup.shapes).map((name) =>
      h("button", { type: "button", class: "chip", dataset: { shape: name }, "aria-pressed": String(name === "square"), onclick: () => this.pick(name) }, name),
    );
    const clear = h("button", { type: "button", class: "chip", onclick: () => this.pick(null) }, "clear");
    this.pad = pixelCanvas(setup.grid, setup.grid, 196, { class: "pixelated square-pad", role: "img", "aria-label": "The drawing: click or drag to paint or erase cells", dataset: { testid: "square-pad" } });
    this.#paintable(this.pad);
    this.verdict = h("p", { class: "square-verdict", dataset: { testid: "square-found" }, "aria-live": "polite" });
    this.maps = h("div", { class: "square-maps" });
    this.editors = this.#weightEditors(setup.weights);
    this.root.append(
      h("div", { class: "presets", role: "group", "aria-label": "Shapes" }, this.chips, clear),
      h("div", { class: "square-top" }, h("figure", { class: "t-figure" }, h("span", { class: "square-pad-frame", style: { "--grid": setup.grid } }, this.pad), h("figcaption", {}, `your drawing, ${setup.grid} × ${setup.grid}: click or drag to paint`)), this.verdict),
      this.maps,
      h("details", { class: "square-weights" }, h("summary", {}, "Every weight (edit any: the maps follow)"), this.editors.el),
    );
    this.paintPad();
    this.run();
  }

  pick(name) {
    const G = this.setup.grid;
    this.image = name ? this.setup.shapes[name].map((row) => [...row]) : Array.from({ length: G }, () => Array(G).fill(0));
    for (const chip of this.chips) chip.setAttribute("aria-pressed", String(chip.dataset.shape === name));
    this.paintPad();
    this.run();
  }

  paintPad() {
    paintGrid(this.pad, this.image, inkScale());
  }

  run() {
    this.runner.request(() => ({ image: this.image, weights: this.editors.read() }), { urgent: true });
  }

  render(r) {
    const side = this.setup.side;
    const block = (title, key, maps) => {
      const scale = scaleFor(maps);
      return h("div", { class: "square-layer", dataset: { layer: key } }, h("h3", {}, title), h("div", { class: "square-row" }, maps.map((m, c) => figure(m, CHANNELS[key][c], { scale, maxSide: 0, size: 112 }))));
    };
    this.maps.replaceChildren(
      block("1 · lines (3×3 filters, ReLU)", "lines", r.lines),
      block("2 · corners: where a horizontal and a vertical line meet", "corners", r.corners),
      block(`3 · the square unit: all four corners, ${side} pixels apart`, "square", r.square),
    );
    const yes = r.found > 0;
    this.verdict.className = `square-verdict ${yes ? "yes" : "no"}`;
    this.verdict.textContent = yes
      ? `Square found: the square unit's strongest output is ${num(r.found)}.`
      : `No square: the square unit's strongest output is ${num(r.found)} (it needs four corners ${side} pixels apart).`;
  }

  #paintable(canvas) {
    let value = null;
    const cell = (e) => {
      const G = this.setup.grid;
      const { row: r, col: c } = cellAt(e, canvas, G, G);
      return r >= 0 && r < G && c >= 0 && c < G ? [r, c] : null;
    };
    const paint = (e) => {
      const rc = cell(e);
      if (!rc || value === null || this.image[rc[0]][rc[1]] === value) return;
      this.image[rc[0]][rc[1]] = value;
      this.paintPad();
      this.run();
    };
    canvas.addEventListener("pointerdown", (e) => {
      const rc = cell(e);
      if (!rc) return;
      canvas.setPointerCapture(e.pointerId);
      value = this.image[rc[0]][rc[1]] > 0.5 ? 0 : 1;
      for (const chip of this.chips) chip.setAttribute("aria-pressed", "false");
      paint(e);
    });
    canvas.addEventListener("pointermove", paint);
    canvas.addEventListener("pointerup", () => (value = null));
  }

  // One GridEditor per kernel plane and a number box per bias; read() gives the weights.
  #weightEditors(weights) {
    const parts = [];
    const layers = Object.entries(weights).map(([name, { weight, bias }]) => {
      const filters = weight.map((filter, f) => {
        const planes = filter.map((plane, c) => {
          const g = new GridEditor(`${name} filter ${f} channel ${c}`);
          g.set(plane);
          g.addEventListener("input", () => this.run());
          return g;
        });
        const b = h("input", { type: "text", inputmode: "decimal", class: "num-input", value: String(bias[f]), "aria-label": `${name} filter ${f} bias`, oninput: () => this.run() });
        parts.push({ name, f, planes, b });
        const inputs = name === "lines" ? ["input"] : name === "corners" ? ["horizontal", "vertical"] : this.setup.corners;
        return h(
          "div",
          { class: "square-filter" },
          h("p", { class: "small" }, CHANNELS[name][f]),
          h("div", { class: "square-planes" }, planes.map((g, c) => h("figure", {}, g.el, h("figcaption", {}, `× ${inputs[c]}`)))),
          h("label", { class: "field" }, h("span", {}, "bias"), b),
        );
      });
      return h("section", { class: "square-layer-weights", dataset: { layer: name } }, h("h4", {}, name), h("div", { class: "square-filters" }, filters));
    });
    const read = () => {
      const out = {};
      for (const { name, f, planes, b } of parts) {
        out[name] ??= { weight: [], bias: [] };
        out[name].weight[f] = planes.map((g) => g.get());
        out[name].bias[f] = Number.isFinite(Number(b.value)) && b.value.trim() !== "" ? Number(b.value) : b.value;
      }
      return out;
    };
    return { el: h("div", { class: "square-weights-body" }, layers), read };
  }
}
