// "Why did it say 7?": an attribution map over the network input, for the predicted class
// or any chosen one, by one of four methods. The panel asks the API (throttled, latest
// drawing wins) whenever the explorer shows a new result, and paints what comes back: over
// a digit, or over a photo (a colour model) with an opacity the person sets.

import { api } from "../../shared/api.js";
import { makeScale } from "../../shared/colormap.js";
import { explain as config } from "../../shared/config.js";
import { h, pixelCanvas } from "../../shared/dom.js";
import { num } from "../../shared/format.js";
import { LatestWins } from "../../shared/latest-wins.js";
import { paintOverlay } from "./overlay.js";
import { Legend } from "../../shared/legend.js";
import { isColourModel } from "../../shared/model-kind.js";
import { isPlanes, pixelsOf } from "../../shared/rgb.js";

const METHODS = [
  {
    id: "saliency",
    label: "Saliency",
    about: "How much each pixel would move the class's score if it changed a little: |∂ logit / ∂ pixel|, one backward pass.",
  },
  {
    id: "gradcam",
    label: "Grad-CAM",
    about: "Where a conv layer found evidence for the class: its feature maps weighted by the average gradient of the score, ReLU, stretched to the input's size.",
  },
  {
    id: "occlusion",
    label: "Occlusion",
    about: "How much the class's probability drops when a blank patch hides each region (red: hiding it hurts the class, blue: hiding it helps).",
  },
  {
    id: "integrated-gradients",
    label: "Integrated gradients",
    about: "Each pixel's share of the score, accumulated along the path from a blank input to yours; the shares add up to the score's change.",
  },
];

const OPTIONS = {
  gradcam: [{ name: "layer", label: "Layer", values: [] }],
  occlusion: [
    { name: "patch", label: "Patch", values: [4, 6, 8], initial: 6, format: (v) => `${v}×${v}` },
    { name: "stride", label: "Stride", values: [1, 2, 4], initial: 2 },
  ],
  "integrated-gradients": [{ name: "steps", label: "Steps", values: [16, 32, 64], initial: 32 }],
};

export class ExplainPanel {
  // root: an empty <section>; on: { error(message), changed?() (a person chose something),
  // notice?(message) (a link's choice this model cannot show) }
  constructor(root, on) {
    this.root = root;
    this.on = on;
    this.model = null;
    this.result = null;
    this.method = "saliency";
    this.target = null; // null: the predicted class
    this.params = { patch: 6, stride: 2, steps: 32, layer: null };
    this.runner = new LatestWins({
      minIntervalMs: config.minIntervalMs,
      run: (payload) => api.explain(payload.model, payload.method, payload.body),
      onResult: (answer, payload) => this.#show(answer, payload),
      onError: (err) => this.#fail(err),
    });
    this.#build();
  }

  #build() {
    this.heading = h("span", { dataset: { testid: "explain-label" } }, "7");
    this.methodButtons = METHODS.map((m) =>
      h(
        "button",
        {
          type: "button",
          class: "segment",
          role: "radio",
          "aria-checked": String(m.id === this.method),
          dataset: { method: m.id },
          onclick: () => {
            this.#setMethod(m.id);
            this.on.changed?.();
          },
        },
        m.label,
      ),
    );
    this.targetSelect = h("select", {
      id: "explain-target",
      dataset: { testid: "explain-target" },
      onchange: () => {
        this.target = this.targetSelect.value === "" ? null : Number(this.targetSelect.value);
        this.#request(true);
        this.on.changed?.();
      },
    });
    this.optionsBox = h("div", { class: "explain-options" });
    this.canvas = pixelCanvas(28, 28, config.mapSize, {
      dataset: { testid: "explain-map" },
      role: "img",
      "aria-label": "Attribution map over the network input",
    });
    this.legend = new Legend();
    this.answer = null; // the latest map shown, repainted when the opacity changes
    this.opacity = h("input", {
      type: "range",
      min: "0",
      max: "100",
      step: "5",
      value: String(Math.round(config.photoOpacity * 100)),
      dataset: { testid: "explain-opacity" },
      "aria-label": "Overlay opacity, in per cent",
      oninput: () => this.#opacityChanged(),
    });
    this.opacityValue = h("output", { class: "opacity-value" });
    this.opacityField = h("label", { class: "explain-field explain-opacity", hidden: true }, h("span", {}, "Overlay opacity"), this.opacity, this.opacityValue);
    this.caption = h("p", { class: "explain-caption", dataset: { testid: "explain-caption" }, "aria-live": "polite" });
    this.about = h("p", { class: "muted explain-about" });
    this.root.replaceChildren(
      h(
        "header",
        { class: "section-head" },
        h("h2", { id: "explain-title" }, "Why did it say ", this.heading, "?"),
        (this.subtitle = h("p", { class: "muted" }, "Which pixels of your drawing the network used for a class — four ways of asking it.")),
      ),
      h(
        "div",
        { class: "card explain-card" },
        h("figure", { class: "explain-figure is-empty" }, this.canvas, this.legend.el, this.caption),
        h(
          "div",
          { class: "explain-controls" },
          h("div", { class: "segmented", role: "radiogroup", "aria-label": "Method", dataset: { testid: "explain-method" } }, this.methodButtons),
          h("label", { class: "explain-field" }, h("span", {}, "Class"), this.targetSelect),
          this.optionsBox,
          this.opacityField,
          this.about,
        ),
      ),
    );
    this.figure = this.root.querySelector(".explain-figure");
    this.#opacityChanged();
    this.#renderOptions();
    this.#idle();
  }

  // model: ModelDetail; result: the explorer's latest activations (null when cleared);
  // body: the ImageInput they answered (a photo is explained from its own bytes).
  update(model, result, body = null) {
    if (model !== this.model) this.#setModel(model);
    this.result = result;
    this.photo = body?.image && Array.isArray(result?.input[0][0]) ? body.image : null;
    if (!result) {
      this.runner.cancel();
      this.#idle();
      return;
    }
    const predicted = model.classes[result.prediction];
    this.targetSelect.options[0].textContent = `predicted (${predicted})`;
    this.#request(false);
  }

  async #setModel(model) {
    this.model = model;
    const what = isColourModel(model) ? "photo" : "drawing";
    this.subtitle.textContent = `Which pixels of your ${what} the network used for a class — four ways of asking it.`;
    this.ready = false;
    this.runner.cancel();
    this.targetSelect.replaceChildren(
      h("option", { value: "" }, "predicted"),
      ...model.classes.map((c, i) => h("option", { value: String(i) }, c)),
    );
    this.target = null;
    const convLayers = model.layers.filter((l) => l.output_shape.length === 3 && l.type !== "flatten");
    OPTIONS.gradcam[0].values = convLayers.map((l) => l.index);
    OPTIONS.gradcam[0].format = (v) => `${model.layers[v].name} (${model.layers[v].output_shape.join("×")})`;
    OPTIONS.gradcam[0].initial = null;
    this.params.layer = null;
    try {
      const info = await api.explainInfo(model.id);
      if (model !== this.model) return;
      OPTIONS.gradcam[0].values = info.gradcam_layers.map((l) => l.index);
      this.params.layer = info.default_gradcam_layer;
      OPTIONS.gradcam[0].initial = info.default_gradcam_layer;
    } catch (err) {
      this.on.error(err.message);
    }
    this.ready = true;
    if (this.pending !== undefined) this.#choose(this.pending);
    else {
      this.#renderOptions();
      this.#request(true);
    }
  }

  // What a link keeps (explain/link.js): the method, the class asked about and its options.
  get choice() {
    return { method: this.method, target: this.target, ...this.params };
  }

  // Show a link's `choice` (null: the defaults), once the model's Grad-CAM layers are known.
  choose(choice) {
    this.pending = choice;
    if (this.ready) this.#choose(choice);
  }

  #choose(choice) {
    this.pending = undefined;
    const { method = "saliency", target = null, ...params } = choice ?? {};
    const wrong = [];
    if (target !== null && !(target < this.model.classes.length)) wrong.push(`class ${target}`);
    else this.target = target;
    this.targetSelect.value = this.target === null ? "" : String(this.target);
    for (const opt of Object.values(OPTIONS).flat()) {
      const value = choice ? params[opt.name] : opt.initial;
      if (value === undefined) continue;
      if (opt.values.includes(value)) this.params[opt.name] = value;
      else wrong.push(`${opt.name} ${value}`);
    }
    if (METHODS.some((m) => m.id === method)) this.#setMethod(method, { ask: false });
    else wrong.push(`method "${method}"`);
    this.#renderOptions();
    this.#request(true);
    if (wrong.length) this.on.notice?.(`This link asks the explanation for ${wrong.join(", ")}, which ${this.model.id} does not offer: showing the defaults instead.`);
  }

  #setMethod(id, { ask = true } = {}) {
    this.method = id;
    for (const b of this.methodButtons) b.setAttribute("aria-checked", String(b.dataset.method === id));
    this.#renderOptions();
    if (ask) this.#request(true);
  }

  #renderOptions() {
    const method = METHODS.find((m) => m.id === this.method);
    this.about.textContent = method.about;
    this.root.dataset.method = this.method;
    const fields = (OPTIONS[this.method] || []).map((opt) => {
      const select = h(
        "select",
        {
          dataset: { testid: `explain-${opt.name}` },
          onchange: () => {
            this.params[opt.name] = Number(select.value);
            this.#request(true);
            this.on.changed?.();
          },
        },
        opt.values.map((v) => h("option", { value: String(v), selected: v === this.params[opt.name] }, opt.format ? opt.format(v) : String(v))),
      );
      return h("label", { class: "explain-field" }, h("span", {}, opt.label), select);
    });
    this.optionsBox.replaceChildren(...fields);
  }

  #request(urgent) {
    if (!this.model || !this.result) return;
    const body = this.photo ? { image: this.photo } : { pixels: this.result.input, preprocess: false };
    if (body.pixels && isPlanes(body.pixels)) body.pixels = pixelsOf(body.pixels); // a photo's planes, as H×W×3
    if (this.target !== null) body.target = this.target;
    if (this.method === "gradcam" && this.params.layer !== null) body.layer = this.params.layer;
    if (this.method === "occlusion") Object.assign(body, { patch: this.params.patch, stride: this.params.stride });
    if (this.method === "integrated-gradients") body.steps = this.params.steps;
    const payload = { model: this.model.id, method: this.method, body };
    this.root.classList.add("is-busy");
    this.runner.request(() => payload, { urgent });
  }

  #show(answer, payload) {
    this.root.classList.remove("is-busy");
    if (!this.result || payload.method !== this.method) return;
    const signed = answer.signed;
    const scale = makeScale(signed ? "diverging" : "sequential", answer.min, answer.max);
    this.answer = { answer, scale };
    this.#paint();
    this.legend.render(scale, METHODS.find((m) => m.id === answer.method).label.toLowerCase());
    this.figure.classList.remove("is-empty");
    this.heading.textContent = answer.predicted_label;
    this.caption.textContent = describe(answer);
    this.root.dataset.shown = answer.method;
    this.root.dataset.target = String(answer.target);
    document.body.dataset.explainRenders = String(Number(document.body.dataset.explainRenders || 0) + 1);
  }

  // A photo's overlay at the chosen opacity (a digit's keeps its fixed one).
  #paint() {
    if (!this.answer) return;
    const { answer, scale } = this.answer;
    const photo = isPlanes(answer.input);
    this.opacityField.hidden = !photo;
    this.figure.classList.toggle("is-photo", photo);
    const opacity = photo ? Number(this.opacity.value) / 100 : undefined;
    paintOverlay(this.canvas, answer.input, answer.map, scale, opacity);
  }

  #opacityChanged() {
    this.opacityValue.textContent = `${this.opacity.value} %`;
    this.opacity.setAttribute("aria-valuetext", `${this.opacity.value} per cent`);
    this.#paint();
  }

  #fail(err) {
    this.root.classList.remove("is-busy");
    this.on.error(err.message);
  }

  #idle() {
    this.figure.classList.add("is-empty");
    this.canvas.getContext("2d").clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.answer = null;
    const photo = isColourModel(this.model);
    this.caption.textContent = photo ? "Choose a photo to see which pixels the network used." : "Draw a digit, or pick one from the gallery, to see which pixels the network used.";
    delete this.root.dataset.shown;
  }
}

function describe(a) {
  const cls = `class ${a.label}`;
  const score = `${a.score_kind} ${num(a.score)}`;
  switch (a.method) {
    case "gradcam":
      return `Grad-CAM of ${cls} (${score}) at ${a.layer_name}, a ${a.layer_shape.join("×")} layer, ${a.upsample} upsampled.`;
    case "occlusion":
      return `Probability drop of ${cls} (${score}) when a ${a.patch}×${a.patch} patch hides each region; largest drop ${num(a.max)}.`;
    case "integrated-gradients":
      return `Attributions of ${cls}: they sum to ${num(a.total)} ≈ logit ${num(a.score)} − blank-input logit ${num(a.baseline_score)} (error ${num(a.delta)}, ${a.steps} steps).`;
    default:
      return `Saliency of ${cls} (${score}): brighter pixels change the score most.`;
  }
}
