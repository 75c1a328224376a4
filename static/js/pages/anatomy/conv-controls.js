// The playground's controls: the source texts' examples, the input and kernel (sizes and numbers),
// bias, stride, padding and dilation. They only describe a request; "change" fires with it
// whenever anything changes. Every field is checked where it is typed, in the person's own
// numbers: a size outside its range is kept as typed, marked, and said ("height H: you typed
// −3; it must be a whole number from 1 to 64") — never silently changed into another number.

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
    this.sizeProblem = h("p", { class: "problem small", role: "alert", dataset: { testid: "field-problem" }, hidden: true });
    this.sizeRanges = {
      C: [1, limits.max_channels],
      H: [1, limits.max_conv_input_side],
      W: [1, limits.max_conv_input_side],
      kh: [1, limits.max_kernel_side],
      kw: [1, limits.max_kernel_side],
    };
    root.append(
      h(
        "div",
        { class: "control-block" },
        h("h3", {}, "Input"),
        h("div", { class: "size-row" }, field(this.sizes.C), field(this.sizes.H), field(this.sizes.W)),
        this.sizeProblem,
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
    for (const input of Object.values(this.sizes)) input.addEventListener("input", () => this.#resize());
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

  // The first size field outside its range, said in the person's own numbers, or null.
  #sizeProblem() {
    for (const [key, input] of Object.entries(this.sizes)) {
      const [lo, hi] = this.sizeRanges[key];
      const text = input.value.trim();
      const v = Number(text);
      const ok = text !== "" && Number.isInteger(v) && v >= lo && v <= hi;
      input.setAttribute("aria-invalid", String(!ok));
      if (!ok) {
        const typed = text === "" ? "nothing" : text.replace("-", "−");
        return `${input.getAttribute("aria-label")}: you typed ${typed}; it must be a whole number from ${lo} to ${hi}.`;
      }
    }
    return null;
  }

  #resize() {
    const problem = this.#sizeProblem();
    this.sizeProblem.textContent = problem ?? "";
    this.sizeProblem.hidden = !problem;
    if (problem) {
      this.dispatchEvent(new CustomEvent("change", { detail: { body: null, problem } }));
      return;
    }
    const [C, H, W, kh, kw] = ["C", "H", "W", "kh", "kw"].map((k) => Number(this.sizes[k].value));
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
    if (!this.sizeProblem.hidden) return; // a size is out of range: said beside it, nothing to send
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

// What is wrong with the first of `names` in `fields` that is not a whole number, said with
// what was typed; or null. (A whole number out of range goes to the API, which says why in
// words: "a stride of 0 would never move the window".)
export function wholeNumbers(fields, names) {
  for (const name of names) {
    const text = fields[name].value.trim();
    const ok = text !== "" && Number.isInteger(Number(text));
    fields[name].setAttribute("aria-invalid", String(!ok));
    if (!ok) return `${name}: you typed ${text === "" ? "nothing" : text}; type a whole number.`;
  }
  return null;
}
