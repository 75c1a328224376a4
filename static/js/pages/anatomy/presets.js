// The playgrounds' example chips: each named by what it shows (the API's `title`), its source
// text cited in the chip's tooltip and in a footnote under the description.

import { h } from "../../shared/dom.js";

// One chip per preset; `pick(preset)` runs on click.
export function presetChips(presets, pick) {
  return presets.map((p) =>
    h(
      "button",
      {
        type: "button",
        class: "chip",
        "aria-pressed": "false",
        title: `From ${p.source.citation}`,
        dataset: { preset: p.name },
        onclick: () => pick(p),
      },
      p.title,
    ),
  );
}

// The preset's description, then its source as a footnote (a link's own numbers have none).
export function describePreset(el, p) {
  if (!p.source) {
    el.textContent = p.description;
    return;
  }
  el.replaceChildren(
    h("span", {}, p.description),
    h("span", { class: "preset-source", dataset: { testid: "preset-source" } }, " — from ", h("cite", {}, p.source.citation)),
  );
}
