// An editable grid of numbers: one text box per cell (so "-" or "1e" can be typed on the way
// to a number). ↑/↓ and Enter move between rows. What the person typed is passed on as is:
// the API says what is wrong with it.

import { h } from "../../shared/dom.js";

export class GridEditor extends EventTarget {
  // label: accessible name prefix, e.g. "input channel 0".
  constructor(label) {
    super();
    this.label = label;
    this.inputs = [];
    this.el = h("div", { class: "grid-editor", role: "group", "aria-label": label });
    this.el.addEventListener("keydown", (e) => this.#key(e));
    this.el.addEventListener("input", (e) => {
      if (e.target instanceof HTMLInputElement) e.target.setAttribute("aria-invalid", String(!isNumber(e.target.value)));
      this.dispatchEvent(new Event("input"));
    });
  }

  // values: rows of numbers.
  set(values) {
    const W = values[0]?.length ?? 0;
    this.el.style.gridTemplateColumns = `repeat(${W}, var(--edit-cell))`;
    this.inputs = values.map((row, r) =>
      row.map((v, s) =>
        h("input", {
          type: "text",
          inputmode: "decimal",
          autocomplete: "off",
          spellcheck: "false",
          value: String(v),
          "aria-label": `${this.label}, row ${r}, column ${s}`,
          dataset: { r, s },
        }),
      ),
    );
    this.el.replaceChildren(...this.inputs.flat());
  }

  // The grid as typed: numbers where the text is one, the text itself otherwise.
  get() {
    return this.inputs.map((row) => row.map((input) => (isNumber(input.value) ? Number(input.value) : input.value.trim())));
  }

  // "<label>, row r, column s: "x" is not a number" for the first cell that is not, or null.
  problem() {
    for (const input of this.inputs.flat()) {
      if (!isNumber(input.value)) return `${input.getAttribute("aria-label")}: "${input.value.trim()}" is not a number`;
    }
    return null;
  }

  #key(e) {
    const input = e.target;
    if (!(input instanceof HTMLInputElement)) return;
    const delta = { ArrowUp: -1, ArrowDown: 1, Enter: 1 }[e.key];
    if (delta === undefined) return;
    const next = this.inputs[Number(input.dataset.r) + delta]?.[Number(input.dataset.s)];
    if (next) {
      e.preventDefault();
      next.focus();
      next.select();
    }
  }
}

function isNumber(text) {
  return text.trim() !== "" && Number.isFinite(Number(text));
}
