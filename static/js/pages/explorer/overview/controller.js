// The explorer's overview, wired: the layer columns (OverviewView), their links and the
// pointed unit's connections (EdgesView), its numbers (DetailView) and a conv unit's anatomy
// (UnitAnatomy). Pointing asks the API's `connections` for the unit, on the same input the
// shown activations came from, so every window and sum is the engine's.
//
// A big network's overview (folds.js) draws folded blocks and pages of channels: `query()` is
// what the page's one request per input asks for, and what a fold opened or a page turned
// needs besides is asked here, on the same input, and painted when it comes.

import { api } from "../../../shared/api.js";
import { overview as sizes } from "../../../shared/config.js";
import { h } from "../../../shared/dom.js";
import { LatestWins } from "../../../shared/latest-wins.js";
import { DetailView } from "./detail.js";
import { EdgesView } from "./edges.js";
import { Plan, ranges } from "./folds.js";
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
    this.plan = new Plan(model);
    this.initialFolds = new Set(this.plan.folded); // as the model opens: the link omits these
    this.#build();
    this.reset();
  }

  // The activations query for one input: what the overview draws (null: every layer, whole).
  query() {
    return this.plan?.queries().main ?? null;
  }

  #build() {
    this.view = new OverviewView(
      this.mount,
      this.model,
      {
        point: (index, unit) => this.#point(index, unit),
        open: (index, unit) => this.#open(index, unit),
        toggle: (k) => this.#toggle(k),
        page: (index, c, unit) => this.#page(index, c, unit),
      },
      this.plan,
    );
    this.edges = new EdgesView(this.view.track, this.view, this.model);
    requestAnimationFrame(() => {
      this.edges.drawLinks();
      this.#hint();
    });
  }

  // Draw the plan afresh on the shown input, and ask for what it lacks.
  #rebuild(focus) {
    this.#unpoint();
    if (this.result) this.detail.idle(); // what it said was about a unit no longer drawn
    this.#build();
    if (this.result) {
      this.view.render(this.result);
      this.#fill();
    } else this.view.reset();
    focus?.()?.focus();
  }

  #toggle(k) {
    this.plan.toggle(k);
    const block = this.plan.blocks[k];
    const opened = !this.plan.folded.has(k);
    this.#rebuild(() => (opened ? this.view.node(block.first)?.el : this.view.node(block.last)?.el.querySelector(".ov-fold")));
    this.on.folded?.();
  }

  // The open blocks as "0.3" ("" none), or null while they are as the model opens (folds.js).
  get openBlocks() {
    if (!this.plan) return null;
    const { blocks, folded } = this.plan;
    if (blocks.every((_, k) => folded.has(k) === this.initialFolds.has(k))) return null;
    return blocks.map((_, k) => k).filter((k) => !folded.has(k)).join(".");
  }

  // Open exactly the blocks `list` names (null: as the model opens); false if one is not a block.
  setOpenBlocks(list) {
    if (!this.plan || (list && list.some((k) => !(k in this.plan.blocks)))) return false;
    const folded = list ? this.plan.blocks.map((_, k) => k).filter((k) => !list.includes(k)) : [...this.initialFolds];
    if (folded.length === this.plan.folded.size && folded.every((k) => this.plan.folded.has(k))) return true; // as shown
    this.plan.folded = new Set(folded);
    this.#rebuild();
    return true;
  }

  // Turn layer `index`'s channels to the page holding channel `c`; point at `unit` there.
  #page(index, c, unit) {
    if (!this.plan.turnTo(index, c)) return;
    this.#rebuild(() => this.view.node(index)?.el);
    if (!unit || !this.result) return;
    this.view.node(index).unit = unit; // the arrow keys go on from it
    this.#point(index, unit);
  }

  // Ask for the layers drawn that the shown answer lacks (a fold just opened, a later page),
  // one request per first channel; each answer is painted as it comes.
  #fill() {
    const result = this.result;
    const want = new Map(); // first channel -> layer indices
    for (const info of this.view.layers) {
      const output = result.layers[info.index];
      const first = this.view.node(info.index).g.first ?? 0;
      if (output.size > 0 && (output.first_channel ?? 0) === first) continue;
      want.set(first, [...(want.get(first) ?? []), info.index]);
    }
    const limit = this.plan.queries().main;
    for (const [first, list] of want) {
      const query = { ...limit, layers: ranges(list), ...(first ? { first_channel: first } : {}) };
      api
        .activationsPacked(this.model.id, this.input, undefined, "float32", query)
        .then((answer) => {
          if (this.result !== result) return; // a newer input is shown
          for (const index of list) {
            result.layers[index] = answer.layers[index];
            this.view.paintLayer(answer.layers[index]);
          }
        })
        .catch((err) => this.on.error(err.message));
    }
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
    if (this.plan.isBig) this.#fill();
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
    if (index >= 0 && !this.view.shows(index, null)) return this.#unpoint(); // folded away
    this.pointed = { index, unit };
    this.view.mark(index, unit);
    if (index < 0) {
      const [c, i, j] = unit;
      const x = this.result.input; // a drawing's H×W, a photo's C×H×W
      const photo = Array.isArray(x[0][0]);
      this.edges.hide();
      this.detail.pixel(i, j, photo ? x[c][i][j] : x[i][j], photo ? c : null);
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
