// The explorer's overview, wired: the layer columns (OverviewView), their links and the
// pointed unit's connections (EdgesView), its numbers (DetailView) and a conv unit's anatomy
// (UnitAnatomy). Pointing asks the API's `connections` for the unit, on the same input the
// shown activations came from, so every window and sum is the engine's.

import { api } from "../../../shared/api.js";
import { overview as sizes } from "../../../shared/config.js";
import { h } from "../../../shared/dom.js";
import { LatestWins } from "../../../shared/latest-wins.js";
import { DetailView } from "./detail.js";
import { EdgesView } from "./edges.js";
import { OverviewView } from "./overview.js";
import { UnitAnatomy } from "./unit-anatomy.js";

export class OverviewController {
  // root: [data-testid="network-overview"]; on: { error(message), opened?(index|null, unit) }
  constructor(root, on) {
    this.root = root;
    this.on = on;
    this.mount = root.querySelector(".ov-scroll");
    this.detail = new DetailView(root.querySelector(".ov-detail"));
    this.anatomy = new UnitAnatomy(root.querySelector(".unit-anatomy"), { close: () => this.closeAnatomy() });
    this.model = null;
    this.result = null; // the shown activations
    this.input = null; // the ImageInput body they came from
    this.pointed = null; // { index, unit }
    this.conn = null; // the API's connections for `pointed`
    this.runner = new LatestWins({
      minIntervalMs: sizes.pointIntervalMs,
      run: ({ index, unit, input }, signal) => api.connections(this.model.id, index, { ...input, unit }, signal),
      onResult: (conn, payload) => this.#connected(conn, payload),
      onError: (err) => on.error(err.message),
    });
    // Columns past the right edge (a phone shows three of twelve): said under the overview.
    this.more = h("p", { class: "ov-more", dataset: { testid: "overview-more" }, hidden: true });
    this.mount.after(this.more);
    this.mount.addEventListener("scroll", () => this.#hint(), { passive: true });
    new ResizeObserver(() => {
      this.edges?.drawLinks();
      this.#hint();
    }).observe(this.mount);
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.anatomy.isOpen) {
        e.preventDefault();
        this.closeAnatomy();
      }
    });
  }

  setModel(model) {
    this.model = model;
    this.view = new OverviewView(this.mount, model, {
      point: (index, unit) => this.#point(index, unit),
      open: (index, unit) => this.#open(index, unit),
    });
    this.edges = new EdgesView(this.view.track, this.view, model);
    requestAnimationFrame(() => {
      this.edges.drawLinks();
      this.#hint();
    });
    this.reset();
  }

  #hint() {
    const edge = this.mount.getBoundingClientRect().right;
    const hidden = [...this.mount.querySelectorAll("[data-layer]")].filter((c) => c.getBoundingClientRect().left > edge - 8).length;
    this.more.hidden = hidden === 0;
    this.more.textContent = `→ ${hidden} more layer${hidden > 1 ? "s" : ""} to the right: swipe or scroll sideways`;
  }

  // result: the activations answer drawn; input: the ImageInput body it answered.
  render(result, input) {
    this.result = result;
    this.input = input;
    this.view.render(result);
    if (this.pointed) this.#point(this.pointed.index, this.pointed.unit);
    else if (this.detail.root.dataset.state === "idle") this.detail.idle(); // "point at a unit"
  }

  reset() {
    this.result = null;
    this.input = null;
    this.runner.cancel();
    this.view?.reset();
    this.#unpoint();
    this.closeAnatomy();
    this.detail.idle("Draw a digit: every layer appears here at once, from the input at the left to the probabilities at the right.");
  }

  closeAnatomy() {
    if (!this.anatomy.isOpen) return;
    this.anatomy.close();
    this.view?.node(this.opened ?? -1)?.el.focus();
    this.on.opened?.(null);
  }

  // The open conv unit `{ index, unit }` (the link keeps it), or null.
  get openUnit() {
    return this.anatomy.isOpen ? { index: this.opened, unit: this.openedUnit } : null;
  }

  // Open (or, for null, close) a conv unit's anatomy, as a click would: a link's unit.
  openAt(index, unit) {
    if (index === null) this.closeAnatomy();
    else this.#open(index, unit);
  }

  #unpoint() {
    this.pointed = null;
    this.conn = null;
    this.edges?.hide();
    this.view?.mark(null);
  }

  #point(index, unit) {
    if (index === null || !this.result) {
      this.#unpoint();
      if (this.result) this.detail.idle();
      return;
    }
    this.pointed = { index, unit };
    this.view.mark(index, unit);
    if (index < 0) {
      const [, i, j] = unit;
      this.edges.hide();
      this.detail.pixel(i, j, this.result.input[i][j]);
      return;
    }
    const { input } = this;
    this.runner.request(() => ({ index, unit, input, result: this.result }));
  }

  #connected(conn, payload) {
    const p = this.pointed;
    if (!p || payload.result !== this.result || p.index !== conn.index || p.unit.join() !== conn.unit.join()) return;
    this.conn = conn;
    this.edges.show(conn);
    const last = this.model.layers.at(-1);
    const labels = conn.unit.length === 1 && last.output_shape[0] === this.model.classes.length && conn.index >= this.model.layers.length - 2 ? this.model.classes : null;
    this.detail.render(conn, this.model.layers.map((l) => l.name), labels);
    if (this.pendingOpen && this.pendingOpen.index === conn.index && this.pendingOpen.unit.join() === conn.unit.join()) {
      this.pendingOpen = null;
      this.#open(conn.index, conn.unit);
    }
  }

  // A conv unit's anatomy, beside the overview (other layers: pointing is all there is).
  #open(index, unit) {
    if (index < 0 || this.model.layers[index].type !== "conv2d" || !this.result) return;
    const conn = this.conn;
    if (!conn || conn.index !== index || conn.unit.join() !== unit.join()) {
      this.pendingOpen = { index, unit }; // once its connections are here
      this.#point(index, unit);
      return;
    }
    const r = this.view.unitRect(index, unit);
    const base = this.view.track.getBoundingClientRect();
    const from = { left: base.left + r.x, top: base.top + r.y, width: r.w, height: r.h };
    this.opened = index;
    this.openedUnit = unit;
    this.anatomy.open({ model: this.model, index, unit, input: this.input, pixels: this.result.input, value: conn.value, from, conn });
    this.on.opened?.(index, unit);
  }
}
