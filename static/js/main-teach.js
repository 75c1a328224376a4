// The explorer's teaching sections (the flattened digit, translation, backpropagation): they
// follow the explorer's results (the "explorer:result" event main-explorer.js dispatches) and
// work on the same network input. A section is brought up to date only while it is on screen
// (or about to be): off-screen sections would only compete with the drawing's own requests,
// and one scrolled into view catches up with the latest drawing at once.

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

const sections = [
  { el: byTestId("flatten-view"), update: (model, input) => flatten.update(input) },
  { el: byTestId("shift-view"), update: (model, input) => shift.update(input) },
  { el: byTestId("backprop-view"), update: (model, input) => backprop.update(model, input) },
];
const onScreen = new Set();
const stale = new Set();
let latest = null; // { model, input } of the last result
let started = null;
let timer = null;

async function refresh(section) {
  await started;
  if (!latest || !stale.has(section)) return;
  stale.delete(section);
  section.update(latest.model, latest.input);
}

const observer = new IntersectionObserver(
  (entries) => {
    for (const entry of entries) {
      const section = sections.find((s) => s.el === entry.target);
      if (!entry.isIntersecting) {
        onScreen.delete(section);
        continue;
      }
      onScreen.add(section);
      if (latest && timer === null) refresh(section);
    }
  },
  { rootMargin: "200px 0px" }, // a little ahead of scrolling
);
for (const section of sections) observer.observe(section.el);

document.addEventListener("explorer:result", (e) => {
  const { model, result } = e.detail;
  if (!model) return;
  started ??= flatten
    .start(model.id)
    .then(() => shift.setNetworks(flatten.pair))
    .catch((err) => status.error(err.message));
  latest = { model, input: result ? result.input : null };
  for (const section of sections) stale.add(section);
  clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    for (const section of onScreen) refresh(section);
  }, DEBOUNCE_MS);
});
