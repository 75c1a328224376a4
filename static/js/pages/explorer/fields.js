// Receptive fields, from the API (GET .../layers/{index}/receptive-field, the engine's
// geometry): which rows and columns of an earlier layer one unit depends on. Answers are kept
// per unit, so hovering back and forth asks once.
//
// A region is { rows: [r0, r1], cols: [c0, c1] }, inclusive, in the coordinates of layer
// `to`'s output (-1 is the network input); null when the unit sees all of it.

import { api } from "../../shared/api.js";

export class ReceptiveFields {
  constructor(modelId) {
    this.modelId = modelId;
    this.cache = new Map(); // "index:row:col" -> Promise of { layer: box }
  }

  #boxes(index, row, col) {
    const key = `${index}:${row}:${col}`;
    if (!this.cache.has(key)) {
      const answer = api.receptiveField(this.modelId, index, row, col).then(
        (r) => new Map(r.boxes.map((b) => [b.layer, b.box])),
        () => new Map(), // not a spatial chain down to there: no box
      );
      this.cache.set(key, answer);
    }
    return this.cache.get(key);
  }

  async region(index, row, col, to) {
    const box = (await this.#boxes(index, row, col)).get(to);
    if (!box) return null;
    const [top, left, bottom, right] = box;
    return { rows: [top, bottom - 1], cols: [left, right - 1] };
  }
}
