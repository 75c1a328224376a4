// Controls for the real-layer view: model, conv layer, group (a grouped conv's, shown one group
// at a time) and filter, and the input — for a grey model a small drawing pad (the explorer's)
// or a real test digit from the gallery; for a colour model a photo (photo-picker.js). "change" fires with { model, layer, filter, group, input, keep }
// whenever any of them changes; `input` is an ImageInput body, `keep` says the layer is the
// same (so the chosen output can stay); `group` is undefined for an ordinary conv.

import { groupOf, groupsOf } from "../../shared/anatomy/groups.js";
import { api } from "../../shared/api.js";
import { anatomy, drawing, overview } from "../../shared/config.js";
import { inkScale, paintGrid } from "../../shared/colormap.js";
import { h, pixelCanvas } from "../../shared/dom.js";
import { span } from "../../shared/format.js";
import { DrawingPad } from "../../shared/draw.js";
import { PhotoPicker } from "./photo-picker.js";

export class RealLayerControls extends EventTarget {
  constructor(root, status) {
    super();
    this.status = status;
    this.models = h("select", { "aria-label": "model", dataset: { testid: "real-model" } });
    this.layers = h("select", { "aria-label": "conv layer", dataset: { testid: "real-layer-select" } });
    this.filters = h("select", { "aria-label": "filter", dataset: { testid: "real-filter" } });
    this.groups = h("select", { "aria-label": "group of the grouped convolution", dataset: { testid: "real-group" } });
    this.groupField = field("Group", this.groups);
    this.groupField.hidden = true;
    const canvas = h("canvas", {
      class: "real-pad",
      tabindex: "0",
      dataset: { testid: "real-draw" },
      "aria-label": "Drawing pad for the real layer. Backspace or Control+Z undoes the last stroke; Delete or C clears.",
    });
    canvas.style.width = `${anatomy.drawingSize}px`;
    canvas.style.height = `${anatomy.drawingSize}px`;
    const undo = h("button", { type: "button", class: "button" }, "Undo");
    const clear = h("button", { type: "button", class: "button" }, "Clear");
    this.gallery = h("div", { class: "mini-gallery", role: "group", "aria-label": "Test digits", dataset: { testid: "real-gallery" } });
    this.drawn = h("div", { class: "real-input" }, h("div", { class: "pad-box" }, canvas, h("div", { class: "pad-actions" }, undo, clear)), h("div", {}, h("p", { class: "muted small" }, "Draw a digit, or pick one:"), this.gallery));
    this.picker = new PhotoPicker();
    this.picker.addEventListener("change", () => this.#emit(true));
    root.append(h("div", { class: "size-row" }, field("Model", this.models), field("Conv layer", this.layers), this.groupField, field("Filter", this.filters)), this.drawn, this.picker.el);
    this.pad = new DrawingPad(canvas, drawing);
    // Undo and clear, by button or by key while the pad has focus (the page has other keys).
    undo.addEventListener("click", () => this.pad.undo());
    clear.addEventListener("click", () => this.pad.clear());
    canvas.addEventListener("keydown", (e) => {
      const undoKey = e.key === "Backspace" || ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z");
      const clearKey = e.key === "Delete" || e.key.toLowerCase() === "c";
      if (undoKey) this.pad.undo();
      else if (clearKey && !e.ctrlKey && !e.metaKey) this.pad.clear();
      else return;
      e.preventDefault();
    });
    const sync = () => {
      undo.disabled = !this.pad.canUndo;
      clear.disabled = this.pad.isEmpty;
    };
    for (const type of ["strokeend", "change", "draw"]) this.pad.addEventListener(type, sync);
    sync();
    this.galleryItem = null;
    this.started = new Promise((resolve) => (this.ready = resolve)); // start() has chosen a model
    this.pad.addEventListener("strokeend", () => this.#inputChanged());
    this.pad.addEventListener("change", () => this.#inputChanged());
    this.models.addEventListener("change", () => this.#selectModel(this.models.value));
    this.layers.addEventListener("change", () => this.#selectLayer());
    this.filters.addEventListener("change", () => this.#emit(true));
    this.groups.addEventListener("change", () => {
      this.#fillFilters(this.detail.layers[Number(this.layers.value)], Number(this.groups.value));
      this.#emit(true);
    });
  }

  async start() {
    try {
      const { models, default: chosen } = await api.models();
      if (!models.length) {
        this.status.error("No model is installed, so there is no real layer to show (the playground above still works).");
        return;
      }
      // `?model=&layer=&filter=&output=i,j` (the explorer's overview links here) opens that
      // unit, on the network input the overview left in sessionStorage.
      const q = new URLSearchParams(window.location.search);
      const wanted = models.some((m) => m.id === q.get("model")) ? q.get("model") : chosen;
      this.wanted = { layer: q.get("layer"), filter: q.get("filter"), group: q.get("group"), output: q.get("output")?.split(",").map(Number) };
      this.models.replaceChildren(...models.map((m) => h("option", { value: m.id, selected: m.id === wanted }, m.name)));
      this.models.disabled = models.length < 2;
      await this.#loadGallery();
      const handed = q.has("layer") ? sessionStorage.getItem(overview.handoffKey) : null;
      if (handed) {
        this.galleryItem = { pixels: JSON.parse(handed) };
        this.pad.setBase(this.galleryItem.pixels);
      }
      await this.#selectModel(wanted ?? models[0].id);
    } catch (err) {
      this.status.error(err.message);
    } finally {
      this.ready();
    }
  }

  async #loadGallery() {
    try {
      const page = await api.gallery(anatomy.galleryCount, 0);
      this.gallery.replaceChildren(
        ...page.items.map((item) => {
          const c = pixelCanvas(28, 28, 36);
          paintGrid(c, item.pixels, inkScale());
          return h("button", { type: "button", class: "digit", "aria-label": `test digit ${item.index}, a ${item.label}`, onclick: () => this.#pick(item) }, c);
        }),
      );
      this.galleryItem = page.items[0] ?? null;
      if (this.galleryItem) this.pad.setBase(this.galleryItem.pixels); // before a layer is chosen: no request
    } catch {
      this.gallery.replaceChildren(h("p", { class: "muted small" }, "(no test digits installed)"));
    }
  }

  // Choose filter `f` of the layer shown (a click on its map).
  pickFilter(f) {
    if (![...this.filters.options].some((o) => Number(o.value) === f)) return;
    this.filters.value = String(f);
    this.#emit(true);
  }

  // Open layer `layer` of model `id` (the 5×5×3 preset's "the real thing"); false when that
  // model is not installed.
  async open(id, layer) {
    await this.started;
    if (![...this.models.options].some((o) => o.value === id)) return false;
    this.models.value = id;
    this.wanted = { layer: String(layer) };
    await this.#selectModel(id);
    return true;
  }

  async #selectModel(id) {
    this.detail = await api.model(id);
    // a colour model reads photos; a grey one the drawing pad
    this.colour = this.detail.input_shape[0] === 3;
    this.drawn.hidden = this.colour;
    if (this.colour) await this.picker.show(id);
    else this.picker.hide();
    const convs = this.detail.layers.filter((l) => l.type === "conv2d");
    const want = this.wanted ?? {};
    this.layers.replaceChildren(...convs.map((l) => h("option", { value: l.index, selected: String(l.index) === want.layer }, `${l.index}: ${l.name} (${l.config.in_channels}→${l.config.out_channels}, ${l.config.kernel_size.join("×")})`)));
    this.#selectLayer();
  }

  #selectLayer() {
    const layer = this.detail.layers[Number(this.layers.value)];
    const want = this.wanted ?? {};
    const { groups, perGroup } = groupsOf(layer.config);
    // a filter asked for (the overview's link) opens in its own group
    const wantFilter = want.filter != null ? Number(want.filter) : null;
    let group = want.group != null ? Number(want.group) : wantFilter !== null ? groupOf(layer.config, wantFilter) : 0;
    if (!(group >= 0 && group < groups)) group = 0;
    this.groupField.hidden = groups < 2;
    this.groups.replaceChildren(
      ...Array.from({ length: groups }, (_, g) => {
        const c0 = g * perGroup.in;
        const f0 = g * perGroup.out;
        const text = `${g}: ${span(c0, perGroup.in, "channel")} → ${span(f0, perGroup.out, "filter")}`;
        return h("option", { value: g, selected: g === group }, text);
      }),
    );
    this.#fillFilters(layer, group, wantFilter);
    this.output = want.output;
    this.wanted = null; // only the first choice comes from the URL
    this.#emit(false);
  }

  // The filters of `group` (every filter of an ordinary conv).
  #fillFilters(layer, group, wanted = null) {
    const { perGroup } = groupsOf(layer.config);
    const f0 = group * perGroup.out;
    this.filters.replaceChildren(...Array.from({ length: perGroup.out }, (_, q) => h("option", { value: f0 + q, selected: f0 + q === wanted }, `filter ${f0 + q}`)));
  }

  #pick(item) {
    this.galleryItem = item;
    this.pad.setBase(item.pixels); // fires "change", which asks for this digit
  }

  #inputChanged() {
    if (!this.pad.isBaseOnly) this.galleryItem = null;
    this.#emit(true);
  }

  // The drawing as an ImageInput: a gallery digit's exact pixels while it is the whole input.
  input() {
    if (this.colour) return this.picker.input;
    if (this.galleryItem && this.pad.isBaseOnly) return { pixels: this.galleryItem.pixels, preprocess: false };
    return { image: this.pad.toDataURL() };
  }

  #emit(keep) {
    if (!this.detail || this.layers.value === "" || !this.input()) return;
    if (keep) this.output = undefined;
    this.dispatchEvent(
      new CustomEvent("change", {
        detail: {
          model: this.detail.id,
          layer: Number(this.layers.value),
          filter: Number(this.filters.value),
          group: this.groupField.hidden ? undefined : Number(this.groups.value),
          input: this.input(),
          keep,
          output: this.output,
        },
      }),
    );
  }
}

function field(text, control) {
  return h("label", { class: "field" }, h("span", {}, text), control);
}
