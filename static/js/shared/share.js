// Sharing on every page (templates/base.html loads it): the header's "Copy link" copies the
// address of what is on screen, and every figure panel gets "Save as PNG" / "Save as SVG"
// (and "Save as CSV" where it is a table), with a caption naming the model, the input and the
// panel. Panels are found by their data-testid (FIGURES) or a data-figure attribute, so no page
// script needs to know about exporting.

import { download, panelSvg, svgToPng, tableCsv } from "./figure-export.js";

// data-testid of a figure panel → what its caption and file are called
export const FIGURES = {
  "network-overview": "overview",
  "network-input": "network input",
  "unit-anatomy": "unit anatomy",
  "explain-panel": "explanation",
  "kernel-editor": "kernel",
  "backprop-view": "backprop",
  "flatten-view": "flatten",
  "shift-view": "translation",
  "sliding-view": "sliding window",
  "equation-view": "equations",
  "matrix-view": "weight matrix",
  "dense-view": "dense view",
  "pool-view": "pooling",
  "flip-view": "kernel flip",
  "conv-output": "convolution output",
  "real-layer": "real layer",
  "square-detector": "square detector",
  "filter-cards": "filters",
  "loss-chart": "loss",
  "accuracy-chart": "accuracy",
  "training-filters": "filters while training",
  "confusion-matrix": "confusion matrix",
  "per-class": "per-class accuracy",
  "color-channels": "colour channels",
  "color-result": "colour result",
};

const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

function currentModel() {
  const select = document.querySelector("select[data-testid$='model-select'], select[data-testid='filters-model']");
  return new URL(window.location.href).searchParams.get("model") || select?.value || "";
}

function currentInput() {
  const params = new URL(window.location.href).searchParams;
  if (params.has("gallery")) return `test digit #${params.get("gallery")}`;
  if (window.location.hash.length > 1) return "the drawing in the link";
  return "";
}

// "CNN Explorer · overview · model mnist-cnn · input test digit #3 · <address>"
export function caption(name) {
  const model = currentModel();
  const input = currentInput();
  return ["CNN Explorer", name, model && `model ${model}`, input && `input ${input}`, window.location.href]
    .filter(Boolean)
    .join(" · ");
}

function button(testid, label, onclick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "button ghost small";
  b.dataset.testid = testid;
  b.textContent = label;
  b.addEventListener("click", onclick);
  return b;
}

function exportBar(panel, name) {
  const bar = document.createElement("div");
  bar.className = "export-bar";
  bar.dataset.for = panel.dataset.testid || name;
  const file = `cnn-explorer-${slug(name)}${currentModel() ? `-${slug(currentModel())}` : ""}`;
  bar.append(
    button("export-png", "Save as PNG", async () => {
      download(await svgToPng(panelSvg(panel, caption(name))), `${file}.png`);
    }),
    button("export-svg", "Save as SVG", () => {
      download(new Blob([panelSvg(panel, caption(name))], { type: "image/svg+xml" }), `${file}.svg`);
    }),
  );
  const table = panel.matches("table") ? panel : panel.querySelector("table");
  if (table) {
    bar.append(button("export-csv", "Save as CSV", () => {
      const t = panel.matches("table") ? panel : panel.querySelector("table");
      download(new Blob([tableCsv(t)], { type: "text/csv" }), `${file}.csv`);
    }));
  }
  return bar;
}

// Each figure panel gets its bar just before it (outside it, so a page redrawing the panel's
// contents keeps it).
export function decorate(root = document) {
  const panels = [...root.querySelectorAll("[data-testid], [data-figure]")].filter(
    (el) => el.dataset.figure || FIGURES[el.dataset.testid],
  );
  for (const panel of panels) {
    if (panel.previousElementSibling?.classList.contains("export-bar")) continue;
    panel.before(exportBar(panel, panel.dataset.figure || FIGURES[panel.dataset.testid]));
  }
}

// The button's words (hidden beside the icon where the header is full, still read out).
function say(btn, words) {
  btn.querySelector(".copy-link-label").textContent = words;
  btn.title = words;
}

async function copyLink(btn) {
  const url = window.location.href;
  window.dispatchEvent(new CustomEvent("share:link", { detail: { url } }));
  try {
    await navigator.clipboard.writeText(url);
    say(btn, "Link copied");
  } catch {
    // No clipboard (an insecure origin): show the address selected, to copy by hand.
    const field = document.createElement("input");
    field.value = url;
    field.readOnly = true;
    field.className = "copy-link-field";
    btn.after(field);
    field.select();
    say(btn, "Copy this link");
  }
  btn.dataset.url = url;
}

const linkButton = document.querySelector("[data-testid='copy-link']");
linkButton?.addEventListener("click", () => copyLink(linkButton));
decorate();
