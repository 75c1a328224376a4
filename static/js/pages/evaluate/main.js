// The evaluation page: one model's score on the test set — accuracy, the confusion matrix
// (click a cell for its digits), per-class scores, the mistakes — and the models table.

import { api, installedModels, pickModel } from "../../shared/api.js";
import { chooseModel, wantedModels } from "../../shared/current-model.js";
import { training } from "../../shared/config.js";
import { h } from "../../shared/dom.js";
import { capitalise, count, num, percent } from "../../shared/format.js";
import { StatusView } from "../../shared/status.js";
import { explainWrites } from "../../shared/write-access.js";
import { ConfusionView } from "./confusion-view.js";
import { digitLinks, isDigitSet, noun } from "./digits-view.js";
import { ModelsView } from "./models-view.js";

const $ = (s) => document.querySelector(s);
const byTestId = (id) => $(`[data-testid="${id}"]`);

const status = new StatusView(byTestId("error"));
const select = $("#model");
// scored: accuracies measured on this page (an import's card has none until it is scored)
const state = { models: [], defaultId: null, id: null, result: null, request: 0, scored: new Map() };

const confusion = new ConfusionView(byTestId("confusion-matrix"), { pick: (t, p) => showCell(t, p) });
const modelsView = new ModelsView($("#models-body"), {
  evaluate: (id) => {
    select.value = id;
    evaluate(id);
    window.scrollTo({ top: 0, behavior: "smooth" });
  },
  changed: (removed) => loadModels(removed === state.id ? null : state.id),
  error: (message) => status.error(message),
});

function context() {
  const r = state.result;
  return { modelId: r.model_id, imageUrl: r.image_url, dataset: r.dataset };
}

// -- one model's evaluation -------------------------------------------------------------------

async function evaluate(id) {
  const seq = ++state.request;
  state.id = id;
  chooseModel(id);
  status.clear();
  $("#cell").hidden = true;
  $("#eval-note").textContent = "Scoring every test image… (a few seconds the first time)";
  document.body.dataset.evaluating = "true";
  renderModels();
  showConvention(state.models.find((m) => m.id === id));
  try {
    const result = await api.evaluation(id);
    if (seq !== state.request) return;
    state.result = result;
    state.scored.set(id, result.accuracy);
    renderModels();
    render(result);
  } catch (err) {
    if (seq !== state.request) return;
    status.error(err.message);
    $("#eval-note").textContent = "";
  } finally {
    if (seq === state.request) delete document.body.dataset.evaluating;
  }
}

// The page's words for the data set's images: digits, or photos (not opened in the explorer).
function wordsFor(dataset) {
  const [one, many] = noun(dataset);
  for (const el of document.querySelectorAll(".noun")) el.textContent = one;
  for (const el of document.querySelectorAll(".nouns")) el.textContent = many;
  for (const el of document.querySelectorAll(".explorer-hint")) el.hidden = !isDigitSet(dataset);
}

function render(r) {
  wordsFor(r.dataset);
  $("#accuracy").textContent = percent(r.accuracy);
  $("#correct").textContent = `${count(r.correct)} / ${count(r.total)}`;
  $("#correct-label").textContent = `${r.dataset} test images right`;
  $("#loss").textContent = num(r.loss, 3);
  const on = `on ${r.source}`;
  $("#eval-note").textContent = r.cached
    ? `Scored ${on} in ${r.seconds.toFixed(1)} s (kept in memory since).`
    : `Scored ${on} in ${r.seconds.toFixed(1)} s.`;
  confusion.render(r);
  renderPerClass(r);
  $("#confident").replaceChildren(...digitLinks(r.confident_mistakes, context()));
  $("#wrong").replaceChildren(...digitLinks(r.misclassified, context()));
  const shown = r.misclassified.length;
  $("#wrong-note").textContent =
    shown < r.misclassified_total
      ? `The first ${count(shown)} of ${count(r.misclassified_total)} mistakes, in test-set order.`
      : `All ${count(r.misclassified_total)} mistakes, in test-set order.${isDigitSet(r.dataset) ? " Click one to open it in the explorer." : ""}`;
}

function renderPerClass(r) {
  const bar = (v, cls) =>
    h("span", { class: `bar ${cls}` }, h("span", { style: { width: `${(v ?? 0) * 100}%` } }));
  byTestId("per-class").replaceChildren(
    h("thead", {}, h("tr", {}, h("th", {}, "Class"), h("th", { class: "num" }, capitalise(noun(r.dataset)[1])), h("th", {}, "Accuracy"), h("th", {}, "Precision"))),
    h(
      "tbody",
      {},
      r.per_class.map((c) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, c.label),
          h("td", { class: "num" }, count(c.total)),
          h("td", {}, h("span", { class: "bar-cell" }, bar(c.accuracy, "acc"), h("span", { class: "num" }, c.accuracy === null ? "–" : percent(c.accuracy)))),
          h("td", {}, h("span", { class: "bar-cell" }, bar(c.precision, "prec"), h("span", { class: "num" }, c.precision === null ? "–" : percent(c.precision)))),
        ),
      ),
    ),
  );
}

async function showCell(t, p) {
  const r = state.result;
  confusion.select(t, p);
  const panel = $("#cell");
  const n = r.confusion[t][p];
  const what = t === p ? `${r.classes[t]} read correctly` : `${r.classes[t]} read as ${r.classes[p]}`;
  const [one, many] = noun(r.dataset);
  $("#cell-title").textContent = `${what}: ${count(n)} ${n === 1 ? one : many}`;
  $("#cell-note").textContent = "Loading…";
  panel.hidden = false;
  try {
    const cell = await api.evaluationExamples(r.model_id, t, p, training.cellExamples);
    if (state.result !== r) return;
    $("#cell-digits").replaceChildren(...digitLinks(cell.items, context()));
    const more = cell.total > cell.items.length ? `The first ${count(cell.items.length)}, in test-set order. ` : "";
    $("#cell-note").textContent = isDigitSet(r.dataset) ? `${more}Click one to open it in the explorer.` : more;
    panel.scrollIntoView({ block: "nearest", behavior: "smooth" });
  } catch (err) {
    status.error(err.message);
  }
}

$("#cell-close").addEventListener("click", () => {
  $("#cell").hidden = true;
  confusion.select(-1, -1);
});

// -- models -------------------------------------------------------------------------------------

function renderModels() {
  const scored = state.models.map((m) => ({ ...m, test_accuracy: m.test_accuracy ?? state.scored.get(m.id) ?? null }));
  modelsView.render(scored, state.defaultId, state.id);
}

async function loadModels(wanted, { rescore = false } = {}) {
  const list = await installedModels(status);
  if (!list) return;
  state.models = list.models;
  state.defaultId = list.default;
  select.replaceChildren(
    ...list.models.map((m) =>
      h("option", { value: m.id }, m.test_accuracy === null ? m.name : `${m.name} · ${percent(m.test_accuracy)}`),
    ),
  );
  const ids = list.models.map((m) => m.id);
  if (!ids.length) {
    status.error("No models are installed. Train one on the Train page, or import weights below.");
    renderModels();
    return;
  }
  const id = pickModel(list, [wanted, ...wantedModels()]);
  select.value = id;
  if (id !== state.id || !state.result || rescore) await evaluate(id);
  else renderModels();
}

select.addEventListener("change", () => evaluate(select.value));

const PRESETS = {
  totensor: { scale: 1, mean: "0", std: "1" },
  mnist: { scale: 1, mean: "0.1307", std: "0.3081" },
  raw: { scale: 255, mean: "0", std: "1" },
};

// Both convention forms (the import's, the current model's): a preset fills the numbers.
for (const form of [$("#import"), $("#convention")]) {
  form.elements.preset.addEventListener("change", (e) => {
    const preset = PRESETS[e.target.value];
    if (!preset) return;
    form.elements.scale.value = preset.scale;
    form.elements.mean.value = preset.mean;
    form.elements.std.value = preset.std;
  });
}

const numbers = (text) => text.split(/[\s,]+/).filter(Boolean).map(Number);

// A form's convention fields as the API's `input` (api.md).
function conventionOf({ elements }) {
  return {
    invert: elements.invert.checked,
    scale: Number(elements.scale.value || 1),
    mean: numbers(elements.mean.value),
    std: numbers(elements.std.value),
  };
}

// The current model's convention in its form (the shipped model's cannot change).
function showConvention(m) {
  const form = $("#convention");
  form.hidden = !m;
  if (!m) return;
  const { elements } = form;
  const c = m.input;
  elements.scale.value = c.scale;
  elements.mean.value = c.mean.join(", ");
  elements.std.value = c.std.join(", ");
  elements.invert.checked = c.invert;
  const preset = Object.entries(PRESETS).find(
    ([, p]) => !c.invert && p.scale === c.scale && p.mean === c.mean.join(", ") && p.std === c.std.join(", "),
  );
  elements.preset.value = preset ? preset[0] : "custom";
  const shipped = m.source === "shipped"; // read-only (the server refuses with a 403)
  for (const el of elements) el.disabled = shipped;
  $("#convention-note").textContent = shipped ? "The shipped model's convention is fixed." : "";
}

$("#convention").addEventListener("submit", async (e) => {
  e.preventDefault();
  const note = $("#convention-note");
  note.classList.remove("bad");
  try {
    await api.setConvention(state.id, conventionOf(e.currentTarget));
    note.textContent = "Saved; scoring the test set again…";
    await loadModels(state.id, { rescore: true });
    note.textContent = "Saved and scored again with the new convention.";
  } catch (err) {
    note.textContent = err.message;
    note.classList.add("bad");
  }
});

/** The form as the API wants it: the convention and labels as JSON (api.md). */
function importData(form) {
  const { elements } = form;
  const data = new FormData();
  data.append("weights", elements.weights.files[0]);
  for (const file of elements.external_data.files) data.append("external_data", file);
  data.append("name", elements.name.value);
  data.append("dataset", elements.dataset.value);
  const arch = elements.architecture.value.trim();
  if (arch) data.append("architecture", arch);
  data.append("input", JSON.stringify(conventionOf(form)));
  const classes = elements.classes.value.split(",").map((c) => c.trim()).filter(Boolean);
  if (classes.length) data.append("classes", JSON.stringify(classes));
  return data;
}

$("#import").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const note = $("#import-note");
  note.textContent = "Checking the model…";
  note.classList.remove("bad");
  try {
    const model = await api.importModel(importData(form));
    note.textContent = `Imported as ${model.id} (${model.source}).`;
    form.reset();
    await loadModels(model.id);
  } catch (err) {
    note.textContent = err.message;
    note.classList.add("bad");
  }
});

loadModels(null);

explainWrites();
