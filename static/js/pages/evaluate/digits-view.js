// Test images as small pictures, captioned with truth, prediction, confidence. A digit is a link
// that opens it in the explorer (whose gallery is the model's data set's test split); a photo
// (a colour data set) is shown in its own colours, not inverted, and is not a link: the
// explorer's photo input has no test-set gallery to open it in.

import { training } from "../../shared/config.js";
import { h } from "../../shared/dom.js";
import { probability } from "../../shared/format.js";

// The data sets whose test images the explorer's gallery opens, drawn as light ink on black.
const DIGIT_SETS = ["mnist", "fashion-mnist"];

// What one test image of `dataset` is called: [singular, plural].
export function noun(dataset) {
  if (dataset === "mnist") return ["digit", "digits"];
  return dataset === "cifar10" ? ["photo", "photos"] : ["image", "images"];
}

export function isDigitSet(dataset) {
  return DIGIT_SETS.includes(dataset);
}

export function digitLinks(items, { modelId, imageUrl, dataset }) {
  const digits = isDigitSet(dataset);
  const [one] = noun(dataset);
  return items.map((item) => {
    const src = `${imageUrl.replace("{index}", item.index)}?scale=${training.thumbScale}`;
    const wrong = item.target !== item.predicted;
    const text = `${item.label} → ${item.predicted_label}`;
    const img = h("img", {
      src,
      alt: `Test ${one} ${item.index}: true ${item.label}, predicted ${item.predicted_label}`,
      width: training.thumbSize,
      height: training.thumbSize,
      loading: "lazy",
      class: digits ? "pixelated" : "pixelated photo",
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
    if (!digits) return h("span", attrs, img, caption);
    const href = `/?model=${encodeURIComponent(modelId)}&gallery=${item.index}`;
    return h("a", { ...attrs, href }, img, caption);
  });
}
