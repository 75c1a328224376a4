// The numbers of a layer that has no picture of its own: batch norm's per-channel scale,
// shift and running statistics, an element-wise layer's constant. A collapsed table under the
// layer's maps (data-testid="layer-numbers"), fetched when first opened, with one line on
// what the numbers do.

import { api } from "../../shared/api.js";
import { h } from "../../shared/dom.js";

const LABEL = {
  weight: "γ scale",
  bias: "β shift",
  running_mean: "running mean",
  running_var: "running variance",
  constant: "constant",
};
const WHAT = {
  batchnorm2d: "out = γ · (x − running mean) / √(running variance + ε) + β, per channel",
  batchnorm1d: "out = γ · (x − running mean) / √(running variance + ε) + β, per feature",
  add: "out = x + constant (broadcast over the positions).",
  sub: "out = x − constant (or constant − x).",
  mul: "out = x · constant.",
  div: "out = x / constant (or constant / x).",
};
const MAX_COLUMNS = 64;

// Layers whose numbers are worth a table: normalisation statistics and constants.
export function hasNumbers(info) {
  return info.type.startsWith("batchnorm") || Boolean(info.config?.constant_shape);
}

const fmt = (v) => (Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.001) ? v.toExponential(2) : v.toFixed(3));

function table(state) {
  const rows = state.arrays.map((a) => {
    const flat = a.values === null ? null : [a.values].flat(Infinity);
    const cells =
      flat === null
        ? [h("td", { colspan: 2 }, `${a.shape.join("×")} values: min ${fmt(a.min)} · mean ${fmt(a.mean)} · max ${fmt(a.max)}`)]
        : flat.slice(0, MAX_COLUMNS).map((v) => h("td", { class: "num" }, fmt(v)));
    const more = flat && flat.length > MAX_COLUMNS ? h("td", { class: "muted" }, `+${flat.length - MAX_COLUMNS} more`) : null;
    return h("tr", { dataset: { array: a.name } }, h("th", { scope: "row" }, LABEL[a.name] ?? a.name), ...cells, more);
  });
  const width = Math.max(...state.arrays.map((a) => (a.values === null ? 0 : Math.min([a.values].flat(Infinity).length, MAX_COLUMNS))));
  const head = h("tr", {}, h("th", {}, ""), ...Array.from({ length: width }, (_, i) => h("th", { class: "num" }, i)));
  return h("div", { class: "numbers-scroll" }, h("table", { class: "numbers" }, h("thead", {}, head), h("tbody", {}, ...rows)));
}

// A <details> that loads GET /api/models/{id}/layers/{index}/state when first opened.
export function numbersPanel(modelId, info) {
  const body = h("div", { class: "numbers-body" }, h("p", { class: "muted" }, "Loading…"));
  const details = h(
    "details",
    { class: "layer-numbers", dataset: { testid: "layer-numbers" } },
    h("summary", {}, `Its numbers (${info.num_params || "no"} trained${info.type.startsWith("batchnorm") ? ", plus running statistics" : ""})`),
    h("p", { class: "numbers-what" }, (WHAT[info.type] ?? "") + (info.config.eps ? `, ε = ${info.config.eps}.` : "")),
    body,
  );
  let loaded = false;
  details.addEventListener("toggle", async () => {
    if (!details.open || loaded) return;
    loaded = true;
    try {
      const state = await api.layerState(modelId, info.index);
      body.replaceChildren(table(state));
    } catch (err) {
      loaded = false;
      body.replaceChildren(h("p", { class: "bad" }, err.message));
    }
  });
  return details;
}
