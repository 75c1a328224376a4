// The explorer page: a person draws, and sees the network think. This module only wires
// the pieces together: the drawing pad, the API, and the views.

import { api, installedModels, pickModel } from "../../shared/api.js";
import { chooseModel } from "../../shared/current-model.js";
import { inkScale } from "../../shared/colormap.js";
import { drawing, gallery as galleryConfig, live, maps } from "../../shared/config.js";
import { setStyle } from "../../shared/dom.js";
import { DrawingPad } from "../../shared/draw.js";
import { num } from "../../shared/format.js";
import { LatestWins } from "../../shared/latest-wins.js";
import { ReceptiveFields } from "./fields.js";
import { OverviewController } from "./overview/controller.js";
import { DrawingControls } from "./drawing-controls.js";
import { FiltersView } from "./filters.js";
import { GalleryView } from "./gallery.js";
import { Inspector, sourceConv } from "./inspector.js";
import { LayersView } from "./layers.js";
import { keepSelectionInLink } from "./link-state.js";
import { ModelPicker } from "./model-picker.js";
import { NetworkInputView } from "./network-input.js";
import { PhotoMode } from "./photo-mode.js";
import { PredictionView } from "./prediction.js";
import { StatusView } from "../../shared/status.js";
import { SummaryView } from "./summary.js";
import { decodeStrokes, encodeStrokes, linkNotice, readFragment, writeFragment } from "../../shared/url-state.js";

const $ = (selector) => document.querySelector(selector);
const byTestId = (id) => $(`[data-testid="${id}"]`);

setStyle(document.documentElement, {
  "--pad-size": `${drawing.size}px`,
  "--input-size": `${maps.networkInputSize}px`,
});

const state = {
  model: null, // ModelDetail of the selected model
  filters: new Map(), // layer index -> Promise of its /filters
  result: null, // the latest activations response
  galleryItem: null, // the gallery digit in the pad, while it is the whole drawing
  galleryDataset: null,
  galleryLoad: null, // Promise of the first gallery page
  galleryOffset: 0,
  galleryTotal: 0,
  strokeEndedAt: null, // performance.now() of the last stroke's end, until its result is drawn
  fields: null, // ReceptiveFields of the model: boxes from the API
};

const status = new StatusView(byTestId("error"));
const pad = new DrawingPad(byTestId("draw-canvas"), drawing);
new DrawingControls(pad, byTestId("undo"), byTestId("clear"));
const prediction = new PredictionView($(".prediction-card"));
const photos = new PhotoMode({ change: () => run({ urgent: true }) }, prediction); // colour models
const networkInput = new NetworkInputView(
  [...document.querySelectorAll(".input-frame")],
  $("#rf-caption"),
);
const summary = new SummaryView($("#summary-table"), $("#model-facts"));
const picker = new ModelPicker(byTestId("model-select"), { change: (id) => selectModel(id) });
let layers = null;
const overview = new OverviewController(byTestId("network-overview"), { error: (m) => status.error(m), opened: (index) => link.unitChanged({ push: index !== null }), folded: () => link.blocksChanged() });

// -- hovering units and inspecting maps -----------------------------------------------------

let hovered = null; // the unit the pointer is over in the cards, while its boxes load

async function hover(index, channel, row, col) {
  layers?.clearHighlights();
  hovered = index === null || !state.model ? null : {};
  if (!hovered) {
    networkInput.highlight(null);
    return;
  }
  const token = hovered;
  layers.highlight(index, { rows: [row, row], cols: [col, col] });
  const output = layers.block(index).output;
  if (output) {
    const [, H, W] = output.shape;
    layers.readout(index, `channel ${channel} · unit (${row}, ${col}) = ${num(output.values[(channel * H + row) * W + col], 4)}`);
  }
  const fields = state.fields;
  const [previous, input] = await Promise.all([
    index > 0 ? fields.region(index, row, col, index - 1) : null,
    fields.region(index, row, col, -1),
  ]);
  if (hovered !== token || fields !== state.fields) return; // the pointer moved on
  if (index > 0) layers.highlight(index - 1, previous);
  networkInput.highlight(input);
}

const inspector = new Inspector({ hover, close: () => closeInspector() });
const link = keepSelectionInLink({ model: () => state.model, inspector, inspect, closeInspector, overview });

function inspect(index, channel) {
  const block = layers.block(index);
  const src = sourceConv(state.model.layers, index);
  inspector.show({
    block,
    channel,
    layers: state.model.layers,
    inputOf,
    fields: state.fields,
    filters: src ? loadFilters(src.index) : null,
  });
  layers.select(index, channel);
  block.el.scrollIntoView({ block: "nearest", behavior: "smooth" });
  link.mapChanged();
}

function closeInspector() {
  const selection = inspector.selection;
  inspector.close();
  layers?.select(-1, -1);
  hover(null);
  if (selection) layers.block(selection.index).view.items?.[selection.channel]?.button.focus();
  link.mapChanged({ push: false });
}

// What layer `index` was given: the network input, or the previous layer's output.
function inputOf(index) {
  if (!state.result) return null;
  if (index === 0) {
    const input = state.result.input; // H×W, or a colour model's C×H×W
    return { name: "input", scale: inkScale(), grid: (c) => (photos.active ? input[c] : input) };
  }
  const prev = layers.block(index - 1);
  if (!prev.output) return null;
  return { name: prev.info.name, scale: prev.scale, grid: (c) => prev.output.data[c] }; // nested, made once
}

function loadFilters(index) {
  if (!state.filters.has(index)) {
    const promise = api.filters(state.model.id, index).catch((err) => {
      status.error(err.message);
      state.filters.delete(index);
      return null;
    });
    state.filters.set(index, promise);
  }
  return state.filters.get(index);
}

// -- running the network ----------------------------------------------------------------------

const runner = new LatestWins({
  minIntervalMs: live.minIntervalMs,
  abortStale: true, // a stroke's end does not wait behind the last mid-stroke request...
  same: sameInput, // ...nor ask again what that request already asks
  run: (payload, signal) => api.activationsPacked(state.model.id, payload.body, signal, "float32", overview.query()),
  onResult: (result, payload) => {
    payload.answeredAt = performance.now();
    status.clear();
    show(result, payload.body);
    if (state.strokeEndedAt !== null && payload.madeAt >= state.strokeEndedAt) {
      const started = state.strokeEndedAt;
      state.strokeEndedAt = null;
      // where the time went: the drawing made into a request, the request answered
      performance.measure("explorer:stroke-to-request", { start: started, end: payload.madeAt });
      performance.measure("explorer:request", { start: payload.madeAt, end: payload.answeredAt });
      requestAnimationFrame(() => {
        performance.measure("explorer:stroke-to-render", { start: started, end: performance.now() });
      });
    }
  },
  onError: (err) => (photos.active ? (photos.error(err.message), resetOutputs()) : status.error(err.message)),
});

// The request body for what the pad holds now: a gallery digit's exact pixels while it is
// untouched, otherwise the drawing as a PNG for the server to preprocess.
function currentInput() {
  const item = state.galleryItem;
  if (photos.active) return { body: photos.body(), madeAt: performance.now() };
  const body =
    item && pad.isBaseOnly
      ? { pixels: item.pixels, preprocess: false }
      : { image: pad.toDataURL(), preprocess: true };
  return { body, madeAt: performance.now() };
}

// Whether two request bodies are the same drawing (the PNG of the same strokes, or the same
// gallery digit's pixels).
function sameInput(a, b) {
  return a.body.image === b.body.image && a.body.pixels === b.body.pixels && a.body.preprocess === b.body.preprocess;
}

function run({ urgent }) {
  if (!state.model) return;
  if (photos.active ? !photos.ready : pad.isEmpty) {
    runner.cancel();
    resetOutputs();
    return;
  }
  runner.request(currentInput, { urgent });
}

function show(result, body) {
  const start = performance.now();
  state.result = result;
  prediction.render(result);
  networkInput.render(result.input);
  photos.render(result);
  overview.render(result, body);
  layers.render(result.layers);
  inspector.update();
  document.body.dataset.renders = String(Number(document.body.dataset.renders || 0) + 1);
  document.dispatchEvent(new CustomEvent("explorer:result", { detail: { model: state.model, result, body } }));
  performance.measure("explorer:render", { start, end: performance.now() });
}

function resetOutputs() {
  state.result = null;
  document.dispatchEvent(new CustomEvent("explorer:result", { detail: { model: state.model, result: null } }));
  prediction.reset();
  networkInput.reset();
  photos.reset();
  overview.reset();
  if (state.model && layers) {
    inspector.close();
    layers.reset(); // keeps the blocks and their canvases: rebuilding them all costs more
  }
}

// While a person draws, Chromium skips the sections off screen (explorer.css,
// .skip-offscreen): each frame of a stroke otherwise re-laid and repainted the whole long page,
// taking a core from the drawing's own request. Nothing off screen changes meanwhile (the
// cards and sections there wait until they are on screen), so each keeps its real size; a
// moment after the last stroke (live.skipOffscreenMs) the page is whole again.
let drawingTimer = null;
function whileDrawing() {
  document.body.classList.add("skip-offscreen");
  clearTimeout(drawingTimer);
  drawingTimer = setTimeout(() => document.body.classList.remove("skip-offscreen"), live.skipOffscreenMs);
}

pad.addEventListener("draw", () => {
  whileDrawing();
  syncGallery();
  run({ urgent: false });
});
pad.addEventListener("strokeend", () => {
  whileDrawing();
  state.strokeEndedAt = performance.now();
  run({ urgent: true });
  keepStrokes();
});
pad.addEventListener("change", () => {
  syncGallery();
  run({ urgent: true });
  keepStrokes();
});

// The strokes in the address (url-state.js): each change a history entry, so Back undoes it and
// a copied link draws the same digit. A gallery digit is in the query (?gallery=) instead.
let restoring = false;
function keepStrokes() {
  if (!restoring) writeFragment({ strokes: pad.hasBase ? null : encodeStrokes(pad.strokes) }, { push: true });
}

function restoreStrokes() {
  const text = readFragment().get("strokes");
  const strokes = decodeStrokes(text);
  if (strokes === null) linkNotice("The drawing in this link could not be read; draw a digit instead.");
  if (!strokes?.length && !text && (pad.hasBase || pad.isEmpty)) return;
  restoring = true;
  if (strokes?.length) pad.setStrokes(strokes);
  else pad.clear();
  restoring = false;
}
window.addEventListener("popstate", restoreStrokes);

// -- the gallery ------------------------------------------------------------------------------

const galleryView = new GalleryView(byTestId("gallery"), $("#gallery-more"), $("#gallery-note"), {
  pick: (item) => {
    pickGalleryItem(item);
    const hero = $(".hero").getBoundingClientRect();
    if (hero.bottom < 0 || hero.top > window.innerHeight) $(".hero").scrollIntoView({ behavior: "smooth" });
  },
  more: () => {
    const next = state.galleryOffset + galleryConfig.pageSize;
    loadGallery(state.galleryDataset, next < state.galleryTotal ? next : 0);
  },
});

function pickGalleryItem(item) {
  state.galleryItem = item;
  galleryView.select(item.index);
  setUrlParam("gallery", item.index);
  pad.setBase(item.pixels); // fires "change", which runs the network
}

// The true label is shown while the pad holds exactly a gallery digit (drawing over it
// hides it, undoing those strokes brings it back; clearing forgets the digit).
function syncGallery() {
  const item = state.galleryItem;
  if (item && !pad.hasBase) {
    state.galleryItem = null;
    galleryView.select(-1);
    setUrlParam("gallery", null);
  }
  const exact = state.galleryItem && pad.isBaseOnly;
  prediction.showTruth(exact ? { index: item.index, label: item.label } : null);
}

// The gallery shows the test set of the model's dataset when the server has one.
const GALLERY_DATASETS = ["mnist", "fashion-mnist"];

async function loadGallery(dataset, offset) {
  state.galleryDataset = dataset;
  try {
    const page = await api.gallery(galleryConfig.pageSize, offset, dataset);
    if (state.galleryDataset !== dataset) return; // the model changed meanwhile
    state.galleryOffset = offset;
    state.galleryTotal = page.total;
    galleryView.render(page);
    if (state.galleryItem) galleryView.select(state.galleryItem.index);
  } catch (err) {
    galleryView.unavailable(`The gallery is unavailable: ${err.message}`);
  }
}

// -- models -----------------------------------------------------------------------------------

function buildLayers() {
  inspector.close();
  layers?.disconnect();
  layers = new LayersView($("#layers"), state.model, { hover, select: inspect });
}

async function selectModel(id) {
  runner.cancel();
  try {
    state.model = await api.model(id);
  } catch (err) {
    status.error(err.message);
    return;
  }
  state.filters = new Map();
  state.fields = new ReceptiveFields(id);
  state.result = null;
  overview.setModel(state.model);
  chooseModel(id);
  photos.setModel(state.model);
  prediction.setClasses(state.model.classes);
  summary.render(state.model);
  buildLayers();
  networkInput.reset();
  new FiltersView($("#filters"), { select: inspect }).render(state.model.layers, loadFilters);
  const dataset = GALLERY_DATASETS.includes(state.model.dataset) ? state.model.dataset : "mnist";
  if (!photos.active && dataset !== state.galleryDataset) state.galleryLoad = loadGallery(dataset, 0);
  if (photos.active || !pad.isEmpty) run({ urgent: true }); // a colour model without a photo: reset
}

document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && inspector.selection) {
    e.preventDefault();
    closeInspector();
  }
});

async function start() {
  const list = await installedModels(status);
  if (!list) return;
  if (!list.models.length) {
    status.error("No models are installed. Train one (see the Train page) or copy a .npz into the models directory.");
    return;
  }
  const wanted = new URLSearchParams(window.location.search).get("model");
  const id = pickModel(list);
  if (wanted && wanted !== id) linkNotice(`This link names the model "${wanted}", which is not installed here: showing ${id}.`);
  picker.render(list.models, id);
  await selectModel(id);
  // `?gallery=<index>` (e.g. from the Evaluate page) opens that test digit.
  const index = Number.parseInt(new URLSearchParams(window.location.search).get("gallery"), 10);
  if (Number.isInteger(index) && index >= 0) await openGalleryIndex(index);
  else if (readFragment().has("strokes")) restoreStrokes();
}

async function openGalleryIndex(index) {
  await state.galleryLoad;
  if (!state.galleryTotal || index >= state.galleryTotal) {
    linkNotice(`This link names test digit #${index}, which is not in this test set (${state.galleryTotal ?? 0} digits).`);
    return;
  }
  const size = galleryConfig.pageSize;
  await loadGallery(state.galleryDataset, Math.floor(index / size) * size);
  const item = galleryView.item(index);
  if (item) pickGalleryItem(item);
}

function setUrlParam(name, value) {
  const url = new URL(window.location.href);
  if (value === null) url.searchParams.delete(name);
  else url.searchParams.set(name, value);
  history.replaceState(null, "", url);
}

start();
