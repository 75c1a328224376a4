// The explorer's "why" and kernel sections: they follow the explorer's results (the
// "explorer:result" event main-explorer.js dispatches) and explain the same network input.

import { ExplainPanel } from "./views/explain-panel.js";
import { KernelEditor } from "./views/kernel-editor.js";
import { StatusView } from "./views/status.js";

const status = new StatusView(document.querySelector('[data-testid="error"]'));
const on = { error: (message) => status.error(message) };
const panel = new ExplainPanel(document.getElementById("explain"), on);
const editor = new KernelEditor(document.getElementById("kernel-editor"), on);

document.addEventListener("explorer:result", (e) => {
  const { model, result } = e.detail;
  panel.update(model, result);
  editor.update(result ? result.input : null);
});
