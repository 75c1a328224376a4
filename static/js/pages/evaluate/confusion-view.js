// The confusion matrix as a table of buttons: rows are the true classes, columns the
// predictions. A cell's colour is its share of the row (green on the diagonal, red off it);
// its number is the count the API gave.

import { training } from "../../shared/config.js";
import { noun } from "./digits-view.js";
import { h } from "../../shared/dom.js";
import { count, percent } from "../../shared/format.js";

function tint([r, g, b], t) {
  // t in [0, 1]: from white to the full colour
  const mix = (c) => Math.round(255 + (c - 255) * t);
  return `rgb(${mix(r)} ${mix(g)} ${mix(b)})`;
}

export class ConfusionView {
  // table: [data-testid=confusion-matrix]; on: { pick(trueClass, predictedClass) }
  constructor(table, on) {
    this.table = table;
    this.on = on;
  }

  // result: the evaluation (classes, confusion, per_class)
  render(result) {
    const { classes, confusion } = result;
    const size = `${training.confusionCell}px`;
    const head = h(
      "tr",
      {},
      h("th", { class: "corner", scope: "col" }, h("span", {}, "true ↓ / predicted →")),
      classes.map((label) => h("th", { scope: "col", title: `predicted ${label}` }, short(label))),
    );
    const rows = confusion.map((row, t) => {
      const total = result.per_class[t].total || 1;
      return h(
        "tr",
        {},
        h("th", { scope: "row", title: `true ${classes[t]}` }, short(classes[t])),
        row.map((n, p) => {
          const share = n / total;
          const right = t === p;
          // a square root, so a few mistakes still show
          const strength = n ? (right ? 0.15 + 0.85 * share : 0.12 + 0.88 * Math.sqrt(share)) : 0;
          const bg = tint(right ? training.correct : training.wrong, strength);
          return h(
            "td",
            {},
            h(
              "button",
              {
                type: "button",
                class: `cm-cell${right ? " diagonal" : ""}${strength > 0.55 ? " dark" : ""}`,
                style: { background: bg, width: size, height: size },
                dataset: { true: t, predicted: p, count: n },
                "aria-label": `true ${classes[t]}, predicted ${classes[p]}: ${count(n)} ${noun(result.dataset)[1]} (${percent(share)} of ${classes[t]})`,
                disabled: n === 0,
                onclick: () => this.on.pick(t, p),
              },
              n ? count(n) : "",
            ),
          );
        }),
      );
    });
    this.table.replaceChildren(h("thead", {}, head), h("tbody", {}, rows));
    this.table.dataset.total = String(result.total);
  }

  select(t, p) {
    for (const b of this.table.querySelectorAll(".cm-cell")) {
      const on = Number(b.dataset.true) === t && Number(b.dataset.predicted) === p;
      b.setAttribute("aria-pressed", String(on));
    }
  }
}

// Fashion-MNIST's names are long: the table shows the first word; the title has it all.
function short(label) {
  return label.split(/[ /]/)[0];
}
