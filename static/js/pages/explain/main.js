// The explorer's "why" and kernel sections: they follow the explorer's results (the
// "explorer:result" event pages/explorer/main.js dispatches) and explain the same network input,
// while they are on screen (and catch up when scrolled to).

import { ExplainPanel } from "./explain-panel.js";
import { KernelEditor } from "./kernel-editor.js";
import { isColourModel } from "../../shared/model-kind.js";
import { keepChoiceInLink } from "./link.js";
import { StatusView } from "../../shared/status.js";
import { linkNotice } from "../../shared/url-state.js";
import { WhileOnScreen } from "../../shared/on-screen.js";

const status = new StatusView(document.querySelector('[data-testid="error"]'));
const on = { error: (message) => status.error(message) };
const panel = new ExplainPanel(document.getElementById("explain"), {
  ...on,
  changed: () => linkChanged(),
  notice: (message) => linkNotice(message),
});
const linkChanged = keepChoiceInLink(panel);
const editor = new KernelEditor(document.getElementById("kernel-editor"), on);

// Brought up to date only while on screen (each asks the server): see on-screen.js.
const sections = new WhileOnScreen([
  { el: document.getElementById("explain"), update: ({ model, result, body }) => panel.update(model, result, body) },
  { el: document.getElementById("kernel-editor"), update: ({ result, digit }) => editor.update(result && digit ? result.input : null) },
]);

document.addEventListener("explorer:result", (e) => {
  // The kernel editor works on a drawn digit; a colour model's photo hides it (the Colour page
  // has filters three deep).
  const digit = !isColourModel(e.detail.model);
  document.getElementById("kernel-editor").hidden = !digit;
  sections.set({ ...e.detail, digit });
});
