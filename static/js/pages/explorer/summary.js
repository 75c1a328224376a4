// The layer summary: every layer's type, output shape and parameter count, with the total.

import { h } from "../../shared/dom.js";
import { count, percent, shape } from "../../shared/format.js";

export class SummaryView {
  // table: the <table>; facts: a <dl>-holding element for the model's facts.
  constructor(table, facts) {
    this.table = table;
    this.facts = facts;
  }

  render(model) {
    const head = h("thead", {}, h("tr", {}, ["#", "Layer", "Type", "Output shape", "Params"].map((t) => h("th", { scope: "col" }, t))));
    const body = h(
      "tbody",
      {},
      h("tr", { class: "input-row" }, h("td", {}, ""), h("td", {}, "input"), h("td", {}, ""), h("td", {}, shape(model.input_shape)), h("td", { class: "num" }, "0")),
      model.layers.map((l) =>
        h(
          "tr",
          {},
          h("td", { class: "num muted" }, l.index),
          h("td", {}, h("a", { href: `#layer-${l.index}` }, l.name)),
          h("td", {}, h("span", { class: "type-badge", dataset: { type: l.type } }, l.type)),
          h("td", {}, shape(l.output_shape)),
          h("td", { class: "num" }, count(l.num_params)),
        ),
      ),
    );
    const foot = h("tfoot", {}, h("tr", {}, h("th", { scope: "row", colspan: "4" }, "Total parameters"), h("td", { class: "num" }, count(model.num_params))));
    this.table.replaceChildren(head, body, foot);
    const fact = (k, v) => [h("dt", {}, k), h("dd", {}, v)];
    this.facts.replaceChildren(
      ...fact("Model", model.name),
      ...fact("Dataset", model.dataset ?? "—"),
      ...fact("Classes", model.classes.length),
      ...fact("Test accuracy", model.test_accuracy === null ? "—" : percent(model.test_accuracy)),
      // an int8 model imported as its float equivalent says so (engine/onnx_import/quantized.py)
      ...(model.card?.quantized ? fact("Quantized", model.card.quantized.note) : []),
    );
  }
}
