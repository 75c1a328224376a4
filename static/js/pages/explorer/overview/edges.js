// The overview's lines: faint links from every layer to the layer(s) it reads (a skip
// connection is one arc over the columns), and, for the unit pointed at, its connections
// (data-testid="overview-edges"): the window in every input channel it read, the pooling
// winner, or a dense unit's strongest weights, each joined to the unit. Every box and weight
// is the API's (`connections`); this module only turns them into SVG. In a big network only
// what is drawn is joined: a layer folded away or a channel on another page has no box (the
// sum under the overview still lists them all).

import { overview as sizes } from "../../../shared/config.js";
import { svg as s } from "../../../shared/dom.js";
import { inputsOf, mapBox } from "./layout.js";

const right = (r) => [r.x + r.w, r.y + r.h / 2];
const left = (r) => [r.x, r.y + r.h / 2];
// The height a skip connection's arc rises to: over both ends, never above the track.
const arc = (a, b) => Math.max(sizes.skipArc, Math.min(a.y, b.y) - sizes.skipRise);

export class EdgesView {
  // track: the overview's positioned track; view: its OverviewView; model: ModelDetail
  constructor(track, view, model) {
    this.view = view;
    this.model = model;
    this.links = s("svg", { class: "ov-links", "aria-hidden": "true" });
    this.edges = s("svg", { class: "ov-edges", "data-testid": "overview-edges", role: "img" });
    this.edges.style.display = "none";
    track.prepend(this.links);
    track.append(this.edges);
    this.track = track;
  }

  #size(svg) {
    const w = this.track.scrollWidth;
    const h = this.track.scrollHeight;
    svg.setAttribute("width", w);
    svg.setAttribute("height", h);
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  }

  // Links between layers; call once the overview is laid out (and on resize).
  drawLinks() {
    this.#size(this.links);
    this.links.replaceChildren();
    for (const info of this.view.layers) {
      const to = this.view.nodeRect(info.index);
      for (const from of inputsOf(info)) {
        const a = this.view.nodeRect(from);
        const skip = to.x - (a.x + a.w) > 2 * sizes.columnGap + 8;
        const [x1, y1] = right(a);
        const [x2, y2] = left(to);
        const d = skip
          ? `M${x1},${a.y + 6} C${x1 + 40},${arc(a, to)} ${x2 - 40},${arc(a, to)} ${x2},${to.y + 6}`
          : `M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}`;
        this.links.append(s("path", { d, class: skip ? "ov-link is-skip" : "ov-link", "data-from": from, "data-to": info.index }));
      }
    }
  }

  hide() {
    this.edges.style.display = "none";
    this.edges.replaceChildren();
  }

  // conn: the API's Connections for the unit pointed at.
  show(conn) {
    this.#size(this.edges);
    const target = this.view.unitRect(conn.index, conn.unit);
    const parts = [];
    const join = (r, cls = "ov-edge", width = 1) => {
      const [x1, y1] = right(r);
      const [x2, y2] = left(target);
      const mx = (x1 + x2) / 2;
      parts.push(s("path", { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, class: cls, "stroke-width": width }));
    };
    const box = (layer, channel, window, attrs) => {
      if (!this.view.shows(layer, [channel])) return null;
      const rect = this.view.rectOf(layer, mapBox(this.view.node(layer).g, channel, window));
      parts.push(s("rect", { x: rect.x, y: rect.y, width: Math.max(2, rect.w), height: Math.max(2, rect.h), ...attrs }));
      return rect;
    };
    for (const read of conn.reads) {
      const from = read.layer;
      if (read.kind === "window" || read.kind === "pool") {
        for (const ch of read.channels) {
          const rect = box(from, ch.channel, ch.box, { class: "ov-window", "data-window": ch.channel });
          if (!rect) continue;
          join(rect);
          if (read.winner) {
            const [r, c] = read.winner;
            box(from, ch.channel, [r, c, r + 1, c + 1], { class: "ov-winner" });
          }
        }
      } else if (read.kind === "dense") {
        const peak = Math.max(...read.strongest.map((t) => Math.abs(t.weight)));
        for (const t of read.strongest) {
          const unit = this.#unitOf(from, t.index);
          if (!this.view.shows(from, unit)) continue;
          const rect = this.view.unitRect(from, unit);
          const cls = t.weight >= 0 ? "ov-edge is-positive" : "ov-edge is-negative";
          join(rect, cls, (0.75 + 2.5 * Math.abs(t.weight) / peak).toFixed(2));
          parts.push(s("rect", { x: rect.x - 1, y: rect.y - 1, width: rect.w + 2, height: rect.h + 2, class: "ov-source" }));
        }
      } else if (!this.view.shows(from, read.source ?? conn.unit)) {
        continue;
      } else if (read.kind === "softmax") {
        join(this.view.unitRect(from, conn.unit));
      } else if (read.source) {
        const rect = this.view.unitRect(from, read.source);
        parts.push(s("rect", { x: rect.x - 1, y: rect.y - 1, width: rect.w + 2, height: rect.h + 2, class: "ov-source" }));
        join(rect);
      }
    }
    parts.push(s("rect", { x: target.x - 1.5, y: target.y - 1.5, width: target.w + 3, height: target.h + 3, class: "ov-target" }));
    this.edges.replaceChildren(...parts);
    this.edges.setAttribute("aria-label", `${conn.name} unit ${conn.unit.join(", ")} and what it reads`);
    this.edges.style.display = "";
  }

  // A dense layer's input index n as a unit of the layer it reads (a flat vector: [n]).
  #unitOf(layer, n) {
    const shape = layer < 0 ? this.model.input_shape : this.model.layers[layer].output_shape;
    if (shape.length === 1) return [n];
    const [, H, W] = shape;
    return [Math.floor(n / (H * W)), Math.floor(n / W) % H, n % W];
  }
}
