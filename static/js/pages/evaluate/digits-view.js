// Test images as small pictures, each a link that opens it in the explorer (whose gallery is
// the model's data set's test split), captioned with truth, prediction, confidence.

import { training } from "../../shared/config.js";
import { h } from "../../shared/dom.js";
import { probability } from "../../shared/format.js";

export function digitLinks(items, { modelId, imageUrl }) {
  return items.map((item) => {
    const src = `${imageUrl.replace("{index}", item.index)}?scale=${training.thumbScale}`;
    const wrong = item.target !== item.predicted;
    const text = `${item.label} → ${item.predicted_label}`;
    const img = h("img", {
      src,
      alt: `Test digit ${item.index}: true ${item.label}, predicted ${item.predicted_label}`,
      width: training.thumbSize,
      height: training.thumbSize,
      loading: "lazy",
      class: "pixelated",
    });
    const caption = h(
      "span",
      { class: "digit-caption" },
      h("span", { class: wrong ? "wrong" : "right" }, text),
      h("span", { class: "muted" }, probability(item.confidence)),
    );
    const attrs = {
      class: "digit-link",
      title: `#${item.index}: true ${item.label}, predicted ${item.predicted_label} (${probability(item.confidence)})`,
      dataset: { index: item.index },
    };
    const href = `/?model=${encodeURIComponent(modelId)}&gallery=${item.index}`;
    return h("a", { ...attrs, href }, img, caption);
  });
}
