// The explorer's teaching sections (the flattened digit, translation, backpropagation): they
// follow the explorer's results (the "explorer:result" event pages/explorer/main.js dispatches) and
// work on the same network input. A section is brought up to date only while it is on screen
// (or about to be): off-screen sections would only compete with the drawing's own requests,
// and one scrolled into view catches up with the latest drawing at once.

import { BackpropView } from "./backprop-view.js";
import { FlattenView } from "./flatten-view.js";
import { ShiftView } from "./shift-view.js";
import { isColourModel } from "../../shared/model-kind.js";
import { StatusView } from "../../shared/status.js";
import { WhileOnScreen } from "../../shared/on-screen.js";

const DEBOUNCE_MS = 300; // these views follow the drawing, but not every stroke sample

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const status = new StatusView(byTestId("error"));
const flatten = new FlattenView(byTestId("flatten-view"), status);
const shift = new ShiftView(byTestId("shift-view"), status);
const backprop = new BackpropView(byTestId("backprop-view"), status);
let started = null; // the first download the sections need

const sections = new WhileOnScreen(
  [
    { el: byTestId("flatten-view"), update: ({ input }) => flatten.update(input) },
    { el: byTestId("shift-view"), update: ({ input }) => shift.update(input) },
    { el: byTestId("backprop-view"), update: ({ model, input }) => backprop.update(model, input) },
  ],
  { delayMs: DEBOUNCE_MS },
);

document.addEventListener("explorer:result", (e) => {
  const { model, result } = e.detail;
  if (!model) return;
  // Lessons on a drawn digit: a colour model's photo has none of them (the sections hide).
  const photo = isColourModel(model);
  byTestId("flatten-view").closest("section").hidden = photo;
  if (photo) return;
  if (!started) {
    started = flatten
      .start(model.id)
      .then(() => shift.setNetworks(flatten.pair))
      .catch((err) => status.error(err.message));
    sections.ready = started;
  }
  sections.set({ model, input: result ? result.input : null });
});
