// The real layer's input for a colour model: a photo from the model's own test set (CIFAR-10's,
// or the sample that ships) or one of the person's own, uploaded. "change" fires with
// { input } — an ImageInput body: a test photo's exact pixels, or the uploaded file's bytes
// (the server resizes them to the network's input as the model says).

import { api } from "../../shared/api.js";
import { anatomy } from "../../shared/config.js";
import { h, pixelCanvas } from "../../shared/dom.js";
import { count } from "../../shared/format.js";
import { paintRgb, planesOf } from "../../shared/rgb.js";

const TYPES = ["image/png", "image/jpeg", "image/webp"];

export class PhotoPicker extends EventTarget {
  constructor() {
    super();
    this.photos = h("div", { class: "mini-gallery photos", role: "group", "aria-label": "Test photos", dataset: { testid: "real-photos" } });
    this.upload = h("input", {
      type: "file",
      accept: TYPES.join(","),
      dataset: { testid: "real-upload" },
      onchange: () => this.#read(this.upload.files[0]),
    });
    this.source = h("p", { class: "muted small photo-source" });
    this.problem = h("p", { class: "problem", role: "alert", dataset: { testid: "real-photo-problem" }, hidden: true });
    this.el = h(
      "div",
      { class: "photo-picker", hidden: true },
      h("p", { class: "muted small" }, "Pick a test photo, or use your own:"),
      this.photos,
      h("label", { class: "field photo-upload" }, h("span", {}, "Your own photo (PNG, JPEG or WebP)"), this.upload),
      this.problem,
      this.source,
    );
    this.modelId = null;
    this.input = null;
  }

  // Show the photos of model `id`'s data set; resolves when the first one is the input.
  async show(id) {
    this.el.hidden = false;
    if (id === this.modelId && this.input) return;
    this.modelId = id;
    this.#say(null);
    try {
      const page = await api.modelGallery(id, anatomy.photoCount);
      this.photos.replaceChildren(...page.items.map((item) => this.#thumb(item)));
      this.source.textContent = `From ${page.source}. CIFAR-10: A. Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009.`;
      if (page.items.length) this.#choose(page.items[0], this.photos.firstChild, false);
    } catch (err) {
      this.photos.replaceChildren();
      this.source.textContent = "";
      this.#say(`No test photos: ${err.message}. You can still upload a photo.`);
    }
  }

  hide() {
    this.el.hidden = true;
  }

  #thumb(item) {
    const c = pixelCanvas(item.pixels[0].length, item.pixels.length, anatomy.photoThumb);
    paintRgb(c, planesOf(item.pixels));
    const b = h("button", { type: "button", class: "digit photo", "aria-pressed": "false", "aria-label": `test photo ${item.index}, a ${item.label}`, title: item.label }, c);
    b.addEventListener("click", () => this.#choose(item, b, true));
    return b;
  }

  #choose(item, button, emit) {
    for (const b of this.photos.children) b.setAttribute("aria-pressed", String(b === button));
    this.input = { pixels: item.pixels, preprocess: false };
    this.#say(null);
    if (emit) this.dispatchEvent(new CustomEvent("change"));
  }

  // The file's type and size are checked here, before it is read; the server checks again.
  async #read(file) {
    this.upload.value = "";
    if (!file) return;
    if (!TYPES.includes(file.type)) {
      this.#say(`${file.name} is not a PNG, JPEG or WebP image (its type is ${file.type || "unknown"}).`);
      return;
    }
    const limits = await api.limits();
    if (file.size > limits.max_image_bytes) {
      this.#say(`${file.name} is ${count(file.size)} bytes, more than the limit max_image_bytes = ${count(limits.max_image_bytes)}.`);
      return;
    }
    const url = await new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
    for (const b of this.photos.children) b.setAttribute("aria-pressed", "false");
    this.input = { image: url };
    this.#say(null);
    this.dispatchEvent(new CustomEvent("change"));
  }

  #say(text) {
    this.problem.hidden = !text;
    this.problem.textContent = text ?? "";
  }
}
