// The model picker: enabled only when more than one model is installed.

import { api } from "../../shared/api.js";
import { h } from "../../shared/dom.js";
import { percent } from "../../shared/format.js";

export class ModelPicker {
  // select: [data-testid=model-select]; on: { change(id) }
  constructor(select, on) {
    this.select = select;
    this.links = select.closest(".model-picker");
    select.addEventListener("change", () => {
      this.#links(select.value);
      on.change(select.value);
    });
  }

  // Export beside the picker: the chosen model's weights (.npz) and ONNX file.
  #links(id) {
    this.links.querySelector('[data-testid="picker-npz"]').href = api.weightsUrl(id);
    this.links.querySelector('[data-testid="picker-onnx"]').href = api.onnxUrl(id);
  }

  render(models, selected) {
    this.select.replaceChildren(
      ...models.map((m) =>
        h(
          "option",
          { value: m.id, selected: m.id === selected, title: m.name },
          m.test_accuracy === null ? m.name : `${m.name} · ${percent(m.test_accuracy)}`,
        ),
      ),
    );
    this.select.disabled = models.length < 2;
    this.#links(selected);
    this.select.closest(".model-picker").dataset.count = models.length;
  }
}
