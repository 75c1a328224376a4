// One conv unit taken apart beside the overview, grown out of the unit it opens from: its
// window in every input channel with the kernel slice used on it, then every product x·w, the
// bias and the sum — the anatomy page's own LayerModel and EquationView, on the drawing's
// numbers — and a link to the full anatomy page for the same unit.

import { groupOf } from "../../../shared/anatomy/groups.js";
import { LayerModel } from "../../../shared/anatomy/layer-model.js";
import { Selection } from "../../../shared/anatomy/selection.js";
import { overview as sizes } from "../../../shared/config.js";
import { h } from "../../../shared/dom.js";
import { num } from "../../../shared/format.js";
import { EquationView } from "../../../shared/anatomy/equation-view.js";
import { windowCards } from "./detail.js";

export class UnitAnatomy {
  // root: the panel element (hidden until opened); on: { close() }
  constructor(root, on) {
    this.root = root;
    this.title = h("h3", { class: "ua-title", id: "unit-anatomy-title" });
    this.link = h("a", { class: "ua-link", dataset: { testid: "unit-anatomy-link" } }, "Open the full anatomy of this unit →");
    this.check = h("p", { class: "ua-check", dataset: { testid: "unit-anatomy-check" }, "aria-live": "polite" });
    const close = h("button", { type: "button", class: "button ghost ua-close", "aria-label": "Close the unit's anatomy", onclick: () => on.close() }, "×");
    const equation = h("div", { class: "ua-equation", dataset: { testid: "unit-anatomy-equation" } });
    this.windows = h("div", { class: "ua-windows", dataset: { testid: "unit-anatomy-windows" } });
    this.selection = new Selection();
    this.model = new LayerModel(this.selection);
    new EquationView(equation, this.model, this.selection);
    root.append(h("header", { class: "ua-head" }, this.title, close), this.check, this.link, this.windows, h("h4", {}, "Every product x·w, the bias and the sum"), equation);
    root.setAttribute("aria-labelledby", "unit-anatomy-title");
    this.model.addEventListener("result", () => this.#checked());
    this.model.addEventListener("step", () => this.#checked());
    this.model.addEventListener("error", () => {
      this.check.textContent = this.model.error;
    });
    this.link.addEventListener("click", () => sessionStorage.setItem(sizes.handoffKey, JSON.stringify(this.pixels)));
  }

  get isOpen() {
    return !this.root.hidden;
  }

  // model: ModelDetail; index: the conv layer; unit: [f, i, j]; input: the ImageInput body the
  // shown activations came from; pixels: their network input; value: the unit as drawn;
  // from: the unit's rectangle on screen (the panel grows out of it); conn: the unit's
  // `connections` (its windows and kernel slices).
  open({ model, index, unit, input, pixels, value, from, conn }) {
    const [f, i, j] = unit;
    const info = model.layers[index];
    this.value = value;
    this.pixels = pixels;
    this.title.textContent = `${info.name} · filter ${f} · output (${i}, ${j})`;
    this.check.textContent = "Asking the engine for every product…";
    const q = new URLSearchParams({ model: model.id, layer: index, filter: f, output: `${i},${j}` });
    if ((info.config.groups ?? 1) > 1) q.set("group", groupOf(info.config, f)); // the unit's own group
    this.link.href = `/anatomy?${q}#real-layer`;
    this.model.load(model.id, index, f, input, false, [i, j]);
    const read = conn.reads[0];
    this.windows.replaceChildren(...windowCards(read, read.layer < 0 ? "the input" : model.layers[read.layer].name));
    const wasOpen = this.isOpen;
    this.root.hidden = false;
    if (!wasOpen && from && !matchMedia("(prefers-reduced-motion: reduce)").matches) this.#grow(from);
  }

  close() {
    this.root.hidden = true;
  }

  // The panel grows out of the unit's rectangle (CNN Explainer opens its convolution view
  // in place the same way).
  #grow(from) {
    const to = this.root.getBoundingClientRect();
    const sx = Math.max(0.02, from.width / to.width);
    const sy = Math.max(0.02, from.height / to.height);
    const dx = from.left - to.left;
    const dy = from.top - to.top;
    this.root.animate(
      [
        { transformOrigin: "0 0", transform: `translate(${dx}px, ${dy}px) scale(${sx}, ${sy})`, opacity: 0.2 },
        { transformOrigin: "0 0", transform: "none", opacity: 1 },
      ],
      { duration: sizes.openMs, easing: "cubic-bezier(0.2, 0.8, 0.2, 1)" },
    );
  }

  #checked() {
    const step = this.model.result?.steps[0];
    if (!step) return;
    const same = Math.abs(step.sum - this.value) <= 1e-4 * Math.max(1, Math.abs(this.value));
    this.check.replaceChildren(
      `Σ of ${step.terms.length} products + bias = `,
      h("strong", { dataset: { testid: "unit-anatomy-sum" } }, num(step.sum, 5)),
      same ? " — the value the overview drew " : " — the overview drew ",
      h("strong", {}, num(this.value, 5)),
      same ? " ✓" : "",
    );
  }
}
