// The pooling example's controls: the source texts' examples, the input (size and numbers), mode,
// window size, stride, padding and global pooling. "change" fires with the /api/pool request.

import { h } from "../../shared/dom.js";
import { wholeNumbers } from "./conv-controls.js";
import { GridEditor } from "./grid-editor.js";
import { describePreset, presetChips } from "./presets.js";

export class PoolControls extends EventTarget {
  constructor(root, presetBar, description, presets, limits) {
    super();
    this.limits = limits;
    this.description = description;
    this.presetButtons = presetChips(presets, (p) => this.load(p));
    presetBar.replaceChildren(...this.presetButtons);
    const num = (text, min) => h("input", { type: "number", step: "1", min, "aria-label": text, class: "num-input" });
    this.H = num("height", 1);
    this.W = num("width", 1);
    this.mode = h(
      "select",
      { "aria-label": "mode", dataset: { testid: "pool-mode" } },
      ...["max", "avg", "min"].map((m) => h("option", { value: m }, m)),
    );
    this.kernel = num("window k");
    this.stride = num("stride s");
    this.padding = num("padding p");
    this.global = h("input", { type: "checkbox", dataset: { testid: "pool-global" } });
    this.editor = new GridEditor("pooling input");
    this.editor.addEventListener("input", () => this.#emit());
    root.append(
      h("div", { class: "size-row" }, field(this.H), field(this.W), field(this.mode), field(this.kernel), field(this.stride), field(this.padding)),
      h("label", { class: "toggle" }, this.global, " global pooling (one window over the whole input)"),
      h("figure", { class: "editor" }, this.editor.el),
    );
    for (const input of [this.H, this.W]) input.addEventListener("change", () => this.#resize());
    for (const input of [this.mode, this.kernel, this.stride, this.padding, this.global]) {
      input.addEventListener(input === this.mode || input === this.global ? "change" : "input", () => this.#syncGlobal());
    }
  }

  load(p) {
    for (const b of this.presetButtons) b.setAttribute("aria-pressed", String(b.dataset.preset === p.name));
    describePreset(this.description, p);
    this.H.value = p.input.length;
    this.W.value = p.input[0].length;
    this.mode.value = p.mode;
    this.kernel.value = p.kernel_size[0];
    this.stride.value = p.stride[0];
    this.padding.value = p.padding[0];
    this.global.checked = p.global;
    this.editor.set(p.input);
    this.#syncGlobal();
  }

  body() {
    const value = (input) => (input.value.trim() === "" ? input.value : Number(input.value));
    return {
      input: this.editor.get(),
      mode: this.mode.value,
      kernel_size: value(this.kernel),
      stride: value(this.stride),
      padding: value(this.padding),
      global: this.global.checked,
    };
  }

  #syncGlobal() {
    for (const input of [this.kernel, this.stride, this.padding]) input.disabled = this.global.checked;
    this.#emit();
  }

  #resize() {
    const side = this.limits.max_conv_input_side;
    const cap = (input) => Math.max(1, Math.min(Math.min(side, 16), Math.round(Number(input.value)) || 1));
    this.H.value = cap(this.H);
    this.W.value = cap(this.W);
    const old = this.editor.get();
    this.editor.set(Array.from({ length: Number(this.H.value) }, (_, r) => Array.from({ length: Number(this.W.value) }, (_, s) => old[r]?.[s] ?? 0)));
    for (const b of this.presetButtons) b.setAttribute("aria-pressed", "false");
    this.description.textContent = "Your own example.";
    this.#emit();
  }

  problem() {
    return this.editor.problem() ?? (this.global.checked ? null : wholeNumbers({ "window k": this.kernel, stride: this.stride, padding: this.padding }, ["window k", "stride", "padding"]));
  }

  #emit() {
    this.dispatchEvent(new CustomEvent("change", { detail: { body: this.body(), problem: this.problem() } }));
  }
}

function field(input) {
  return h("label", { class: "field" }, h("span", {}, input.getAttribute("aria-label")), input);
}
