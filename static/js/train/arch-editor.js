// The architecture editor: a list of layers to add, remove, reorder and configure. It keeps
// the layer specs ({type, name?, config}) and shows what the engine says about them — each
// layer's output shape and parameter count, or why a layer does not fit — never computing a
// shape itself.

import { h } from "../dom.js";
import { count, shape } from "../format.js";

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
};
const PLACEHOLDER = { stride: "auto" };
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
};

export function defaultSpec(type) {
  const config = {};
  for (const [key, , value] of FIELDS[type] ?? []) if (value !== null) config[key] = value;
  return { type, config };
}

// A config value as the form shows it: a square pair [k, k] as one number.
function shown(value) {
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

  setSpecs(specs) {
    this.specs = specs.map((s) => ({ type: s.type, name: s.name, config: { ...(s.config || {}) } }));
    this.report = null;
    this.render();
    this.on.change(this.specs);
  }

  // Plain specs for the API: {type, name?, config}.
  value() {
    return this.specs.map((s) => (s.name ? { ...s } : { type: s.type, config: s.config }));
  }

  add(type) {
    this.specs.push(defaultSpec(type));
    this.changed(this.specs.length - 1);
  }

  remove(i) {
    this.specs.splice(i, 1);
    this.changed(Math.min(i, this.specs.length - 1));
  }

  move(i, by) {
    const j = i + by;
    if (j < 0 || j >= this.specs.length) return;
    [this.specs[i], this.specs[j]] = [this.specs[j], this.specs[i]];
    this.changed(j, by < 0 ? "up" : "down");
  }

  setType(i, type) {
    this.specs[i] = { ...defaultSpec(type), name: undefined };
    this.changed(i, "type");
  }

  setField(i, key, raw) {
    const config = this.specs[i].config;
    if (raw === "") delete config[key];
    else if (/^-?\d+$/.test(raw.trim())) config[key] = Number(raw);
    else config[key] = raw.trim(); // e.g. padding "same": the engine decides
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
    });
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
        h("p", { class: "layer-error", role: "alert", hidden: true }),
      ),
      h("span", { class: "layer-out num", dataset: { testid: "layer-shape" } }),
      h("span", { class: "layer-buttons" },
        button("up", `Move layer ${i} up`, "↑", () => this.move(i, -1), i === 0),
        button("down", `Move layer ${i} down`, "↓", () => this.move(i, 1), i === last),
        button("remove", `Remove layer ${i}`, "✕", () => this.remove(i), this.specs.length === 1),
      ),
    );
  }
}
