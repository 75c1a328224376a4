// The filters page: pick a model and a conv layer; every filter's weights (a colour model's
// first layer in colour), the input it likes most and its top-activating images (the model's
// data set, or the bundled photos), each fetched from the API as it becomes ready; a unit's
// regularised feature visualisation on demand.

import { api, installedModels, pickModel } from "../../shared/api.js";
import { chooseModel } from "../../shared/current-model.js";
import { explain as config } from "../../shared/config.js";
import { h } from "../../shared/dom.js";
import { FilterCards } from "./filter-cards.js";
import { keepFilterInLink } from "./link.js";
import { YourPhotos } from "./photos.js";
import { StatusView } from "../../shared/status.js";
import { linkNotice } from "../../shared/url-state.js";

const $ = (selector) => document.querySelector(selector);
const status = new StatusView($('[data-testid="error"]'));
const modelSelect = $("#filters-model");
const layerGroup = $('[data-testid="filters-layer"]');
const note = $("#filters-note");
const cards = new FilterCards($("#filter-cards"));
const filterLink = keepFilterInLink($("#filter-cards"));
let shownLayer = null; // [model, info] on screen
const photos = new YourPhotos({
  ranked: (answer) => {
    cards.showTop(answer);
    note.textContent = `${answer.name}: the top ${answer.k} of your photos for each filter.`;
    document.body.dataset.photosShown = String(answer.layer);
  },
  reset: () => shownLayer && showLayer(...shownLayer),
  failed: (message) => status.error(message),
});
note.after(photos.el);
let generation = 0;

// `push`: a person chose the layer (a history entry, so Back returns to the one before).
async function showLayer(model, info, { push = false } = {}) {
  const mine = ++generation;
  for (const b of layerGroup.children) b.setAttribute("aria-checked", String(Number(b.dataset.index) === info.index));
  note.textContent = `${info.name}: ${info.output_shape[0]} filters.`;
  chooseModel(model.id);
  const url = new URL(window.location.href);
  url.searchParams.set("layer", String(info.index));
  if (url.href !== window.location.href) history[push ? "pushState" : "replaceState"](null, "", url);
  let filters;
  try {
    filters = await api.filters(model.id, info.index);
  } catch (err) {
    status.error(err.message);
    return;
  }
  if (mine !== generation) return;
  const colour = model.input_shape[0] === 3 ? { bgr: model.input?.channels === "bgr" } : null;
  cards.render(info, filters, colour, (unit) => api.visualise(model.id, info.index, unit));
  shownLayer = [model, info];
  photos.show(model.id, info.index, colour !== null);
  filterLink.shown();
  document.body.dataset.filtersLayer = String(info.index);
  const top = api.topActivations(model.id, info.index, config.topK).then(
    (answer) => {
      if (mine !== generation) return;
      cards.showTop(answer);
      note.textContent = `${info.name}: ${info.output_shape[0]} filters · top ${answer.dataset} images ${answer.cached ? "from the cache" : `computed in ${answer.seconds} s`}.`;
      document.body.dataset.topShown = String(info.index);
    },
    (err) => mine === generation && cards.failed("top", err.message),
  );
  const maximised = api.maximise(model.id, info.index).then(
    (answer) => {
      if (mine !== generation) return;
      cards.showMaximised(answer);
      document.body.dataset.maximiseShown = String(info.index);
    },
    (err) => mine === generation && cards.failed("max", err.message),
  );
  await Promise.all([top, maximised]);
}

async function selectModel(id, wantedLayer) {
  let model;
  try {
    model = await api.model(id);
  } catch (err) {
    status.error(err.message);
    return;
  }
  const convs = model.layers.filter((l) => l.type === "conv2d");
  layerGroup.replaceChildren(
    ...convs.map((info) =>
      h(
        "button",
        {
          type: "button",
          class: "segment",
          role: "radio",
          dataset: { index: String(info.index) },
          onclick: () => showLayer(model, info, { push: true }),
        },
        `${info.name} (${info.output_shape[0]} filters)`,
      ),
    ),
  );
  if (!convs.length) {
    cards.container.replaceChildren(h("p", { class: "muted" }, "This model has no convolution layers."));
    return;
  }
  const wanted = convs.find((l) => l.index === wantedLayer);
  if (wantedLayer !== null && !wanted) linkNotice(`This link names layer ${wantedLayer}, which is not a convolution layer of ${model.id}: showing ${convs[0].name}.`);
  showLayer(model, wanted ?? convs[0]);
  shownModel = model;
}

// Back/Forward: the layer the address names now.
let shownModel = null;
window.addEventListener("popstate", () => {
  const index = Number(new URLSearchParams(window.location.search).get("layer"));
  const info = shownModel?.layers.find((l) => l.index === index && l.type === "conv2d");
  if (info && String(info.index) !== document.body.dataset.filtersLayer) showLayer(shownModel, info);
});

async function start() {
  const list = await installedModels(status);
  if (!list) return;
  if (!list.models.length) {
    status.error("No models are installed.");
    return;
  }
  const params = new URLSearchParams(window.location.search);
  const id = pickModel(list);
  modelSelect.replaceChildren(...list.models.map((m) => h("option", { value: m.id, selected: m.id === id }, m.name)));
  modelSelect.disabled = list.models.length < 2;
  modelSelect.addEventListener("change", () => selectModel(modelSelect.value, null));
  await selectModel(id, params.has("layer") ? Number(params.get("layer")) : null);
}

start();
