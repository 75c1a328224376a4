// The explorer's teaching sections (the flattened digit, translation, backpropagation): they
// follow the explorer's results (the "explorer:result" event main-explorer.js dispatches) and
// work on the same network input.

import { BackpropView } from "./views/teach/backprop-view.js";
import { FlattenView } from "./views/teach/flatten-view.js";
import { ShiftView } from "./views/teach/shift-view.js";
import { StatusView } from "./views/status.js";

const DEBOUNCE_MS = 300; // these views follow the drawing, but not every stroke sample

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const status = new StatusView(byTestId("error"));
const flatten = new FlattenView(byTestId("flatten-view"), status);
const shift = new ShiftView(byTestId("shift-view"), status);
const backprop = new BackpropView(byTestId("backprop-view"), status);

let started = null;
let timer = null;

document.addEventListener("explorer:result", (e) => {
  const { model, result } = e.detail;
  if (!model) return;
  started ??= flatten
    .start(model.id)
    .then(() => shift.setNetworks(flatten.pair))
    .catch((err) => status.error(err.message));
  clearTimeout(timer);
  timer = setTimeout(async () => {
    await started;
    const input = result ? result.input : null;
    flatten.update(input);
    shift.update(input);
    backprop.update(model, input);
  }, DEBOUNCE_MS);
});
