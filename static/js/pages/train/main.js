// The training page: wires the architecture editor, the settings form, the job's event
// stream, the progress bar, the charts and the filters. Every number shown comes from the
// API: shapes and parameter counts from the engine, progress from the job's events.

import { api } from "../../shared/api.js";
import { training } from "../../shared/config.js";
import { h } from "../../shared/dom.js";
import { percent } from "../../shared/format.js";
import { StatusView } from "../../shared/status.js";
import { explainWrites } from "../../shared/write-access.js";
import { ArchEditor } from "./arch-editor.js";
import { DataNote } from "./data-note.js";
import { FiltersView } from "./filters-view.js";
import { JobsView } from "./jobs-view.js";
import { LineChart } from "./line-chart.js";
import { ProgressView } from "./progress-view.js";
import { RecipeView } from "./recipe-view.js";
import { ScheduleView } from "./schedule-view.js";
import { applySettings, fillSettings, readSettings, showApplicable } from "./settings-form.js";

const $ = (s) => document.querySelector(s);
const byTestId = (id) => $(`[data-testid="${id}"]`);

const status = new StatusView(byTestId("error"));
const form = $("#settings");
const startButton = byTestId("start-training");
const cancelButton = byTestId("cancel-training");
const formNote = $("#form-note");
const progress = new ProgressView(byTestId("training-progress"), $("#progress-text"), byTestId("job-state"));
const filters = new FiltersView($("#kernels"), $("#filters-caption"), $("#filters-legend"));
const fmtLoss = (v) => (v >= 10 ? v.toFixed(0) : v.toFixed(v >= 1 ? 1 : 2));
const fmtPct = (v) => `${Math.round(v * 100)}%`;
const lossChart = new LineChart($("#loss-canvas"), {
  title: "Loss",
  xLabel: "epoch",
  yFormat: fmtLoss,
  yMax: null,
  series: [
    { key: "train", label: "training (running mean)", colour: training.chart.train },
    { key: "val", label: "validation", colour: training.chart.val, markers: true },
  ],
});
const accChart = new LineChart($("#accuracy-canvas"), {
  title: "Accuracy",
  xLabel: "epoch",
  yFormat: fmtPct,
  yMax: 1,
  series: [
    { key: "train", label: "training (running mean)", colour: training.chart.train },
    { key: "val", label: "validation", colour: training.chart.val, markers: true },
  ],
});

const state = {
  options: null,
  job: null, // the job on show
  source: null, // its EventSource
  validation: 0, // sequence number of the latest validate request
  timer: null,
  valid: false,
};

// -- the editor -------------------------------------------------------------------------------

const editor = new ArchEditor($("#layers"), byTestId("arch-summary"), [], {
  change: () => scheduleValidate(),
});

function scheduleValidate() {
  clearTimeout(state.timer);
  state.valid = false;
  updateStart();
  state.timer = setTimeout(validate, training.validateDelayMs);
}

async function validate() {
  const seq = ++state.validation;
  const specs = editor.value();
  if (!specs.length) return;
  try {
    const report = await api.validateArchitecture(specs, form.dataset.value, Number(form.batch_size.value) || 1);
    if (seq !== state.validation) return; // a newer edit is on its way
    editor.showReport(report);
    $("#input-shape").textContent = report.input_shape.join(" × "); // the data set's images
    state.valid = report.valid;
  } catch (err) {
    if (seq !== state.validation) return;
    // The request itself was malformed (e.g. a layer with no type): say so by the summary.
    editor.showReport({ valid: false, error: err.message, error_layer: null, layers: [] });
    state.valid = false;
  }
  updateStart();
}

// -- the form ---------------------------------------------------------------------------------

function fillDatasets(options) {
  form.dataset.replaceChildren(...dataOptions(options));
}

function fillForm(options) {
  const d = options.defaults;
  fillDatasets(options);
  fillSettings(form, options);
  form.dataset.value = options.available[d.dataset] ? d.dataset : options.datasets.find((n) => options.available[n]) ?? d.dataset;
  describeData();
}

// The learning rate the settings give, step by step, and a built-in architecture's recipe.
const schedule = new ScheduleView({
  canvas: $("#lr-canvas"),
  caption: $("#lr-caption"),
  readBody: () => body(),
  missing: () =>
    dataReady() || form.limit.value.trim() ? null : `it counts the steps in ${form.dataset.value}'s training set, which is not on this server (or set the training images).`,
});
const recipe = new RecipeView(byTestId("recipe"), {
  apply: ({ settings }) => {
    applySettings(form, settings);
    if (state.options.datasets.includes(settings.dataset)) form.dataset.value = settings.dataset;
    describeData();
    scheduleValidate();
  },
});

const dataNote = new DataNote(byTestId("data-missing"), { recheck: () => recheckData() });
const dataReady = () => Boolean(state.options?.available[form.dataset.value]);

function describeData() {
  const name = form.dataset.value;
  $("#data-note").textContent = dataReady()
    ? `Validation after each epoch on 2,000 test images; the final score on the whole test set.`
    : `${name} is not on this server yet: see below the Start button.`;
  dataNote.render(name, dataReady() ? null : state.options?.missing?.[name]);
  schedule.update(); // the data set's size sets the steps
  updateStart();
}

// The form's options from the server into `state.options`; false (and said) if it did not answer.
async function loadOptions() {
  try {
    state.options = await api.trainOptions();
    return true;
  } catch (err) {
    status.error(err.message);
    return false;
  }
}

async function recheckData() {
  if (!(await loadOptions())) return;
  const name = form.dataset.value;
  form.dataset.replaceChildren(...dataOptions(state.options));
  form.dataset.value = name;
  describeData();
}

const dataOptions = (options) =>
  options.datasets.map((name) => h("option", { value: name }, options.available[name] ? name : `${name} (not on this server)`));

const body = () => readSettings(form, editor.value());

const running = () => state.job && (state.job.state === "queued" || state.job.state === "running");

function updateStart() {
  startButton.disabled = running() || !state.valid || !dataReady();
  cancelButton.disabled = !running();
  editor.setDisabled(running());
  for (const el of form.elements) el.disabled = running();
  formNote.textContent = running()
    ? "Training… the editor is locked until it ends or you cancel."
    : !state.valid
      ? "Fix the architecture to start."
      : !dataReady()
        ? "Get the training data first (below)."
        : "";
}

form.addEventListener("input", (e) => {
  if (e.target === form.dataset) describeData();
  else if (ScheduleView.shapes(e.target.name)) schedule.update();
  if (e.target === form.dataset || e.target === form.batch_size) scheduleValidate();
  if (e.target === form.optimiser || e.target === form.lr_schedule) showApplicable(form);
});
form.addEventListener("submit", (e) => e.preventDefault());

// Your own data: a zip of <class>/<image> or <split>/<class>/<image>, checked by the server.
form.archive.addEventListener("change", async () => {
  const file = form.archive.files[0];
  if (!file) return;
  status.clear();
  const data = new FormData();
  data.append("archive", file);
  data.append("name", file.name.replace(/\.zip$/i, "") || "my data");
  try {
    const info = await api.uploadDataset(data);
    state.options = await api.trainOptions();
    fillDatasets(state.options);
    form.dataset.value = info.id;
    describeData();
    scheduleValidate();
  } catch (err) {
    status.error(err.message);
  }
  form.archive.value = "";
});

startButton.addEventListener("click", async () => {
  status.clear();
  startButton.disabled = true;
  try {
    const job = await api.startTraining(body());
    follow(job);
    // The progress and charts are far below the button: bring them on screen as it starts.
    $(".progress-card").scrollIntoView({ behavior: "smooth", block: "start" });
  } catch (err) {
    status.error(err.message);
    updateStart();
  }
});

cancelButton.addEventListener("click", async () => {
  if (!state.job) return;
  cancelButton.disabled = true;
  try {
    showJob(await api.cancelTraining(state.job.id));
  } catch (err) {
    status.error(err.message);
  }
});

// -- following a job --------------------------------------------------------------------------

// Charts and bar from a job record (a snapshot: on start, on reconnect, on reload).
function showJob(job) {
  state.job = job;
  progress.job(job);
  const steps = job.steps || 1;
  lossChart.clear(job.epochs);
  accChart.clear(job.epochs);
  const x = (p) => p.step / steps; // p.step counts steps from the start of the job
  lossChart.set("train", job.steps_history.map((p) => ({ x: x(p), y: p.loss })));
  accChart.set("train", job.steps_history.map((p) => ({ x: x(p), y: p.accuracy })));
  lossChart.set("val", job.history.map((e) => ({ x: e.epoch, y: e.val_loss })));
  accChart.set("val", job.history.map((e) => ({ x: e.epoch, y: e.val_accuracy })));
  lossChart.draw();
  accChart.draw();
  showLinks(job);
  updateStart();
}

function showLinks(job) {
  const links = $("#job-links");
  if (job.state !== "done") {
    links.replaceChildren();
    return;
  }
  const id = encodeURIComponent(job.model_id);
  links.replaceChildren(
    h("span", { class: "muted" }, `Model ${job.model_id} · test accuracy ${percent(job.test_accuracy)} `),
    h("a", { class: "button small", href: `/?model=${id}`, dataset: { testid: "open-in-explorer" } }, "Open in the explorer"),
    h("a", { class: "button ghost small", href: `/evaluate?model=${id}` }, "Evaluate"),
  );
}

function follow(job) {
  state.source?.close();
  state.source = null;
  filters.reset();
  showJob(job);
  const source = new EventSource(api.trainingEventsUrl(job.id));
  state.source = source;
  const on = (kind, fn) => source.addEventListener(kind, (e) => fn(JSON.parse(e.data)));
  on("state", (e) => showJob(e.job));
  on("step", (e) => {
    const x = e.step / e.steps; // in epochs
    lossChart.add("train", { x, y: e.loss });
    accChart.add("train", { x, y: e.accuracy });
    lossChart.draw();
    accChart.draw();
    progress.step(e);
  });
  on("epoch", (e) => {
    lossChart.add("val", { x: e.epoch, y: e.val_loss });
    accChart.add("val", { x: e.epoch, y: e.val_accuracy });
    lossChart.draw();
    accChart.draw();
  });
  on("filters", (e) => filters.render(e));
  let ended = false;
  on("end", (e) => {
    ended = true; // the server closes the stream now; closing it here would abort it
    state.source = null;
    showJob(e.job);
    refreshJobs();
  });
  source.onerror = () => {
    if (ended) source.close(); // the stream ended as it should: no reconnecting
    // Otherwise the browser reconnects by itself (and gets a fresh snapshot).
    else if (source.readyState === EventSource.CLOSED) status.error("Lost the connection to the training job.");
  };
  refreshJobs();
}

// -- the jobs table ---------------------------------------------------------------------------

const jobsView = new JobsView($("#jobs-body"), {
  follow: (job) => (job.state === "queued" || job.state === "running" ? follow(job) : (state.source?.close(), showJob(job))),
  resume: async (job) => {
    status.clear();
    try {
      follow(await api.resumeTraining(job.id));
    } catch (err) {
      status.error(err.message);
    }
  },
});

async function refreshJobs() {
  try {
    const { jobs } = await api.trainingJobs();
    jobsView.render(jobs, state.job?.id);
    return jobs;
  } catch (err) {
    status.error(err.message);
    return [];
  }
}

// -- start ------------------------------------------------------------------------------------

async function start() {
  if (!(await loadOptions())) return;
  const { options } = state;
  editor.types = options.layer_types;
  fillForm(options);
  const preset = $("#preset");
  preset.replaceChildren(...Object.keys(options.presets).map((name) => h("option", { value: name }, name)));
  preset.value = options.presets.tiny ? "tiny" : Object.keys(options.presets)[0];
  preset.addEventListener("change", () => {
    editor.setSpecs(options.presets[preset.value]);
    recipe.show(options.recipes?.[preset.value]);
  });
  $("#add-type").replaceChildren(...options.layer_types.map((t) => h("option", { value: t }, t)));
  $("#add-layer").addEventListener("click", () => editor.add($("#add-type").value));
  editor.setSpecs(options.presets[preset.value]);
  recipe.show(options.recipes?.[preset.value]);
  const jobs = await refreshJobs();
  const active = jobs.find((j) => j.state === "running") ?? jobs.find((j) => j.state === "queued");
  if (active) follow(active);
  else if (jobs.length) showJob(jobs[0]);
}

start();

explainWrites();
