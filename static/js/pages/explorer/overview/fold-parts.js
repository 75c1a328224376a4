// The pieces a big network's overview adds to its columns: a folded block's button (open it
// in place), an open block's frame with its fold button, and a wide layer's channel pager
// ("16 of 512 channels", ‹ ›). Plain DOM; overview.js places them, the controller acts.

import { h } from "../../../shared/dom.js";

const KIND = { residual: "residual block", concat: "branches joined", gated: "gated block", branches: "branching block" };

export const blockKind = (block) => KIND[block.kind] ?? "block";
const size = (block) => block.last - block.first + 1;

// Under a folded block's name: what it is, and the button that opens it in place.
export function foldedParts(block, k, toggle) {
  return [
    h("p", { class: "ov-kind muted" }, `${blockKind(block)}`),
    h(
      "button",
      {
        type: "button",
        class: "button ov-fold",
        "aria-expanded": "false",
        "aria-label": `Open ${block.name}, a ${blockKind(block)} of ${size(block)} layers, in place`,
        dataset: { testid: "overview-fold", block: k },
        onclick: () => toggle(k),
      },
      `▸ ${size(block)} layers`,
    ),
  ];
}

// An open block: its columns in a frame headed by its name and the button that folds it.
export function openFrame(block, k, toggle) {
  const cols = h("div", { class: "ov-block-cols" });
  const head = h(
    "div",
    { class: "ov-block-head" },
    h(
      "button",
      {
        type: "button",
        class: "button ov-fold",
        "aria-expanded": "true",
        "aria-label": `Fold ${block.name} into one column`,
        dataset: { testid: "overview-fold", block: k },
        onclick: () => toggle(k),
      },
      "◂ fold",
    ),
    h("span", { class: "ov-block-name" }, `${block.name} · ${blockKind(block)}`),
  );
  const el = h("div", { class: "ov-block", dataset: { testid: "overview-block", block: k } }, head, cols);
  return { el, cols, k };
}

// Under a wide layer's maps: how many of its channels are drawn, and the buttons that page
// through them. page: { first, count, total }; turn(first): show the page from `first`.
export function pager(page, turn) {
  const { first, count, total } = page;
  const last = Math.min(total, first + count) - 1; // a last page may hold fewer
  const pages = Math.ceil(total / count);
  const at = Math.floor(first / count) + 1;
  const button = (text, to, label) =>
    h("button", { type: "button", class: "button ov-page", "aria-label": label, disabled: to < 0 || to >= total, onclick: () => turn(to) }, text);
  return h(
    "div",
    { class: "ov-pager", dataset: { testid: "overview-channels" }, title: `channels ${first}–${last} of ${total}` },
    h("span", { class: "ov-count" }, `${last - first + 1} of ${total} channels`),
    h(
      "span",
      { class: "ov-pages" },
      button("‹", first - count, `Channels ${Math.max(0, first - count)}–${first - 1}`),
      h("span", { class: "muted" }, `${at}/${pages}`),
      button("›", first + count, `Channels ${first + count}–${Math.min(total, first + 2 * count) - 1}`),
    ),
  );
}
