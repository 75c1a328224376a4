// The flattened digit: the 28×28 input as its 784-vector, the same vector scrambled by one
// fixed pixel permutation, and a dense network on raw pixels beside the CNN — parameters and
// test accuracy of each, measured on the test set as it is and scrambled (the dense net's
// permuted-weights twin reads the scrambled digits exactly as it read the real ones).

import { api } from "../../shared/api.js";
import { inkScale, paintGrid } from "../../shared/colormap.js";
import { h, pixelCanvas } from "../../shared/dom.js";
import { count, num, percent, probability } from "../../shared/format.js";
import { head } from "../../shared/teach-figures.js";

export class FlattenView {
  constructor(root, status) {
    this.root = root;
    this.status = status;
    this.pair = null; // { cnn, dense } of GET /api/teach/networks
    this.table = h("div", { class: "table-scroll" }, h("p", { class: "muted" }, "Finding the networks…"));
    this.strips = h("div", { class: "t-section" });
    this.verdicts = h("div", { class: "t-section", "aria-live": "polite" });
    root.append(
      head("The flattened digit", "A dense network does not see an image: it sees 784 numbers in a row, every pixel wired to every unit. Could you read a digit in that form (Jeremy Jordan asks)? The network does not care about the order — scramble every pixel by one fixed permutation, permute its weights the same way, and it gives exactly the same answers. A CNN's filters read neighbouring pixels, so a scramble breaks it."),
      this.strips,
      this.verdicts,
      h("div", { class: "t-section" }, h("h3", {}, "Measured on the test set"), this.table),
    );
  }

  async start(modelId) {
    const { networks } = await api.networks();
    const cnn = networks.find((n) => n.id === modelId && n.kind === "cnn") ?? networks.find((n) => n.kind === "cnn");
    const dense = networks.find((n) => n.kind === "dense");
    this.pair = { cnn, dense };
    const list = [cnn, dense].filter(Boolean);
    this.table.replaceChildren(h("p", { class: "muted" }, `Running ${list.map((n) => n.name).join(" and ")} on the test set, as it is and scrambled…`));
    const tests = await Promise.all(list.map((n) => api.permutationTest(n.id)));
    this.renderTable(list, tests);
  }

  renderTable(list, tests) {
    const row = (n, t) =>
      h(
        "tr",
        { dataset: { network: n.kind } },
        h("td", {}, n.name, h("span", { class: "muted small" }, ` (${n.kind === "dense" ? "dense on pixels" : "convolutional"})`)),
        h("td", {}, count(t.num_params)),
        h("td", {}, percent(t.accuracy)),
        h("td", { dataset: { testid: `scrambled-${n.kind}` } }, percent(t.scrambled_accuracy)),
        h("td", {}, t.twin_accuracy === null ? "— (no such twin)" : `${percent(t.twin_accuracy)} (${count(t.twin_same_predictions)} of ${count(t.images)} predictions identical; max |Δp| ${num(t.twin_max_abs_diff, 2)})`),
      );
    this.table.replaceChildren(
      h(
        "table",
        { class: "t-table", dataset: { testid: "flatten-table" } },
        h("thead", {}, h("tr", {}, ["network", "parameters", `accuracy (first ${count(tests[0].images)} test digits)`, "on scrambled digits", "permuted-weights twin on scrambled"].map((t) => h("th", {}, t)))),
        h("tbody", {}, list.map((n, i) => row(n, tests[i]))),
      ),
      h("p", { class: "small muted" }, "The scramble is the same fixed permutation for every image and every network. The twin's tiny |Δp| is float32 rounding: it adds the same products in another order."),
    );
  }

  async update(input) {
    if (!this.pair || !input) {
      this.strips.replaceChildren(h("p", { class: "muted" }, "Draw a digit to see it flattened."));
      this.verdicts.replaceChildren();
      return;
    }
    const body = { pixels: input, preprocess: false };
    try {
      const ids = [this.pair.cnn, this.pair.dense].filter(Boolean);
      const results = await Promise.all(ids.map((n) => api.flatten(n.id, body)));
      this.render(ids, results);
    } catch (err) {
      this.status.error(err.message);
    }
  }

  render(ids, results) {
    const d = results[0];
    const ink = inkScale();
    const strip = (vector, label) => {
      const c = pixelCanvas(vector.length, 1, null, { class: "pixelated flat-strip", role: "img", "aria-label": label });
      paintGrid(c, [vector], ink);
      return h("figure", { class: "t-figure flat-figure" }, c, h("figcaption", {}, label));
    };
    const image = (grid, label) => {
      const c = pixelCanvas(28, 28, 112, { role: "img", "aria-label": label });
      paintGrid(c, grid, ink);
      return h("figure", { class: "t-figure" }, c, h("figcaption", {}, label));
    };
    this.strips.replaceChildren(
      h("div", { class: "t-row" }, image(d.input, "your digit, 28 × 28"), image(d.scrambled_image, "the same pixels, scrambled")),
      strip(d.vector, `the digit as a vector: ${d.vector.length} numbers, row after row`),
      strip(d.scrambled, "the scrambled vector: the same numbers in the permutation's order"),
    );
    const top = (p) => {
      const k = p.indexOf(Math.max(...p));
      return `${k} (${probability(p[k])})`;
    };
    this.verdicts.replaceChildren(
      h(
        "table",
        { class: "t-table", dataset: { testid: "flatten-predictions" } },
        h("thead", {}, h("tr", {}, ["on your digit", "your digit", "scrambled", "twin on scrambled"].map((t) => h("th", {}, t)))),
        h(
          "tbody",
          {},
          ids.map((n, i) => {
            const r = results[i];
            return h("tr", {}, h("td", {}, n.name), h("td", {}, top(r.probabilities)), h("td", {}, top(r.scrambled_probabilities)), h("td", {}, r.twin_probabilities ? top(r.twin_probabilities) : "—"));
          }),
        ),
      ),
    );
  }
}
