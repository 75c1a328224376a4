// The output (feature map) of one filter: numbers or a heat map. Click or use the arrow keys
// to choose an output; the choice is shared with every other view.

import { makeScale, maxAbs } from "../../shared/colormap.js";
import { h } from "../../shared/dom.js";
import { num, shape } from "../../shared/format.js";
import { Legend } from "../../shared/legend.js";
import { GridView } from "./grid-view.js";

export class OutputView {
  // root: the card's body; model: { result }, `result.output` the map; selection: its Selection.
  constructor(root, model, selection, { label = "output" } = {}) {
    this.model = model;
    this.selection = selection;
    this.grid = new GridView({
      label,
      on: {
        click: ([i, j]) => selection.selectCell(i, j),
        hover: (c) => selection.hover(c ? c[0] * selection.shape[1] + c[1] : null),
      },
    });
    this.readout = h("p", { class: "readout", "aria-live": "polite" });
    this.frame = h(
      "div",
      { class: "output-frame", tabindex: "0", "aria-label": `${label}: arrow keys choose an output` },
      this.grid.el,
    );
    this.label = label;
    this.legend = new Legend();
    root.append(this.frame, this.legend.el, this.readout);
    this.frame.addEventListener("keydown", (e) => this.#key(e));
    model.addEventListener("result", () => this.render());
    selection.on(["select", "hover"], () => this.#marks());
  }

  render() {
    const out = this.model.result.output;
    const m = maxAbs(out);
    const values = out.flat();
    this.grid.render(out, { scale: makeScale("diverging", -m, m) });
    this.legend.render(makeScale("diverging", Math.min(...values), Math.max(...values)), this.label);
    this.grid.setCaption(`${shape([out.length, out[0].length])} output`);
    this.#marks();
  }

  #marks() {
    const { row, hoverRow } = this.selection;
    const out = this.model.result?.output;
    if (!out) return;
    this.grid.mark("current", row === null ? [] : [this.selection.cell(row)]);
    this.grid.mark("hover", hoverRow === null ? [] : [this.selection.cell(hoverRow)]);
    const [i, j] = row === null ? [] : this.selection.cell(row);
    this.readout.textContent = out[i]?.[j] === undefined ? "" : `y[${i}, ${j}] = ${num(out[i][j], 6)}`;
  }

  #key(e) {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (!(e.key in moves) || this.selection.row === null) return;
    e.preventDefault();
    const [i, j] = this.selection.cell(this.selection.row);
    this.selection.selectCell(i + moves[e.key][0], j + moves[e.key][1]);
  }
}
