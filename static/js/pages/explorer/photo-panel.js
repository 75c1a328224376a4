// A colour model's input panel ([data-testid=photo-panel], templates/explorer_photo.html):
// a photo from the file picker, dropped or pasted onto the panel, from the camera or a sample.
// Whatever the source, the photo's own bytes go to the server as a data URL (`body()`), which
// decodes, resizes and crops it; the page computes no pixel of the network input itself. Only
// the latest photo is kept (its data URL and a small preview), so memory does not grow with
// the number of photos.

import { api } from "../../shared/api.js";
import { photos as config } from "../../shared/config.js";
import { bytes } from "../../shared/format.js";
import { SampleImages, creditOf, sampleSet } from "./sample-images.js";
import { Webcam } from "./webcam.js";

function dataURL(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

// The first file in a drop or paste (a pasted screenshot is a file too).
function firstFile(transfer) {
  return transfer ? ([...(transfer.files ?? [])][0] ?? null) : null;
}

const typing = (el) => el?.closest?.("input, textarea, select, [contenteditable='true']");

export class PhotoPanel {
  // root: [data-testid=photo-panel]; on: { change() } — a new photo is ready (see body()),
  // chosen?(blob, source, fromCamera, sample) — and where it came from (sample: a bundled
  // photo's manifest entry and set).
  constructor(root, on) {
    this.root = root;
    this.on = on;
    this.active = false;
    this.photo = null; // { image: data URL, source: words }, the latest photo only
    this.token = 0; // the latest load: an older one finishing later is dropped
    this.limits = null;
    const $ = (testid) => root.querySelector(`[data-testid="${testid}"]`);
    this.drop = $("photo-drop");
    this.preview = root.querySelector(".photo-preview");
    this.source = $("photo-source");
    this.message = $("photo-message");
    this.upload = $("image-upload");
    this.webcam = new Webcam($("webcam"), {
      capture: (blob) => this.load(blob, "A frame from the camera", true),
      message: (text) => this.error(text),
    });
    this.samples = new SampleImages($("sample-images"), $("sample-credits"), root.querySelector(".samples-title"), {
      pick: (blob, sample) => this.load(blob, `Sample: ${creditOf(sample)}`, false, sample),
      error: (text) => this.error(text),
    });
    this.upload.addEventListener("change", () => {
      const file = this.upload.files[0];
      if (file) this.load(file, `Your photo: ${file.name}`);
      this.upload.value = ""; // the same file again is a new choice
    });
    // A file dropped on the panel — or anywhere on the page, which the browser would otherwise
    // leave to open the file — is the photo; the panel is lit while something is dragged.
    for (const type of ["dragenter", "dragover"]) {
      document.addEventListener(type, (e) => {
        if (!this.active) return;
        e.preventDefault();
        root.classList.add("is-dropping");
      });
    }
    document.addEventListener("dragleave", (e) => {
      if (!e.relatedTarget) root.classList.remove("is-dropping"); // left the window
    });
    document.addEventListener("drop", (e) => {
      if (!this.active) return;
      e.preventDefault();
      root.classList.remove("is-dropping");
      const file = firstFile(e.dataTransfer);
      if (file) this.load(file, `Dropped: ${file.name}`);
      else this.error("Nothing to use was dropped: drop an image file (PNG, JPEG or WebP).");
    });
    // Pasting anywhere on the page while a colour model is chosen (not into a text field).
    document.addEventListener("paste", (e) => {
      if (!this.active || typing(e.target)) return;
      const file = firstFile(e.clipboardData);
      if (!file) return;
      e.preventDefault();
      this.load(file, `Pasted: ${file.name || "an image"}`);
    });
  }

  // Show the panel for a colour model (and load its samples); hide it, and stop the camera,
  // for a grey one.
  setModel(model, colour) {
    this.active = colour;
    this.root.hidden = !colour;
    if (!colour) {
      this.webcam.stop();
      return;
    }
    this.samples.load(model ? sampleSet(model) : "photos");
    api.limits().then(
      (limits) => (this.limits = limits),
      () => {}, // checked by the server anyway
    );
  }

  get hasPhoto() {
    return this.photo !== null;
  }

  // The ImageInput body for the latest photo.
  body() {
    return { image: this.photo.image };
  }

  // A photo from any source: refused at once when larger than the server takes (it would be
  // read into memory for nothing); else read, previewed, and handed on. A photo from elsewhere
  // ends the camera's live mode (it would replace the photo at its next frame).
  async load(blob, source, fromCamera = false, sample = null) {
    const token = ++this.token;
    if (!fromCamera) this.webcam.stopLive();
    const limit = this.limits?.max_image_bytes;
    if (limit && blob.size > limit) {
      this.error(`That photo is ${bytes(blob.size)}; the server takes images up to ${bytes(limit)} (max_image_bytes). Choose a smaller one.`);
      return;
    }
    if (!source.startsWith("Sample")) this.samples.unselect();
    const image = await dataURL(blob);
    if (token !== this.token) return;
    this.error(null);
    this.photo = { image, source };
    this.source.textContent = source;
    this.#preview(blob, token);
    this.on.change();
    this.on.chosen?.(blob, source, fromCamera, sample); // photo-in-link.js
  }

  // The photo small: decoded once at preview size, so a big photo keeps no full-size bitmap.
  async #preview(blob, token) {
    let bitmap;
    try {
      bitmap = await createImageBitmap(blob);
    } catch {
      if (token === this.token) this.preview.hidden = true; // not an image: the server says why
      return;
    }
    if (token !== this.token) return bitmap.close();
    // shown previewSize along its longer side; drawn at most that many pixels (a CIFAR
    // photo's 32 × 32 are shown large, pixelated)
    const k = config.previewSize / Math.max(bitmap.width, bitmap.height);
    const canvas = this.preview;
    canvas.width = Math.max(1, Math.round(bitmap.width * Math.min(1, k)));
    canvas.height = Math.max(1, Math.round(bitmap.height * Math.min(1, k)));
    canvas.style.width = `${Math.round(bitmap.width * k)}px`; // the height follows
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    canvas.hidden = false;
    this.drop.classList.add("has-photo");
  }

  // A message in the panel (a refused photo, the camera's refusal), or none.
  error(text) {
    this.message.hidden = !text;
    this.message.textContent = text ?? "";
  }
}
