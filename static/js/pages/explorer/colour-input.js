// What a colour model sees ([data-testid=network-input] while one is chosen): the network
// input the API returned — the photo after the model's resize and crop, C × H × W in [0, 1] —
// as the image and as its three channels, three grids painted from black to their colour, as
// the Colour page shows them (shared/color-channels.js). Pointing at a pixel reads its three
// numbers. The grey figure of a digit model and its hook are put back for a grey model.

import { paintChannel, paintImage } from "../../shared/color-channels.js";
import { explain, photos as config } from "../../shared/config.js";
import { h, unitAt } from "../../shared/dom.js";
import { num } from "../../shared/format.js";

const NAMES = ["R", "G", "B"];

// How a photo becomes the network's H × W (api.md, "Any image"), in words.
function resizeWords(model) {
  const [, H, W] = model.input_shape;
  const policy = model.input?.resize ?? { mode: "stretch" };
  if (policy.mode === "center-crop") return `with its shorter side scaled to ${policy.size} pixels, then its central ${H} × ${W} kept`;
  if (policy.mode === "pad") return `fitted inside ${H} × ${W}, the rest padded`;
  return `stretched to ${H} × ${W}`;
}

export class ColourInputView {
  // card: the network input's card; its grey <figure> and caption are swapped for these.
  constructor(card) {
    this.grey = card.querySelector(".input-frame");
    this.greyCanvas = this.grey.querySelector("canvas");
    this.caption = card.querySelector(".caption");
    this.greyCaption = this.caption.textContent;
    this.image = h("canvas", { class: "pixelated colour-image", role: "img", "aria-label": "What the network sees, in colour" });
    this.channels = NAMES.map((name, c) =>
      h("canvas", {
        class: "pixelated",
        role: "img",
        dataset: { channel: name },
        "aria-label": `Channel ${name}`,
        onpointermove: (e) => this.#read(e, c),
        onpointerleave: () => this.#read(null),
      }),
    );
    this.readout = h("p", { class: "colour-readout muted", "aria-live": "off" });
    this.el = h(
      "div",
      { class: "colour-input is-empty", hidden: true, style: { "--channel-size": `${config.channelSize}px` } },
      h("figure", { class: "colour-frame" }, this.image),
      h(
        "div",
        { class: "colour-channels" },
        this.channels.map((canvas, c) => h("figure", {}, canvas, h("figcaption", { style: { color: `rgb(${channelColour(c)})` } }, NAMES[c]))),
      ),
      this.readout,
    );
    this.grey.after(this.el);
    this.input = null;
  }

  // Colour model: this view holds the hook; grey: the drawing's canvas has it back.
  setModel(model, colour) {
    this.el.hidden = !colour;
    this.grey.hidden = colour;
    const holder = colour ? this.el : this.greyCanvas;
    (colour ? this.greyCanvas : this.el).removeAttribute("data-testid");
    holder.dataset.testid = "network-input";
    const [C, H, W] = model.input_shape;
    this.caption.textContent = colour
      ? `The photo ${resizeWords(model)}: the ${C} × ${H} × ${W} numbers the network reads, one grid per channel.`
      : this.greyCaption;
    this.reset();
  }

  // input: the API's network input, C × H × W nested rows in [0, 1].
  render(input) {
    this.input = input;
    paintImage(this.image, input, null);
    input.forEach((grid, c) => paintChannel(this.channels[c], grid, c, null)); // sized by CSS
    this.el.classList.remove("is-empty");
  }

  reset() {
    this.input = null;
    this.readout.textContent = "";
    this.el.classList.add("is-empty");
  }

  #read(e, c) {
    if (!e || !this.input) {
      this.readout.textContent = "";
      return;
    }
    const [H, W] = [this.input[0].length, this.input[0][0].length];
    const { row, col } = unitAt(e, this.channels[c], H, W);
    const values = this.input.map((grid, k) => `${NAMES[k]} ${num(grid[row][col], 3)}`);
    this.readout.textContent = `row ${row}, column ${col}: ${values.join(" · ")}`;
  }
}

const channelColour = (c) => explain.channelColours[c].join(" ");
