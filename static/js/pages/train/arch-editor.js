// The architecture editor: a list of layers to add, remove, reorder and configure. It keeps
// the layer specs ({type, name?, config, inputs?}) and shows what the engine says about them —
// each layer's output shape and parameter count, or why a layer does not fit — never
// computing a shape itself. A layer reads the one above it unless it lists `inputs` (layer
// indices, -1 = the network input): merge layers (add, concat, ...) read two, and any layer
// can branch off an earlier one. Skip connections are drawn beside the list (arch-links.js).

import { h } from "../../shared/dom.js";
import { count, shape } from "../../shared/format.js";
import { drawLinks } from "./arch-links.js";

// The config fields the editor offers per layer type: [key, label, default]. A `null`
// default leaves the field empty (the engine's default applies; shown as the placeholder).
const FIELDS = {
  conv2d: [
    ["out_channels", "filters", 8],
    ["kernel_size", "kernel", 3],
    ["stride", "stride", 1],
    ["padding", "padding", 0],
  ],
  maxpool2d: [
    ["kernel_size", "window", 2],
    ["stride", "stride", null],
  ],
  avgpool2d: [
    ["kernel_size", "window", 2],
    ["stride", "stride", null],
  ],
  minpool2d: [
    ["kernel_size", "window", 2],
    ["stride", "stride", null],
  ],
  dense: [["out_features", "units", 10]],
  batchnorm2d: [["momentum", "momentum", null]],
  batchnorm1d: [["momentum", "momentum", null]],
  dropout: [["p", "drop p", 0.25]],
  leakyrelu: [["negative_slope", "slope", null]],
  elu: [["alpha", "alpha", null]],
  concat: [["dim", "dim", 1]],
};
// Layers that read two inputs; the editor gives them a second one to choose.
export const MERGES = new Set(["add", "sub", "mul", "div", "concat"]);
const PLACEHOLDER = { stride: "auto", momentum: "0.1 or none", negative_slope: "0.01", alpha: "1.0" };
const DESCRIPTION = {
  conv2d: "convolution",
  relu: "ReLU",
  maxpool2d: "max pooling",
  avgpool2d: "average pooling",
  minpool2d: "min pooling",
  globalavgpool: "global average pooling",
  globalmaxpool: "global max pooling",
  flatten: "flatten",
  dense: "dense",
  softmax: "softmax",
  batchnorm2d: "batch norm",
  batchnorm1d: "batch norm",
  dropout: "dropout",
  leakyrelu: "leaky ReLU",
  elu: "ELU",
  sigmoid: "sigmoid",
  tanh: "tanh",
  logsoftmax: "log-softmax",
  add: "sum of two inputs (a residual join)",
  sub: "difference",
  mul: "product",
  div: "quotient",
  concat: "channels side by side",
  identity: "identity",
};

export function defaultSpec(type) {
  const config = {};
  for (const [key, , value] of FIELDS[type] ?? []) if (value !== null) config[key] = value;
  return { type, config };
}

// A config value as the form shows it: a square pair [k, k] as one number.
function shown(value) {
  if (value === null) return "none"; // e.g. batch norm's momentum: PyTorch's cumulative average
  if (Array.isArray(value) && value.length === 2 && value[0] === value[1]) return value[0];
  return value;
}

export class ArchEditor {
  // list: the <ol>; summary: a line under it; types: the layer types; on: { change(specs) }
  constructor(list, summary, types, on) {
    this.list = list;
    this.summary = summary;
    this.types = types;
    this.on = on;
    this.specs = [];
    this.report = null;
    this.disabled = false;
  }

  // specs: the API's vocabulary; `inputs` by name or index become indices here.
  setSpecs(specs) {
    const index = new Map(specs.map((s, i) => [s.name, i]).filter(([n]) => n));
    const ref = (r) => (r === "input" ? -1 : typeof r === "string" ? (index.get(r) ?? -1) : r);
    this.specs = specs.map((s) => {
      const spec = { type: s.type, name: s.name, config: { ...(s.config || {}) } };
      if (Array.isArray(s.inputs)) spec.inputs = s.inputs.map(ref);
      return spec;
    });
    this.report = null;
    this.render();
    this.on.change(this.specs);
  }

  // Plain specs for the API: {type, name?, config, inputs?}.
  value() {
    return this.specs.map((s) => {
      const spec = { type: s.type, config: s.config };
      if (s.name) spec.name = s.name;
      if (s.inputs) spec.inputs = [...s.inputs];
      return spec;
    });
  }

  // Where a new merge layer at `i` reads from: the layer above, and the nearest earlier layer
  // whose output (as the engine last reported it) has the same shape — a block's input.
  defaultInputs(i, type) {
    const prev = i - 1;
    if (type === "concat") return [prev, Math.max(-1, i - 2)];
    const layers = this.report?.layers ?? [];
    const want = JSON.stringify(layers[prev]?.output_shape);
    for (let j = prev - 2; j >= 0; j--) {
      if (want !== undefined && JSON.stringify(layers[j]?.output_shape) === want) return [prev, j];
    }
    return [prev, Math.max(-1, i - 3)];
  }

  setInput(i, k, value) {
    this.specs[i].inputs[k] = Number(value);
    this.changed(i, `input-${k}`);
  }

  // Give a one-input layer an explicit input (a branch off an earlier layer), or take it away.
  toggleBranch(i) {
    const spec = this.specs[i];
    if (spec.inputs) delete spec.inputs;
    else spec.inputs = [i - 1];
    this.changed(i, "branch");
  }

  // After layers move: every reference to old index j goes to map(j).
  remap(map) {
    for (const spec of this.specs) if (spec.inputs) spec.inputs = spec.inputs.map((j) => (j < 0 ? j : map(j)));
  }

  add(type) {
    const spec = defaultSpec(type);
    if (MERGES.has(type)) spec.inputs = this.defaultInputs(this.specs.length, type);
    this.specs.push(spec);
    this.changed(this.specs.length - 1);
  }

  remove(i) {
    const removed = this.specs[i];
    const source = removed.inputs?.[0] ?? i - 1; // readers of the removed layer read its input
    this.specs.splice(i, 1);
    this.remap((j) => (j === i ? source : j > i ? j - 1 : j));
    this.changed(Math.min(i, this.specs.length - 1));
  }

  move(i, by) {
    const j = i + by;
    if (j < 0 || j >= this.specs.length) return;
    [this.specs[i], this.specs[j]] = [this.specs[j], this.specs[i]];
    this.remap((k) => (k === i ? j : k === j ? i : k));
    this.changed(j, by < 0 ? "up" : "down");
  }

  setType(i, type) {
    const spec = { ...defaultSpec(type), name: undefined };
    if (MERGES.has(type)) spec.inputs = this.defaultInputs(i, type);
    this.specs[i] = spec;
    this.changed(i, "type");
  }

  setField(i, key, raw) {
    const config = this.specs[i].config;
    const text = raw.trim();
    if (text === "") delete config[key];
    else if (/^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(text)) config[key] = Number(text);
    else if (/^none$/i.test(text)) config[key] = null; // momentum "none": the cumulative average
    else config[key] = text; // e.g. padding "same": the engine decides
    this.on.change(this.specs);
  }

  changed(focusIndex, focusWhat) {
    this.render();
    this.on.change(this.specs);
    if (focusIndex >= 0) {
      const row = this.list.children[focusIndex];
      const target =
        focusWhat === "type"
          ? row?.querySelector("select")
          : row?.querySelector(`[data-action="${focusWhat ?? "remove"}"]`);
      target?.focus();
    }
  }

  // Draw the skip connections: from each layer a non-adjacent input comes from.
  links() {
    drawLinks(this.list, this.specs, this.report);
  }

  setDisabled(disabled) {
    this.disabled = disabled;
    for (const el of this.list.querySelectorAll("input, select, button")) el.disabled = disabled;
  }

  // The engine's report: { valid, error, error_layer, layers: [LayerInfo], num_params, ... }
  showReport(report) {
    this.report = report;
    const rows = [...this.list.children];
    rows.forEach((row, i) => {
      const info = report.layers[i];
      const out = row.querySelector(".layer-out");
      const msg = row.querySelector(".layer-error");
      const bad = report.error_layer === i;
      row.classList.toggle("invalid", bad);
      row.classList.toggle("unknown", !info && !bad);
      row.querySelector(".layer-name").textContent = info ? info.name : "";
      const kind = row.querySelector(".layer-kind");
      kind.hidden = Boolean(info) && info.name.toLowerCase() === kind.textContent.toLowerCase();
      out.textContent = info
        ? `→ ${shape(info.output_shape)}${info.num_params ? ` · ${count(info.num_params)} params` : ""}`
        : bad
          ? "does not fit"
          : "";
      msg.hidden = !bad;
      msg.textContent = bad ? report.error : "";
      row.querySelector("select").setAttribute("aria-invalid", String(bad));
      for (const option of row.querySelectorAll(".layer-inputs option")) {
        const j = Number(option.value);
        option.textContent = inputLabel(j, this.specs, report);
      }
    });
    this.links();
    const s = this.summary;
    s.classList.toggle("invalid", !report.valid);
    if (report.valid) {
      s.textContent = `${report.layers.length} layers · output ${shape(report.output_shape)} · ${count(report.num_params)} parameters · about ${report.step_megabytes} MB per training step`;
    } else if (report.error_layer === null) {
      s.textContent = report.error;
    } else {
      s.textContent = `Layer ${report.error_layer} does not fit: see the message under it.`;
    }
  }

  render() {
    const rows = this.specs.map((spec, i) => this.row(spec, i));
    this.list.replaceChildren(...rows);
    if (this.disabled) this.setDisabled(true);
    this.links();
  }

  // The "reads" selects of a layer with explicit inputs: every earlier layer, or the input.
  inputsField(spec, i) {
    if (!spec.inputs) return null;
    const choices = [-1, ...Array.from({ length: i }, (_, j) => j)];
    const selects = spec.inputs.map((value, k) =>
      h(
        "select",
        {
          "aria-label": `Layer ${i} input ${k + 1}`,
          dataset: { action: `input-${k}`, testid: "layer-input" },
          onchange: (e) => this.setInput(i, k, e.target.value),
        },
        choices.map((j) => h("option", { value: j, selected: j === value }, inputLabel(j, this.specs, this.report))),
      ),
    );
    const joins = spec.inputs.some((j) => j !== i - 1);
    return h(
      "div",
      { class: "layer-inputs", dataset: { testid: "layer-inputs" } },
      h("span", { class: "muted" }, joins ? "joins" : "reads"),
      ...selects.flatMap((el, k) => (k ? [h("span", { class: "muted" }, "and"), el] : [el])),
    );
  }

  row(spec, i) {
    const last = this.specs.length - 1;
    const typeSelect = h(
      "select",
      { "aria-label": `Layer ${i} type`, onchange: (e) => this.setType(i, e.target.value) },
      this.types.map((t) => h("option", { value: t, selected: t === spec.type }, t)),
    );
    const fields = (FIELDS[spec.type] ?? []).map(([key, label]) =>
      h(
        "label",
        { class: "field" },
        h("span", {}, label),
        h("input", {
          type: "text",
          inputmode: "numeric",
          size: 3,
          name: key,
          value: shown(spec.config[key]) ?? "",
          placeholder: PLACEHOLDER[key] ?? "",
          "aria-label": `Layer ${i} ${label}`,
          oninput: (e) => this.setField(i, key, e.target.value),
        }),
      ),
    );
    const button = (action, label, text, onclick, disabled) =>
      h(
        "button",
        { type: "button", class: "icon-button", "aria-label": label, title: label, dataset: { action }, onclick, disabled },
        text,
      );
    return h(
      "li",
      { class: "layer-row", dataset: { testid: "layer-row", type: spec.type } },
      h("span", { class: "layer-index" }, i),
      h("div", { class: "layer-main" },
        h("div", { class: "layer-head" },
          typeSelect,
          h("span", { class: "layer-name muted" }),
          h("span", { class: "layer-kind muted" }, DESCRIPTION[spec.type] ?? ""),
        ),
        fields.length ? h("div", { class: "layer-fields" }, fields) : null,
        this.inputsField(spec, i),
        h("p", { class: "layer-error", role: "alert", hidden: true }),
      ),
      h("span", { class: "layer-out num", dataset: { testid: "layer-shape" } }),
      h("span", { class: "layer-buttons" },
        MERGES.has(spec.type) || i === 0
          ? null
          : button("branch", spec.inputs ? `Layer ${i} reads the layer above again` : `Layer ${i} reads an earlier layer (a branch)`, "↰", () => this.toggleBranch(i)),
        button("up", `Move layer ${i} up`, "↑", () => this.move(i, -1), i === 0),
        button("down", `Move layer ${i} down`, "↓", () => this.move(i, 1), i === last),
        button("remove", `Remove layer ${i}`, "✕", () => this.remove(i), this.specs.length === 1),
      ),
    );
  }
}

// "3 · relu2": an input choice, named as the engine last named the layer.
function inputLabel(j, specs, report) {
  if (j < 0) return "input";
  const name = report?.layers?.[j]?.name ?? specs[j]?.name ?? specs[j]?.type ?? "?";
  return `${j} · ${name}`;
}
