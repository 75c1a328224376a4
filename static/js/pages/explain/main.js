// The explorer's "why" and kernel sections: they follow the explorer's results (the
// "explorer:result" event pages/explorer/main.js dispatches) and explain the same network input,
// while they are on screen (and catch up when scrolled to).

import { ExplainPanel } from "./explain-panel.js";
import { KernelEditor } from "./kernel-editor.js";
import { StatusView } from "../../shared/status.js";
import { WhileOnScreen } from "../../shared/on-screen.js";
import { isPlanes, luminance } from "../../shared/rgb.js";

const status = new StatusView(document.querySelector('[data-testid="error"]'));
const on = { error: (message) => status.error(message) };
const panel = new ExplainPanel(document.getElementById("explain"), on);
const editor = new KernelEditor(document.getElementById("kernel-editor"), on);

// Brought up to date only while on screen (each asks the server): see on-screen.js.
const sections = new WhileOnScreen([
  { el: document.getElementById("explain"), update: ({ model, result }) => panel.update(model, result) },
  // the hand-made kernel is one 2-D filter: a photo is slid over in grey (its luminance)
  { el: document.getElementById("kernel-editor"), update: ({ result }) => editor.update(result ? grey(result.input) : null) },
]);

function grey(input) {
  return isPlanes(input) ? luminance(input) : input;
}

document.addEventListener("explorer:result", (e) => sections.set(e.detail));
