// Real MNIST test digits. Each is a button; choosing one loads it as the input.

import { gallery as sizes } from "../../shared/config.js";
import { inkScale, paintGrid } from "../../shared/colormap.js";
import { h, pixelCanvas } from "../../shared/dom.js";
import { count } from "../../shared/format.js";
import { rovingFocus } from "./roving-focus.js";

// How to speak of each dataset's test set.
const DATASETS = {
  mnist: { title: "MNIST", noun: "digit" },
  "fashion-mnist": { title: "Fashion-MNIST", noun: "image" },
};

export class GalleryView {
  // root: [data-testid=gallery]; more: the "more digits" button; note: a caption element;
  // on: { pick(item), more() }
  constructor(root, more, note, on) {
    this.root = root;
    this.more = more;
    this.note = note;
    this.title = document.getElementById(root.getAttribute("aria-labelledby"));
    this.on = on;
    this.buttons = new Map(); // dataset index -> button
    this.items = new Map(); // dataset index -> item
    more.addEventListener("click", () => on.more());
    this.resetFocus = rovingFocus(root, ".digit");
  }

  // page: { items: [{ index, label, pixels }], total }; replaces what is shown.
  render(page) {
    const scale = inkScale();
    this.buttons.clear();
    this.items = new Map(page.items.map((item) => [item.index, item]));
    const buttons = page.items.map((item) => {
      const canvas = pixelCanvas(item.pixels[0].length, item.pixels.length, sizes.thumbSize);
      paintGrid(canvas, item.pixels, scale);
      const button = h(
        "button",
        {
          type: "button",
          class: "digit",
          "aria-pressed": "false",
          "aria-label": `Test image ${item.index}, label ${item.label}`,
          dataset: { index: item.index, label: item.label },
          onclick: () => this.on.pick(item),
        },
        canvas,
      );
      this.buttons.set(item.index, button);
      return button;
    });
    this.root.replaceChildren(...buttons);
    this.resetFocus();
    const first = page.items[0]?.index ?? 0;
    const last = page.items.length ? page.items[page.items.length - 1].index : 0;
    const { title, noun } = DATASETS[page.dataset] ?? { title: page.dataset, noun: "image" };
    this.title.textContent = `Or pick a real test ${noun}`;
    this.note.textContent =
      `${noun[0].toUpperCase()}${noun.slice(1)}s ${count(first)}–${count(last)} ` +
      `of the ${count(page.total)} in the ${title} test set.`;
    this.more.hidden = false;
  }

  item(index) {
    return this.items.get(index) ?? null;
  }

  select(index) {
    for (const [i, button] of this.buttons) button.setAttribute("aria-pressed", String(i === index));
  }

  unavailable(message) {
    this.root.replaceChildren(h("p", { class: "muted" }, message));
    this.more.hidden = true;
    this.note.textContent = "";
  }
}
