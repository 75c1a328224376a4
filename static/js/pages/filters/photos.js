// "Rank your own photos": a colour model's top-activating images among photos the person
// picks (the API's POST …/top-activations), instead of its data set's or the bundled photos.

import { api } from "../../shared/api.js";
import { explain as config } from "../../shared/config.js";
import { h } from "../../shared/dom.js";

const MAX_PHOTOS = 16; // the server's max_top_photos; more are refused there, by name

function dataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(new Error(`${file.name}: could not be read`));
    reader.readAsDataURL(file);
  });
}

export class YourPhotos {
  // ranked(answer): show a /top-activations answer; reset(): back to the data set's.
  constructor({ ranked, reset, failed }) {
    this.on = { ranked, reset, failed };
    this.target = null; // { modelId, layer } shown now
    this.input = h("input", { type: "file", accept: "image/*", multiple: true, dataset: { testid: "filters-photos" }, onchange: () => this.rank() });
    this.resetButton = h("button", { type: "button", class: "button ghost small", hidden: true, dataset: { testid: "filters-photos-reset" }, onclick: () => this.reset() }, "Back to the data set");
    this.el = h(
      "div",
      { class: "filters-photos", hidden: true },
      h("label", { class: "explain-field" }, h("span", {}, `Rank your own photos (up to ${MAX_PHOTOS})`), this.input),
      this.resetButton,
    );
  }

  // Shown for a colour model only (a digit model would see photos as grey digits).
  show(modelId, layer, colour) {
    this.target = { modelId, layer };
    this.el.hidden = !colour;
    this.resetButton.hidden = true;
  }

  async rank() {
    const files = [...this.input.files];
    this.input.value = "";
    if (!files.length || !this.target) return;
    const { modelId, layer } = this.target;
    try {
      const photos = await Promise.all(files.map(async (f) => ({ image: await dataUrl(f) })));
      const answer = await api.topPhotos(modelId, layer, { photos, names: files.map((f) => f.name.slice(0, 80)), k: Math.min(config.topK, files.length) });
      if (this.target?.modelId !== modelId || this.target.layer !== layer) return;
      this.resetButton.hidden = false;
      this.on.ranked(answer);
    } catch (err) {
      this.on.failed(err.message);
    }
  }

  reset() {
    this.resetButton.hidden = true;
    this.on.reset();
  }
}
