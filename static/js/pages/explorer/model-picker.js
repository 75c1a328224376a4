// The model picker: enabled only when more than one model is installed.

import { h } from "../../shared/dom.js";
import { percent } from "../../shared/format.js";

export class ModelPicker {
  // select: [data-testid=model-select]; on: { change(id) }
  constructor(select, on) {
    this.select = select;
    select.addEventListener("change", () => on.change(select.value));
  }

  render(models, selected) {
    this.select.replaceChildren(
      ...models.map((m) =>
        h(
          "option",
          { value: m.id, selected: m.id === selected },
          m.test_accuracy === null ? m.name : `${m.name} · ${percent(m.test_accuracy)} test accuracy`,
        ),
      ),
    );
    this.select.disabled = models.length < 2;
    this.select.closest(".model-picker").dataset.count = models.length;
  }
}
