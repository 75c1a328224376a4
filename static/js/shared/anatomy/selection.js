// What is chosen in one convolution (or pooling), shared by all of its views: the selected
// output, the output the pointer is over, and the kernel weight the pointer is over.
// Choosing an output anywhere selects it everywhere.
//
// Outputs are numbered as the API's matrix rows: row = i * W_out + j.
//
// Events (CustomEvent, no detail needed — read the properties):
//   "select"  — `row` changed (also when the shape changed)
//   "hover"   — `hoverRow` changed (null: nothing)
//   "weight"  — `weight` changed (a kernel index k, or null)

export class Selection extends EventTarget {
  constructor() {
    super();
    this.shape = [0, 0]; // [H_out, W_out]
    this.row = null;
    this.hoverRow = null;
    this.weight = null;
  }

  get count() {
    return this.shape[0] * this.shape[1];
  }

  // The output grid changed size: keep the selection if it still exists.
  setShape(shape) {
    this.shape = [shape[0], shape[1]];
    if (this.row === null || this.row >= this.count) this.row = this.count ? 0 : null;
    this.hoverRow = null;
    this.#emit("select");
  }

  // A new grid with output `row` chosen (e.g. the one the API wrote out).
  reset(shape, row) {
    this.shape = [shape[0], shape[1]];
    this.row = row;
    this.hoverRow = null;
    this.#emit("select");
  }

  select(row) {
    if (row === null || row === this.row || row < 0 || row >= this.count) return;
    this.row = row;
    this.#emit("select");
  }

  selectCell(i, j) {
    const [H, W] = this.shape;
    if (i < 0 || j < 0 || i >= H || j >= W) return;
    this.select(i * W + j);
  }

  // Move by `delta` outputs in row-major order, wrapping around.
  advance(delta) {
    if (!this.count) return;
    this.select((((this.row ?? 0) + delta) % this.count + this.count) % this.count);
  }

  // [i, j] of a row.
  cell(row) {
    const W = this.shape[1];
    return [Math.floor(row / W), row % W];
  }

  hover(row) {
    if (row === this.hoverRow) return;
    this.hoverRow = row;
    this.#emit("hover");
  }

  hoverWeight(k) {
    if (k === this.weight) return;
    this.weight = k;
    this.#emit("weight");
  }

  // Make `el` stand for output `row`: pointing at it hovers that output, a click selects it.
  bindRow(el, row) {
    el.addEventListener("pointerenter", () => this.hover(row));
    el.addEventListener("pointerleave", () => this.hover(null));
    el.addEventListener("click", () => this.select(row));
  }

  // Call `fn` on each of `events` (e.g. ["select", "hover"]: a view that marks both outputs).
  on(events, fn) {
    for (const type of events) this.addEventListener(type, fn);
  }

  #emit(type) {
    this.dispatchEvent(new CustomEvent(type));
  }
}
