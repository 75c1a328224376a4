// The training form's fields: filled with the server's choices, defaults and bounds
// (GET /api/train/options), read into a TrainRequest, and filled from a model's recipe. A field
// that applies only to one choice (the warm-up to one-cycle, Nesterov momentum to sgd) carries
// data-when="<choice>" and is shown only while that choice is made.

import { h } from "../../shared/dom.js";

const NUMBERS = ["epochs", "batch_size", "lr", "warmup", "weight_decay", "label_smoothing", "seed", "crop"];
const CHECKS = ["augment", "flip", "nesterov"];
const SCHEDULE_NAMES = { cosine: "cosine", onecycle: "one-cycle", constant: "constant" };

// The choices, the defaults and every number's bounds; the data sets are the page's.
export function fillSettings(form, options) {
  form.optimiser.replaceChildren(...options.optimisers.map((o) => h("option", { value: o }, o)));
  const schedules = options.schedules ?? ["cosine", "constant"];
  form.lr_schedule.replaceChildren(...schedules.map((s) => h("option", { value: s }, SCHEDULE_NAMES[s] ?? s)));
  applySettings(form, options.defaults);
  const b = options.bounds;
  for (const name of ["epochs", "batch_size", "limit", "lr", "weight_decay", "warmup", "label_smoothing"]) {
    if (!b[name]) continue;
    form[name].min = b[name][0];
    form[name].max = b[name][1];
  }
}

// The form's values over `settings` (a TrainRequest's fields: defaults, or a recipe); a field
// the form does not have is left out. `limit: null` means every image.
export function applySettings(form, settings) {
  for (const [name, value] of Object.entries(settings)) {
    const field = form.elements.namedItem(name);
    if (!field || name === "dataset" || name === "name") continue;
    if (CHECKS.includes(name)) field.checked = Boolean(value);
    else field.value = value ?? "";
  }
  showApplicable(form);
}

// Show the fields that apply to the choices made, hide the others.
export function showApplicable(form) {
  const chosen = new Set([form.lr_schedule.value, form.optimiser.value]);
  for (const el of form.querySelectorAll("[data-when]")) el.hidden = !chosen.has(el.dataset.when);
}

// The TrainRequest the form describes (the architecture is the editor's).
export function readSettings(form, layers) {
  const limit = form.limit.value.trim();
  const body = {
    name: form.name.value.trim() || "my model",
    dataset: form.dataset.value,
    architecture: { layers },
    optimiser: form.optimiser.value,
    lr_schedule: form.lr_schedule.value,
    limit: limit ? Number(limit) : null,
  };
  for (const name of NUMBERS) body[name] = Number(form[name].value);
  for (const name of CHECKS) body[name] = form[name].checked;
  body.crop ||= 0;
  // Hidden fields are not sent: Nesterov only with sgd, the warm-up only with one-cycle.
  body.nesterov &&= body.optimiser === "sgd";
  if (body.lr_schedule !== "onecycle") delete body.warmup;
  return body;
}
