// Under the overview: the unit pointed at, its value and the sum it came from, in the API's
// numbers (`connections`). A conv unit: bias + each input channel's share (its window ⊙ the
// kernel slice used on it, both drawn); pooling: the window and its winner; dense: the
// strongest incoming weights with their signs; ReLU, flatten, softmax: the one input.

import { makeScale, maxAbs, paintGrid } from "../../../shared/colormap.js";
import { h, pixelCanvas } from "../../../shared/dom.js";
import { count, num } from "../../../shared/format.js";

const where = (unit) => (unit.length === 3 ? `channel ${unit[0]} · (${unit[1]}, ${unit[2]})` : `unit ${unit[0]}`);

export class DetailView {
  constructor(root) {
    this.root = root;
    this.idle();
  }

  idle(text = "Point at a unit in any layer — or focus a layer and use the arrow keys — to see what it reads.") {
    this.root.replaceChildren(h("p", { class: "muted ov-hint" }, text));
    this.root.dataset.state = "idle";
  }

  // The network input pixel under the pointer.
  // channel: a photo's channel, in the network's order (null for a drawing).
  pixel(i, j, v, channel = null) {
    const where = channel === null ? `pixel (${i}, ${j})` : `channel ${channel}, pixel (${i}, ${j})`;
    const what = channel === null ? "what the drawing put there" : "the photo's value there";
    this.root.replaceChildren(h("p", { class: "ov-head" }, h("strong", {}, "input"), ` ${where} = ${num(v, 4)}`, h("span", { class: "muted" }, ` — ${what}, after preprocessing.`)));
    this.root.dataset.state = "pixel";
  }

  // conn: the API's Connections; names: every layer's name; labels: class names of a vector.
  render(conn, names, labels) {
    const read = conn.reads[0];
    const from = read.layer < 0 ? "the input" : names[read.layer];
    const head = h(
      "p",
      { class: "ov-head" },
      h("strong", {}, conn.name),
      ` ${where(conn.unit)}${labels && conn.unit.length === 1 ? ` (${labels[conn.unit[0]]})` : ""} = `,
      h("strong", { class: "ov-unit-value", dataset: { testid: "overview-value" } }, num(conn.value, 5)),
    );
    const body = read.kind === "same" ? same(conn, names) : BODY[read.kind](read, conn, from);
    this.root.replaceChildren(head, ...body);
    this.root.dataset.state = read.kind;
  }
}

// A conv unit's sum, and a card per input channel: its window ⊙ the kernel slice, its share.
export function windowCards(read, from) {
  return BODY.window(read, null, from);
}

const BODY = {
  window: (read, conn, from) => {
    const m = Math.max(...read.channels.map((ch) => maxAbs(ch.kernel)));
    const kScale = makeScale("diverging", -m, m);
    const xm = Math.max(...read.channels.map((ch) => maxAbs(ch.x)));
    const xScale = makeScale("diverging", -xm, xm);
    const [kh, kw] = [read.channels[0].kernel.length, read.channels[0].kernel[0].length];
    const cards = read.channels.map((ch) => {
      const win = pixelCanvas(kw, kh, 26, { "aria-hidden": "true" });
      const ker = pixelCanvas(kw, kh, 26, { "aria-hidden": "true" });
      paintGrid(win, ch.x, xScale);
      paintGrid(ker, ch.kernel, kScale);
      return h(
        "li",
        { class: "ov-share", dataset: { channel: ch.channel }, title: `channel ${ch.channel}: Σ window × kernel = ${num(ch.share, 5)}` },
        h("span", { class: "ov-pair" }, win, h("span", { "aria-hidden": "true" }, "⊙"), ker),
        h("span", { class: "ov-share-label" }, `c${ch.channel}`),
        h("span", { class: "ov-share-value" }, num(ch.share, 3)),
      );
    });
    return [
      h("p", { class: "ov-sum" }, `= bias ${num(read.bias, 4)} + Σ over ${read.channels.length} input channel${read.channels.length > 1 ? "s" : ""} of (${kh}×${kw} window of ${from}) ⊙ (kernel slice) = `, h("strong", {}, num(read.sum, 5))),
      h("ol", { class: "ov-shares", "aria-label": "Each input channel's share: its window times the kernel slice used on it" }, cards),
    ];
  },
  pool: (read, conn, from) => {
    const ch = read.channels[0];
    const [top, left, bottom, right] = ch.box;
    const what = `${read.mode} of the ${bottom - top}×${right - left} window at rows ${top}–${bottom - 1}, columns ${left}–${right - 1} of ${from}, channel ${ch.channel}`;
    const grid = ch.x
      ? h("table", { class: "ov-window-values" }, ch.x.map((row, a) => h("tr", {}, row.map((v, b) => h("td", { class: read.winner && read.winner[0] === top + a && read.winner[1] === left + b ? "is-winner" : "" }, num(v, 3))))))
      : null;
    const winner = read.winner ? `; the winner is at (${read.winner[0]}, ${read.winner[1]})` : "";
    return [h("p", { class: "ov-sum" }, `= ${what}${winner}.`), grid];
  },
  dense: (read, conn, from) => [
    h("p", { class: "ov-sum" }, `= bias ${num(read.bias, 4)} + Σ over all ${count(read.inputs)} inputs of ${from} of w·x = `, h("strong", {}, num(read.sum, 5)), h("span", { class: "muted" }, ` · ${count(read.positive)} weights positive, ${count(read.inputs - read.positive)} negative or zero. The ${read.strongest.length} strongest:`)),
    h(
      "ol",
      { class: "ov-weights", "aria-label": "The strongest incoming weights" },
      read.strongest.map((t) =>
        h("li", { class: t.weight >= 0 ? "is-positive" : "is-negative" }, h("span", { class: "ov-w" }, `${t.weight >= 0 ? "+" : "−"}${num(Math.abs(t.weight), 3)}`), ` × x${t.index} (${num(t.x, 3)}) = ${num(t.product, 3)}`),
      ),
    ),
  ],
  relu: (read) => [h("p", { class: "ov-sum" }, `= max(0, x) with x = ${num(read.x, 5)}, the same unit before the ReLU.`)],
  softmax: (read) => [h("p", { class: "ov-sum" }, `= exp(z − log Σ exp z) with this class's logit z = ${num(read.logit, 5)} and log Σ exp z = ${num(read.logsumexp, 5)}.`)],
};

// Layers whose unit is one unit of each input: elementwise, merges (a skip connection's add),
// concatenation, reshapes, padding.
const OP = { add: " + ", sub: " − ", mul: " × ", div: " ÷ " };

function same(conn, names) {
  const terms = conn.reads.map((r) => {
    const name = r.layer < 0 ? "input" : names[r.layer];
    return r.source ? `${name} (${r.source.join(", ")}) = ${num(r.x, 5)}` : `padding = ${num(r.x, 5)}`;
  });
  const how = OP[conn.type] ? `${conn.type} of` : `${conn.type}:`;
  return [h("p", { class: "ov-sum" }, `= ${how} ${terms.join(OP[conn.type] ?? ", ")}`)];
}
