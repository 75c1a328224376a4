// The playground's controls: the source texts' examples, the input and kernel (sizes and numbers),
// bias, stride, padding and dilation. They only describe a request; "change" fires with it
// whenever anything changes. Sizes beyond the API's limits are sent as they are (capped just
// past the limit), so the API explains the limit instead of the page silently refusing.

import { anatomy } from "../../shared/config.js";
import { h } from "../../shared/dom.js";
import { GridEditor } from "./grid-editor.js";
import { describePreset, presetChips } from "./presets.js";

export class ConvControls extends EventTarget {
  // root: the controls card's body; presets: the API's conv presets; limits: GET /api/limits.
  constructor(root, presetBar, description, presets, limits) {
    super();
    this.presets = presets;
    this.limits = limits;
    this.description = description;
    this.presetButtons = presetChips(presets, (p) => this.load(p));
    presetBar.replaceChildren(...this.presetButtons);

    this.sizes = {
      C: number("channels C", 1),
      H: number("height H", 1),
      W: number("width W", 1),
      kh: number("kernel height", 1),
      kw: number("kernel width", 1),
    };
    this.scalars = {
      bias: number("bias b", null, "any"),
      stride: number("stride s", null),
      padding: number("padding p", null),
      dilation: number("dilation d", null),
    };
    this.inputEditors = h("div", { class: "editors" });
    this.kernelEditors = h("div", { class: "editors" });
    this.inputNote = h("p", { class: "muted small", hidden: true });
    root.append(
      h(
        "div",
        { class: "control-block" },
        h("h3", {}, "Input"),
        h("div", { class: "size-row" }, field(this.sizes.C), field(this.sizes.H), field(this.sizes.W)),
        this.inputNote,
        this.inputEditors,
      ),
      h(
        "div",
        { class: "control-block" },
        h("h3", {}, "Kernel"),
        h("div", { class: "size-row" }, field(this.sizes.kh), field(this.sizes.kw)),
        h("p", { class: "muted small" }, "As deep as the input: one kh × kw slice per channel."),
        this.kernelEditors,
      ),
      h(
        "div",
        { class: "control-block" },
        h("h3", {}, "Hyperparameters"),
        h("div", { class: "size-row" }, ...Object.values(this.scalars).map(field)),
      ),
    );
    for (const input of Object.values(this.sizes)) input.addEventListener("change", () => this.#resize());
    for (const input of Object.values(this.scalars)) input.addEventListener("input", () => this.#emit());
  }

  load(preset) {
    for (const b of this.presetButtons) b.setAttribute("aria-pressed", String(b.dataset.preset === preset.name));
    describePreset(this.description, preset);
    this.input = preset.input;
    this.kernel = preset.kernel;
    const [C, H, W] = [this.input.length, this.input[0].length, this.input[0][0].length];
    Object.entries({ C, H, W, kh: this.kernel[0].length, kw: this.kernel[0][0].length }).forEach(([k, v]) => {
      this.sizes[k].value = v;
    });
    this.scalars.bias.value = preset.bias;
    this.scalars.stride.value = preset.stride[0];
    this.scalars.padding.value = preset.padding[0];
    this.scalars.dilation.value = preset.dilation[0];
    this.#editors();
    this.#emit();
  }

  // The /api/conv request the controls describe.
  body() {
    const scalar = (input) => (input.value.trim() === "" ? input.value : Number(input.value));
    return {
      input: this.inputGrids ? this.inputGrids.map((g) => g.get()) : this.input,
      kernel: this.kernelGrids.map((g) => g.get()),
      bias: scalar(this.scalars.bias),
      stride: scalar(this.scalars.stride),
      padding: scalar(this.scalars.padding),
      dilation: scalar(this.scalars.dilation),
    };
  }

  #resize() {
    const cap = (input, limit) => Math.max(1, Math.min(limit + 1, Math.round(Number(input.value)) || 1));
    const C = cap(this.sizes.C, this.limits.max_channels);
    const H = cap(this.sizes.H, this.limits.max_conv_input_side);
    const W = cap(this.sizes.W, this.limits.max_conv_input_side);
    const kh = cap(this.sizes.kh, this.limits.max_kernel_side);
    const kw = cap(this.sizes.kw, this.limits.max_kernel_side);
    Object.entries({ C, H, W, kh, kw }).forEach(([k, v]) => {
      this.sizes[k].value = v;
    });
    const current = this.body();
    this.input = reshape(current.input, C, H, W);
    this.kernel = reshape(current.kernel, C, kh, kw);
    for (const b of this.presetButtons) b.setAttribute("aria-pressed", "false");
    this.description.textContent = "Your own example.";
    this.#editors();
    this.#emit();
  }

  #editors() {
    const [C, H, W] = [this.input.length, this.input[0].length, this.input[0][0].length];
    const editable = C * H * W <= anatomy.gridEditorMaxCells;
    this.inputNote.hidden = editable;
    this.inputNote.textContent = `${C} × ${H} × ${W} = too many numbers to edit one by one here; the views below show them all.`;
    this.inputGrids = editable ? this.input.map((plane, c) => editor(`input channel ${c}`, plane, () => this.#emit())) : null;
    this.inputEditors.replaceChildren(...(this.inputGrids ?? []).map((g, c) => wrap(g, C > 1 ? `channel ${c}` : "")));
    this.kernelGrids = this.kernel.map((plane, c) => editor(`kernel channel ${c}`, plane, () => this.#emit()));
    this.kernelEditors.replaceChildren(...this.kernelGrids.map((g, c) => wrap(g, C > 1 ? `channel ${c}` : "")));
  }

  // What is wrong before asking the API: a cell or field that is not a number at all.
  problem() {
    for (const g of [...(this.inputGrids ?? []), ...this.kernelGrids]) {
      const p = g.problem();
      if (p) return p;
    }
    return wholeNumbers(this.scalars, ["stride", "padding", "dilation"]) ?? (Number.isFinite(Number(this.scalars.bias.value)) && this.scalars.bias.value.trim() !== "" ? null : "bias: type a number");
  }

  #emit() {
    this.dispatchEvent(new CustomEvent("change", { detail: { body: this.body(), problem: this.problem() } }));
  }
}

function number(text, min, step = "1") {
  return h("input", { type: "number", step, min: min ?? undefined, "aria-label": text, dataset: { field: text.split(" ").pop() }, class: "num-input" });
}

function field(input) {
  return h("label", { class: "field" }, h("span", {}, input.getAttribute("aria-label")), input);
}

function editor(name, plane, onInput) {
  const g = new GridEditor(name);
  g.set(plane);
  g.addEventListener("input", onInput);
  return g;
}

function wrap(g, caption) {
  return h("figure", { class: "editor" }, g.el, caption ? h("figcaption", {}, caption) : null);
}

// `grid` (C lists of rows) cut or zero-filled to C × H × W; typed text that is not a number
// is kept where it stays.
function reshape(grid, C, H, W) {
  return Array.from({ length: C }, (_, c) =>
    Array.from({ length: H }, (_, r) => Array.from({ length: W }, (_, s) => grid[c]?.[r]?.[s] ?? 0)),
  );
}

// "<name>: type a whole number" for the first of `names` in `fields` that is not one, or null.
export function wholeNumbers(fields, names) {
  for (const name of names) {
    const text = fields[name].value.trim();
    if (text === "" || !Number.isInteger(Number(text))) return `${name}: type a whole number`;
  }
  return null;
}
