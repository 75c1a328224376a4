// The explorer's input follows the model: a grey digit model keeps the drawing pad and the
// gallery of test digits; a colour model (input channels "rgb" or "bgr") gets the photo panel,
// the network input in colour with its three channels, and the top five classes. main.js asks
// this one object which input is current and hands it each result.

import { bars } from "../../shared/config.js";
import { h } from "../../shared/dom.js";
import { probability } from "../../shared/format.js";
import { isColourModel } from "../../shared/model-kind.js";
import { ColourInputView } from "./colour-input.js";
import { PhotoPanel } from "./photo-panel.js";
import { linkPhoto, openLinkedPhoto } from "./photo-in-link.js";
import { TopClassesView } from "./top-classes.js";

export class PhotoMode {
  // on: { change() } — a new photo is ready; prediction: the PredictionView (its prompt).
  constructor(on, prediction) {
    const $ = (selector) => document.querySelector(selector);
    this.prediction = prediction;
    this.drawingParts = [$(".pad-card"), $(".gallery-section")];
    this.panel = new PhotoPanel($('[data-testid="photo-panel"]'), { ...on, chosen: linkPhoto });
    this.input = new ColourInputView($(".input-card"));
    this.probabilities = $('[data-testid="probabilities"]');
    // the answer again, small, under the photo: on screen on a phone too (the card is below)
    this.answer = $('[data-testid="photo-answer"]');
    this.top = new TopClassesView(this.probabilities);
    this.active = false;
  }

  setModel(model) {
    this.active = isColourModel(model);
    for (const el of this.drawingParts) el.hidden = this.active;
    document.body.classList.toggle("is-photo", this.active); // the page's layout for photos
    this.panel.setModel(model, this.active);
    if (this.active && !this.panel.hasPhoto) openLinkedPhoto(this.panel);
    this.input.setModel(model, this.active);
    // every class's bar while they are few; a thousand ImageNet classes: the top five only
    const all = !this.active || model.classes.length <= bars.maxLabelled;
    this.probabilities.hidden = !all;
    this.top.show(this.active, all);
    this.prediction.prompt = this.active ? "Choose a photo to see what the network thinks." : null;
  }

  // Whether there is a photo to run (with a colour model).
  get ready() {
    return this.active && this.panel.hasPhoto;
  }

  body() {
    return this.panel.body();
  }

  render(result) {
    if (!this.active) return;
    this.panel.error(null);
    this.input.render(result.input);
    this.top.render(result.top);
    const p = probability(result.probabilities[result.prediction]);
    this.answer.replaceChildren("It says ", h("strong", {}, result.label), ` · ${p}`);
  }

  reset() {
    this.input.reset();
    this.top.reset();
    this.answer.replaceChildren();
  }

  // A refusal (the server's words) shown in the photo panel, where the photo was chosen.
  error(text) {
    this.panel.error(text);
  }
}
