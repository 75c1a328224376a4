// The bundled sample photos a colour model offers (data-testid="sample-images"): CIFAR-10 test
// images for a CIFAR model, the public-domain and CC0 photos (static/samples/photos) for the
// others, each with its credit. Choosing one (click, Enter or Space) hands its file's bytes
// to `on.pick(blob, sample)`.

import { api } from "../../shared/api.js";
import { photos as config } from "../../shared/config.js";
import { h } from "../../shared/dom.js";
import { rovingFocus } from "./roving-focus.js";

// Which set suits a model, and how to credit it.
const SETS = {
  cifar10: {
    title: "CIFAR-10 test images",
    credits: (photos) => [
      `${photos.length} CIFAR-10 test images, 2 per class. `,
      h("a", { href: photos[0]?.source ?? "#", rel: "noreferrer" }, "CIFAR-10"),
      ": Alex Krizhevsky, 2009, for research and teaching (please cite the report).",
    ],
  },
  photos: {
    title: "Sample photos",
    credits: (photos) => [
      "Public domain and CC0 photos from scikit-image's sample data: ",
      ...photos.flatMap((p, i) => [i ? "; " : "", `${p.title} — ${p.credit} (${p.licence})`]),
      ".",
    ],
  },
};

export const sampleSet = (model) => (model.dataset === "cifar10" ? "cifar10" : "photos");

// "Chelsea the cat — Stefan van der Walt, CC0 1.0": one sample's credit line.
export const creditOf = (p) => `${p.title} — ${p.credit}, ${p.licence}`;

export class SampleImages {
  // grid: [data-testid=sample-images]; credits: the credits line; title: the heading;
  // on: { pick(blob, sample), error(message) }
  constructor(grid, credits, title, on) {
    this.grid = grid;
    this.credits = credits;
    this.title = title;
    this.on = on;
    this.set = null;
    this.resetFocus = rovingFocus(grid, ".sample");
  }

  async load(set) {
    if (set === this.set) return;
    this.set = set;
    this.grid.replaceChildren();
    this.title.textContent = SETS[set].title;
    let manifest;
    try {
      manifest = await api.samplePhotos(set);
    } catch (err) {
      if (this.set === set) this.on.error(`The sample photos are unavailable: ${err.message}`);
      return;
    }
    if (this.set !== set) return; // the model changed meanwhile
    const base = `/static/samples/${set}/`;
    const buttons = manifest.photos.map((p) =>
      h(
        "button",
        {
          type: "button",
          class: "sample",
          title: creditOf(p),
          "aria-label": `${p.title}. ${p.credit}, ${p.licence}`,
          "aria-pressed": "false",
          dataset: { file: p.file },
          onclick: (e) => this.#pick(e.currentTarget, base + p.file, p),
        },
        h("img", { src: base + p.file, alt: "", width: config.sampleThumb, height: config.sampleThumb, loading: "lazy" }),
      ),
    );
    this.grid.replaceChildren(...buttons);
    this.credits.replaceChildren(...SETS[set].credits(manifest.photos));
    this.resetFocus();
  }

  // Nothing chosen (a photo from elsewhere is shown).
  unselect() {
    for (const b of this.grid.children) b.setAttribute("aria-pressed", "false");
  }

  async #pick(button, url, sample) {
    let bytes;
    try {
      bytes = await api.fileBytes(url);
    } catch (err) {
      this.on.error(`That sample could not be read: ${err.message}`);
      return;
    }
    this.unselect();
    button.setAttribute("aria-pressed", "true");
    this.on.pick(new Blob([bytes], { type: "image/jpeg" }), { ...sample, set: this.set });
  }
}
