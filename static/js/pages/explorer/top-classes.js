// The five most probable classes with their labels ([data-testid=top-classes]), from the API's
// `top` — for a colour model, which may have many classes (an ImageNet model's thousand).

import { h } from "../../shared/dom.js";
import { probability } from "../../shared/format.js";

export class TopClassesView {
  // after: the element the list goes after (the full probabilities list).
  constructor(after) {
    // the rows look like the every-class bars (.probabilities, .prob-row)
    this.el = h("ol", { class: "probabilities top-classes", dataset: { testid: "top-classes" }, "aria-label": "The five most probable classes", hidden: true });
    this.title = h("p", { class: "top-title", hidden: true }, "Most probable");
    this.allTitle = h("p", { class: "top-title", hidden: true }, "Every class");
    after.before(this.title, this.el, this.allTitle);
  }

  // on: a colour model (grey digit models keep the page as it was); all: whether every
  // class's bar is shown under the five.
  show(on, all = true) {
    this.el.hidden = !on;
    this.title.hidden = !on;
    this.allTitle.hidden = !on || !all;
    if (!on) this.reset();
  }

  // top: [{ class, label, probability }], most probable first.
  render(top) {
    this.el.replaceChildren(
      ...top.map((t, i) =>
        h(
          "li",
          { class: i === 0 ? "prob-row is-top" : "prob-row", dataset: { class: t.class }, "aria-label": `${t.label}: ${probability(t.probability)}` },
          h("span", { class: "prob-label", title: t.label }, t.label),
          h("span", { class: "prob-track" }, h("span", { class: "prob-fill", style: { transform: `scaleX(${t.probability})` } })),
          h("span", { class: "prob-value" }, probability(t.probability)),
        ),
      ),
    );
  }

  reset() {
    this.el.replaceChildren();
  }
}
