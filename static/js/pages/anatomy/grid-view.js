// A 2-D grid of numbers, optionally with a ring of zero padding: small grids as numbered
// cells, large ones as a heat map. Cells can be marked (the window, the winner, the hovered
// output) by name; marks are drawn the same way in both modes. Pure drawing: callers decide
// what to mark and what a click means.
//
// Coordinates are the input's own [r, s]; padding cells have r or s outside [0, H) × [0, W).

import { anatomy } from "../../shared/config.js";
import { h, unitAt } from "../../shared/dom.js";
import { num } from "../../shared/format.js";

export class GridView {
  // caption: text under the grid; on: { hover([r, s] | null), click([r, s]) }, both optional;
  // label: the accessible name of the grid.
  constructor({ caption = "", label = "grid", on = {}, testid } = {}) {
    this.on = on;
    this.body = h("div", { class: "grid-body" });
    this.caption = h("figcaption", {}, caption);
    this.el = h("figure", { class: "grid-view", dataset: testid ? { testid } : {} }, this.body, this.caption);
    this.label = label;
    this.cells = new Map(); // "r,s" -> cell element (numbers mode)
    this.marks = new Map(); // name -> [[r, s], ...]
    this.mode = null;
    this.body.addEventListener("pointerleave", () => this.on.hover?.(null));
  }

  // values: rows of numbers (H×W); pad: [ph, pw] ring of zeros drawn around them;
  // scale: from colormap.makeScale (cell colours); numbers: force a mode (default: by size);
  // blank: (r, s) => true for cells to leave empty (e.g. outputs not computed yet);
  // colour: (r, s) => CSS colour of a cell's swatch (e.g. which kernel weight it is).
  render(values, { pad = [0, 0], scale = null, numbers = null, blank = null, colour = null, format = num } = {}) {
    const H = values.length;
    const W = H ? values[0].length : 0;
    const [ph, pw] = pad;
    const Hp = H + 2 * ph;
    const Wp = W + 2 * pw;
    this.size = { H, W, ph, pw, Hp, Wp };
    const useNumbers = numbers ?? Math.max(Hp, Wp) <= anatomy.numbersMaxSide;
    this.mode = useNumbers ? "numbers" : "heat";
    this.el.classList.toggle("is-heat", !useNumbers);
    if (useNumbers) this.#renderNumbers(values, scale, blank, colour, format);
    else this.#renderHeat(values, scale, blank);
    for (const [name, cells] of this.marks) this.mark(name, cells);
  }

  // An output as far as the sliding window has come: the outputs after `row` (numbered
  // row-major, i * W + j, as the API's matrix rows) are left blank.
  renderSoFar(values, row, scale) {
    const W = values.length ? values[0].length : 0;
    this.render(values, { scale, blank: (i, j) => i * W + j > row });
  }

  // Mark `cells` ([[r, s], ...]) as `name` (a CSS class "is-<name>"), replacing that mark.
  mark(name, cells) {
    this.marks.set(name, cells);
    if (this.mode === "numbers") {
      for (const cell of this.body.querySelectorAll(`.is-${name}`)) cell.classList.remove(`is-${name}`);
      for (const [r, s] of cells) {
        const cell = this.cells.get(`${r},${s}`);
        if (!cell) continue;
        cell.classList.add(`is-${name}`);
      }
    } else if (this.mode === "heat") {
      this.overlay.querySelectorAll(`.mark-${name}`).forEach((m) => m.remove());
      if (!cells.length) return;
      const box = (r0, s0, r1, s1, cls) => {
        const { ph, pw, Hp, Wp } = this.size;
        const el = h("span", { class: `grid-mark mark-${name} ${cls}` });
        el.style.left = `${((s0 + pw) / Wp) * 100}%`;
        el.style.top = `${((r0 + ph) / Hp) * 100}%`;
        el.style.width = `${((s1 - s0 + 1) / Wp) * 100}%`;
        el.style.height = `${((r1 - r0 + 1) / Hp) * 100}%`;
        this.overlay.append(el);
      };
      for (const [r, s] of cells) box(r, s, r, s, "");
      const rows = cells.map((c) => c[0]);
      const cols = cells.map((c) => c[1]);
      box(Math.min(...rows), Math.min(...cols), Math.max(...rows), Math.max(...cols), "is-outline");
    }
  }

  setCaption(text) {
    this.caption.textContent = text;
  }

  #renderNumbers(values, scale, blank, colour, format) {
    const { H, W, ph, pw, Wp } = this.size;
    this.cells.clear();
    const grid = h("div", {
      class: "num-grid",
      role: "img",
      "aria-label": this.label,
      style: { gridTemplateColumns: `repeat(${Wp}, var(--cell))` },
    });
    for (let r = -ph; r < H + ph; r++) {
      for (let s = -pw; s < W + pw; s++) {
        const inside = r >= 0 && r < H && s >= 0 && s < W;
        const empty = inside && blank?.(r, s);
        const v = inside ? values[r][s] : 0;
        const cell = h("span", { class: inside ? "cell" : "cell is-pad", dataset: { r, s } }, empty ? "" : format(v));
        if (inside && scale && !empty) {
          cell.style.background = scale.css(v);
          if (scale.index(v) > 200 || scale.index(v) < 55) cell.classList.add("is-strong");
        }
        if (inside && colour) {
          cell.classList.add("has-swatch");
          cell.style.setProperty("--swatch", colour(r, s));
        }
        this.#wire(cell, [r, s]);
        this.cells.set(`${r},${s}`, cell);
        grid.append(cell);
      }
    }
    this.body.replaceChildren(grid);
  }

  #renderHeat(values, scale, blank) {
    const { H, W, ph, pw, Hp, Wp } = this.size;
    const canvas = h("canvas", { class: "pixelated heat", width: Wp, height: Hp, role: "img", "aria-label": this.label });
    canvas.style.aspectRatio = `${Wp} / ${Hp}`;
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(Wp, Hp);
    const pad = hexToRgb(anatomy.padding);
    const pending = hexToRgb(anatomy.pending);
    for (let r = 0; r < Hp; r++) {
      for (let s = 0; s < Wp; s++) {
        const o = (r * Wp + s) * 4;
        const inside = r >= ph && r < H + ph && s >= pw && s < W + pw;
        const empty = inside && blank?.(r - ph, s - pw);
        const rgb = inside && scale && !empty ? scale.rgb(values[r - ph][s - pw]) : empty ? pending : pad;
        img.data[o] = rgb[0];
        img.data[o + 1] = rgb[1];
        img.data[o + 2] = rgb[2];
        img.data[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    this.overlay = h("div", { class: "grid-overlay" });
    const frame = h("div", { class: "heat-frame" }, canvas, this.overlay);
    frame.style.aspectRatio = `${Wp} / ${Hp}`;
    const at = (e) => {
      const { row, col } = unitAt(e, canvas, Hp, Wp); // in the padded grid
      return [row - ph, col - pw];
    };
    frame.addEventListener("pointermove", (e) => this.on.hover?.(at(e)));
    frame.addEventListener("click", (e) => this.on.click?.(at(e)));
    if (this.on.click) frame.classList.add("is-clickable");
    this.body.replaceChildren(frame);
  }

  #wire(cell, rs) {
    if (this.on.hover) cell.addEventListener("pointerenter", () => this.on.hover(rs));
    if (this.on.click) {
      cell.classList.add("is-clickable");
      cell.addEventListener("click", () => this.on.click(rs));
    }
  }
}

export function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
