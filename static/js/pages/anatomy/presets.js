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

// The presets a real network's layer shows for real: that model's layer, on a real input.
const REAL = {
  "5x5x3-on-32x32x3": { model: "cifar10-lenet", layer: 0, text: "See it for real: cifar10-lenet's first layer (six 5×5×3 filters) on a CIFAR-10 photo" },
};

// The preset's description, then its source as a footnote (a link's own numbers have none),
// then its real network's layer.
export function describePreset(el, p) {
  if (!p.source) {
    el.textContent = p.description;
    return;
  }
  const real = REAL[p.name];
  el.replaceChildren(
    h("span", {}, p.description),
    h("span", { class: "preset-source", dataset: { testid: "preset-source" } }, " — from ", h("cite", {}, p.source.citation)),
    ...(real ? [" ", realLink(real)] : []),
  );
}

// A link to the real layer (works as a plain link too); a click opens it in place.
function realLink({ model, layer, text }) {
  const href = `?${new URLSearchParams({ model, layer })}#real-layer`;
  const open = (e) => {
    e.preventDefault();
    document.dispatchEvent(new CustomEvent("anatomy:open-real", { detail: { model, layer } }));
  };
  return h("a", { href, class: "real-link", dataset: { testid: "preset-real-layer" }, onclick: open }, `${text} →`);
}
