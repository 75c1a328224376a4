// The whole network at once (data-testid="network-overview"): the input at the left, every
// layer in a column (data-layer="<index>"), the probabilities at the right. Each layer is one
// canvas holding all its channels (painted with one putImageData per stroke, no layout work)
// on the layer's one colour scale, with a legend under it. Pointing at a unit — hover, tap, or
// focus a layer and use the arrow keys — reports it through `on.point`; a click or Enter
// through `on.open`. Drawing the connections is edges.js's job.
//
// A big network (folds.js's Plan) draws its blocks folded into one column each, or open in a
// frame, and a page of each wide layer's channels; `on.toggle(block)` and `on.page(index,
// first)` ask the controller to change what is drawn (it builds the view afresh).

import { clearCanvas, inkScale, layerScale, surface, writeWords } from "../../../shared/colormap.js";
import { overview as sizes } from "../../../shared/config.js";
import { cellAt, h } from "../../../shared/dom.js";
import { num, probability, shape as shapeText } from "../../../shared/format.js";
import { stops } from "../../../shared/palette.js";
import { foldedParts, openFrame, pager } from "./fold-parts.js";
import { atlasPoint, blockGeometry, columns, drawn, stepUnit, unitAtAtlas } from "./layout.js";

// Narrower than this (CSS px), a column's legend states a diverging scale as ±hi.
const overviewNarrowLegend = 48;

export class OverviewView {
  // root: the element to fill; model: ModelDetail; on: { point(index, unit|null),
  // open(index, unit), toggle(block), page(index, first) }; plan: folds.js's Plan
  constructor(root, model, on, plan) {
    this.model = model;
    this.on = on;
    this.plan = plan;
    this.layers = plan.visible(); // the layers drawn, a folded block as its last layer
    this.infos = new Map(this.layers.map((info) => [info.index, info]));
    this.nodes = new Map(); // layer index (-1 = input) -> node
    this.track = h("div", { class: "ov-track" });
    let frame = null; // the open block whose columns are being placed
    for (const col of columns(this.layers)) {
      const height = (sizes.columnHeight - (col.nodes.length - 1) * sizes.nodeGap) / col.nodes.length;
      const el = h("div", { class: "ov-col", dataset: { depth: col.depth } });
      for (const index of col.nodes) el.append(this.#node(index, height));
      const k = this.#openBlock(col.nodes);
      if (k === null) {
        frame = null;
        this.track.append(el);
        continue;
      }
      if (frame?.k !== k) {
        frame = openFrame(plan.blocks[k], k, on.toggle);
        this.track.append(frame.el);
      }
      frame.cols.append(el);
    }
    root.replaceChildren(this.track);
  }

  // The open block every layer of a column belongs to, or null.
  #openBlock(indices) {
    const ks = new Set(indices.map((i) => this.infos.get(i)?.block ?? null));
    const [k] = ks;
    return ks.size === 1 && k !== null && this.infos.get(indices[0]).fold === null ? k : null;
  }

  #info(index) {
    if (index >= 0) return this.infos.get(index);
    return { index: -1, name: "input", type: "input", output_shape: this.model.input_shape, fold: null };
  }

  #node(index, height) {
    const info = this.#info(index);
    const shape = info.output_shape;
    const page = index >= 0 ? this.plan.page(info) : null;
    const g = blockGeometry(shape, height, page);
    const node = { index, info, g, unit: null };
    const block = info.fold === null ? null : this.plan.blocks[info.fold];
    const name = block ? block.name : info.name;
    const label = `${name}, ${block ? `a folded block ending in ${info.name}` : info.type}, ${shapeText(shape)}`;
    node.el = h("div", {
      class: `ov-node is-${g.kind}${block ? " is-folded" : ""}`,
      tabindex: "0",
      role: "group",
      dataset: { layer: index, type: info.type, ...(block ? { fold: info.fold } : {}) },
      "aria-label": `${label}. Arrow keys point at a unit${info.type === "conv2d" ? ", Enter opens its anatomy" : ""}.`,
      onkeydown: (e) => this.#key(node, e),
      onfocus: () => node.unit && this.on.point(index, node.unit),
    });
    node.el.append(h("p", { class: "ov-name" }, name));
    if (block) node.el.append(...foldedParts(block, info.fold, this.on.toggle));
    node.el.append(h("p", { class: "ov-shape muted" }, shapeText(shape)));
    if (g.kind === "labelled") this.#labelled(node);
    else this.#atlas(node);
    if (page) node.el.append(pager(page, (first) => this.on.page(index, first)));
    if (index >= 0) this.#legend(node);
    this.nodes.set(index, node);
    return node.el;
  }

  #atlas(node) {
    const { g } = node;
    node.canvas = h("canvas", { class: "pixelated ov-atlas", width: g.width, height: g.height, "aria-hidden": "true" });
    node.canvas.style.width = `${Math.round(g.width * (g.kind === "vector" && g.cols === 1 ? g.cellWidth : g.scale))}px`;
    node.canvas.style.height = `${Math.round(g.height * g.scale)}px`;
    node.cursor = h("span", { class: "ov-cursor", hidden: true });
    const at = (e) => {
      const { row, col } = cellAt(e, node.canvas, g.height, g.width); // an atlas pixel
      return unitAtAtlas(g, col, row);
    };
    node.canvas.addEventListener("pointermove", (e) => this.#pointAt(node, at(e)));
    node.canvas.addEventListener("pointerdown", (e) => {
      const unit = at(e);
      // A tap on a new unit points at it; tapping it again opens it (a mouse click opens).
      this.freshTap = e.pointerType !== "mouse" && String(unit) !== String(node.unit);
      this.#pointAt(node, unit);
    });
    node.canvas.addEventListener("pointerleave", (e) => e.pointerType === "mouse" && this.on.point(null));
    node.canvas.addEventListener("click", (e) => {
      const unit = at(e);
      if (unit && !this.freshTap) this.on.open(node.index, unit);
      this.freshTap = false;
    });
    node.el.append(h("div", { class: "ov-pic" }, node.canvas, node.cursor));
  }

  #labelled(node) {
    const labels = node.info.output_shape[0] === this.model.classes.length ? this.model.classes : null;
    node.cells = [];
    const list = h("ol", { class: "ov-cells" });
    for (let k = 0; k < node.g.n; k++) {
      const swatch = h("span", { class: "ov-swatch" });
      const value = h("span", { class: "ov-value" });
      const li = h(
        "li",
        { class: "ov-cell", onpointermove: () => this.#pointAt(node, [k]), onpointerdown: () => this.#pointAt(node, [k]) },
        h("span", { class: "ov-label" }, labels ? labels[k] : k),
        swatch,
        value,
      );
      li.addEventListener("pointerleave", (e) => e.pointerType === "mouse" && this.on.point(null));
      node.cells.push({ li, swatch, value });
      list.append(li);
    }
    node.el.append(list);
  }

  #legend(node) {
    node.legend = { lo: h("span", {}), hi: h("span", {}), bar: h("span", { class: "ov-bar" }) };
    node.el.append(h("div", { class: "ov-legend", dataset: { testid: "overview-legend" } }, node.legend.bar, h("span", { class: "ov-ticks" }, node.legend.lo, node.legend.hi)));
  }

  #pointAt(node, unit) {
    if (!unit || !this.result) return;
    node.unit = unit;
    this.on.point(node.index, unit);
  }

  #key(node, e) {
    if (!this.result || e.target !== node.el) return; // not the keys of its buttons
    const { g } = node;
    if (e.key === "Enter" && node.unit) {
      e.preventDefault();
      this.on.open(node.index, node.unit);
      return;
    }
    const turn = { PageDown: g.C, PageUp: -g.C }[e.key];
    if (turn && g.kind === "maps" && g.total > g.C) {
      e.preventDefault();
      const next = g.first + turn;
      if (next >= 0 && next < g.total) this.on.page(node.index, next, [next, ...(node.unit ?? [0, g.H >> 1, g.W >> 1]).slice(1)]);
      return;
    }
    if (!e.key.startsWith("Arrow")) return;
    e.preventDefault();
    const start = g.kind === "maps" ? [g.first, g.H >> 1, g.W >> 1] : [0];
    const unit = node.unit ? stepUnit(g, node.unit, e.key, e.shiftKey) : start;
    if (drawn(g, unit)) this.#pointAt(node, unit);
    else this.on.page(node.index, unit[0], unit); // Shift+Down past the page: the next one
  }

  // result: an activations answer (packed: the input and each layer have `values`, a Float32Array).
  render(result) {
    this.result = result;
    this.#paint(this.nodes.get(-1), result.input.values ?? Float32Array.from(result.input.flat()), inkScale());
    for (const output of result.layers) this.paintLayer(output);
    this.track.classList.remove("is-empty");
  }

  // One layer's output (a column not drawn, a block folded away, a page not shipped: nothing).
  paintLayer(output) {
    const node = this.nodes.get(output.index);
    if (!node || (output.values && output.size === 0 && output.shape.length > 0)) return;
    if (node.g.kind === "maps" && (output.first_channel ?? 0) !== node.g.first) return; // another page
    const scale = layerScale(output);
    this.#paint(node, output.values ?? Float32Array.from(output.data.flat(2)), scale);
    // A column too narrow for both ends on one line (fc1's strip) states a diverging scale's
    // ends once, as ±hi, centred under the bar: never two numbers stacked out of line.
    const narrow = Boolean(node.canvas) && Number.parseFloat(node.canvas.style.width) < overviewNarrowLegend;
    const once = narrow && scale.kind === "diverging";
    node.legend.lo.textContent = once ? "" : num(scale.lo);
    node.legend.hi.textContent = once ? `±${num(scale.hi)}` : num(scale.hi);
    node.legend.lo.parentElement.classList.toggle("is-once", once);
    if (node.legend.kind !== scale.kind) {
      node.legend.kind = scale.kind;
      node.legend.bar.style.background = `linear-gradient(to right, ${stops[scale.kind].join(", ")})`;
    }
  }

  reset() {
    this.result = null;
    this.track.classList.add("is-empty");
    for (const node of this.nodes.values()) {
      if (node.canvas) clearCanvas(node.canvas);
      node.unit = null;
      for (const cell of node.cells ?? []) {
        cell.value.textContent = "";
        cell.swatch.style.background = "";
      }
    }
  }

  #paint(node, values, scale) {
    const { g } = node;
    if (g.kind === "labelled") {
      const asPercent = node.info.type === "softmax";
      node.cells.forEach((cell, k) => {
        const v = values[k];
        cell.swatch.style.background = scale.css(v);
        cell.value.textContent = asPercent ? probability(v) : num(v);
      });
      return;
    }
    const { ctx, img, px } = surface(node.canvas, g.width, g.height); // reused, no garbage
    if (g.kind === "maps") {
      const shipped = Math.min(g.C, values.length / (g.H * g.W)); // a last page holds fewer
      if (shipped < g.C) px.fill(0);
      for (let c = 0; c < shipped; c++) {
        const { x: x0, y: y0 } = atlasPoint(g, [g.first + c, 0, 0]);
        const p = c * g.H * g.W; // channel c's first value
        for (let i = 0; i < g.h; i++) writeWords(px, (y0 + i) * g.width + x0, values, p + i * g.step * g.W, g.w, scale, g.step);
      }
    } else {
      for (let k = 0; k < g.n; k++) writeWords(px, (k % g.rows) * g.width + Math.floor(k / g.rows), values, k, 1, scale);
    }
    ctx.putImageData(img, 0, 0);
  }

  // -- geometry for the edges (read on pointing only) --------------------------------------

  node(index) {
    return this.nodes.get(index);
  }

  // The rectangle, relative to the track, of atlas rectangle {x, y, w, h} of layer `index`,
  // or of a labelled vector's cell k.
  rectOf(index, atlas) {
    const node = this.nodes.get(index);
    const base = this.track.getBoundingClientRect();
    if (node.g.kind === "labelled") {
      const r = node.cells[atlas.y].swatch.getBoundingClientRect();
      return { x: r.left - base.left, y: r.top - base.top, w: r.width, h: r.height };
    }
    const r = node.canvas.getBoundingClientRect();
    const sx = r.width / node.g.width;
    const sy = r.height / node.g.height;
    return { x: r.left - base.left + atlas.x * sx, y: r.top - base.top + atlas.y * sy, w: atlas.w * sx, h: atlas.h * sy };
  }

  unitRect(index, unit) {
    const { g } = this.nodes.get(index);
    if (g.kind === "labelled") return this.rectOf(index, { x: 0, y: unit[0], w: 1, h: 1 });
    const { x, y } = atlasPoint(g, unit);
    return this.rectOf(index, { x, y, w: 1, h: 1 });
  }

  nodeRect(index) {
    const base = this.track.getBoundingClientRect();
    const r = this.nodes.get(index).el.getBoundingClientRect();
    return { x: r.left - base.left, y: r.top - base.top, w: r.width, h: r.height };
  }

  // Whether unit `unit` of layer `index` is drawn (its layer shown, its channel on the page).
  shows(index, unit) {
    const node = this.nodes.get(index);
    return Boolean(node) && (unit === null || drawn(node.g, unit));
  }

  // Outline unit `unit` of layer `index` (null: none).
  mark(index, unit) {
    for (const node of this.nodes.values()) {
      if (node.cursor) node.cursor.hidden = true;
      for (const cell of node.cells ?? []) cell.li.classList.remove("is-pointed");
    }
    if (index === null || !this.shows(index, unit)) return;
    const node = this.nodes.get(index);
    if (node.g.kind === "labelled") {
      node.cells[unit[0]].li.classList.add("is-pointed");
      return;
    }
    const { x, y } = atlasPoint(node.g, unit);
    const s = node.canvas.getBoundingClientRect().width / node.g.width;
    const sy = node.canvas.getBoundingClientRect().height / node.g.height;
    Object.assign(node.cursor.style, { left: `${x * s}px`, top: `${y * sy}px`, width: `${Math.max(2, s)}px`, height: `${Math.max(2, sy)}px` });
    node.cursor.hidden = false;
  }
}
