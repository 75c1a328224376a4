// What the overview of a big network shows: which blocks are folded into one column, and which
// page of a wide layer's channels each column draws. The blocks are the API's (`blocks` of the
// model detail: a residual block, an Inception module, a dense block — a stretch of layers that
// reads one layer and is read only through its last); a folded block is drawn as its last
// layer, read from the layer before the block. A small network (the digit models) has no
// blocks and no layer wider than a page: its plan shows everything and asks for everything.

import { overview as sizes } from "../../../shared/config.js";
import { inputsOf } from "./layout.js";

// How many of a (C, H, W) layer's channels one column draws: as many whole maps as
// `sizes.pageValues` numbers hold (a 112×112 layer: 4, 56×56: 16), at most `sizes.pageChannels`.
export function pageSize([C, H, W]) {
  return Math.min(C, sizes.pageChannels, Math.max(1, Math.floor(sizes.pageValues / (H * W))));
}

// "0-3,7,9-12" for sorted layer indices (the `layers` query of the activations).
export function ranges(indices) {
  const parts = [];
  for (let k = 0; k < indices.length; k++) {
    const a = indices[k];
    while (k + 1 < indices.length && indices[k + 1] === indices[k] + 1) k++;
    parts.push(a === indices[k] ? `${a}` : `${a}-${indices[k]}`);
  }
  return parts.join(",");
}

export class Plan {
  // model: ModelDetail (with `blocks`)
  constructor(model) {
    this.model = model;
    this.blocks = model.blocks ?? [];
    this.blockOf = new Map(); // layer index -> block number
    this.blocks.forEach((b, k) => {
      for (let i = b.first; i <= b.last; i++) this.blockOf.set(i, k);
    });
    // a deep network opens with its blocks folded; a small graph open (each block foldable)
    this.folded = new Set(model.layers.length > sizes.foldFrom ? this.blocks.map((_, k) => k) : []);
    this.firsts = new Map(); // layer index -> the first channel its column draws
    this.paged = model.layers.some((l) => l.output_shape.length === 3 && pageSize(l.output_shape) < l.output_shape[0]);
  }

  // Whether this network needs any of it (the digit models do not: their overview is as ever).
  get isBig() {
    return this.blocks.length > 0 || this.paged;
  }

  // The layers drawn, in order: [{ ...LayerInfo, inputs, fold }] where a folded block is its
  // last layer reading the block's input, with `fold` its block number (null: a plain layer).
  visible() {
    const out = [];
    for (const info of this.model.layers) {
      const k = this.blockOf.get(info.index);
      if (k === undefined || !this.folded.has(k)) out.push({ ...info, inputs: inputsOf(info), fold: null, block: k ?? null });
      else if (info.index === this.blocks[k].last) out.push({ ...info, inputs: [this.blocks[k].input], fold: k, block: k });
    }
    return out;
  }

  isVisible(index) {
    const k = this.blockOf.get(index);
    return index < 0 || k === undefined || !this.folded.has(k) || this.blocks[k].last === index;
  }

  // The channels layer `info`'s column draws: { first, count, total }, or null (all of them,
  // or not maps).
  page(info) {
    const shape = info.output_shape;
    if (shape.length !== 3) return null;
    const count = pageSize(shape);
    if (count >= shape[0]) return null;
    return { first: this.firsts.get(info.index) ?? 0, count, total: shape[0] };
  }

  // Move layer `index`'s page to the one holding channel `c`; whether it moved.
  turnTo(index, c) {
    const info = this.model.layers[index];
    const p = this.page(info);
    if (!p) return false;
    const first = Math.max(0, Math.min(p.total - 1, c)) - (Math.max(0, Math.min(p.total - 1, c)) % p.count);
    if (first === p.first) return false;
    this.firsts.set(index, first);
    return true;
  }

  toggle(k) {
    if (this.folded.has(k)) this.folded.delete(k);
    else this.folded.add(k);
  }

  // The activations query for what is drawn (null: everything, as for a small network), and
  // the follow-up queries for columns on a later page of channels, one per first channel.
  queries() {
    if (!this.isBig) return { main: null, pages: [] };
    const limit = { max_channels: sizes.pageChannels, max_layer_values: sizes.pageValues };
    const byFirst = new Map(); // first channel -> the layers drawn from it
    for (const { index } of this.visible()) {
      const first = this.firsts.get(index) ?? 0;
      byFirst.set(first, [...(byFirst.get(first) ?? []), index]);
    }
    const [main, ...pages] = [...byFirst].sort(([a], [b]) => a - b).map(([first, list]) => ({ layers: ranges(list), ...(first ? { first_channel: first } : {}), ...limit }));
    return { main, pages };
  }
}
