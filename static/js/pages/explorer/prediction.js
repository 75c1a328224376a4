// The prediction: the predicted label, large, and every class's probability as a bar with
// its number. With a gallery digit, also its true label.

import { h } from "../../shared/dom.js";
import { probability } from "../../shared/format.js";

export class PredictionView {
  // root: the prediction card; it holds [data-testid=prediction], [data-testid=probabilities],
  // [data-testid=true-label] and .confidence.
  constructor(root) {
    this.label = root.querySelector('[data-testid="prediction"]');
    this.list = root.querySelector('[data-testid="probabilities"]');
    this.confidence = root.querySelector(".confidence");
    this.truth = root.querySelector('[data-testid="true-label"]');
    // The answer again, small, beside the pad: on screen while drawing at any size (the card
    // itself may be below the fold). The card stays the accessible one (aria-live).
    this.compact = document.querySelector('[data-testid="pad-answer"]');
    this.rows = [];
    this.prompt = null; // what to say before any input (null: the digit's)
  }

  setClasses(classes) {
    this.rows = classes.map((name) => {
      const fill = h("span", { class: "prob-fill" });
      const value = h("span", { class: "prob-value" }, "–");
      const row = h(
        "li",
        { class: "prob-row", dataset: { class: name } },
        h("span", { class: "prob-label" }, name),
        h("span", { class: "prob-track" }, fill),
        value,
      );
      return { row, fill, value };
    });
    this.list.replaceChildren(...this.rows.map((r) => r.row));
    this.reset();
  }

  // result: { prediction, label, probabilities } from the API.
  render(result) {
    this.label.textContent = result.label;
    this.label.classList.toggle("is-long", result.label.length > 2); // e.g. "Ankle boot"
    const p = result.probabilities[result.prediction];
    this.confidence.textContent = `${probability(p)} confident`;
    this.compact.replaceChildren("It says ", h("strong", {}, result.label), ` · ${probability(p)}`);
    result.probabilities.forEach((prob, i) => {
      const { row, fill, value } = this.rows[i];
      fill.style.transform = `scaleX(${prob})`; // the compositor animates it: no layout
      value.textContent = probability(prob);
      row.classList.toggle("is-top", i === result.prediction);
      row.setAttribute("aria-label", `${row.dataset.class}: ${probability(prob)}`);
    });
    this.#compare();
  }

  reset() {
    this.label.textContent = "";
    this.confidence.textContent = this.prompt ?? "Draw a digit to see what the network thinks.";
    this.compact.replaceChildren();
    for (const { row, fill, value } of this.rows) {
      fill.style.transform = "scaleX(0)";
      value.textContent = "–";
      row.classList.remove("is-top");
    }
    this.showTruth(null);
  }

  // truth: { label, index } of a gallery digit, or null.
  showTruth(truth) {
    this.truthValue = truth;
    this.truth.hidden = !truth;
    this.#compare();
  }

  #compare() {
    const truth = this.truthValue;
    if (!truth) return;
    const predicted = this.label.textContent;
    this.truth.replaceChildren(
      `Test image #${truth.index} · true label `,
      h("strong", { dataset: { testid: "true-label-value" } }, truth.label),
      predicted
        ? h(
            "span",
            { class: predicted === truth.label ? "verdict ok" : "verdict miss" },
            predicted === truth.label ? "correct" : "missed",
          )
        : "",
    );
  }
}
