// One filter of a real conv layer on the person's drawing: the latest answer of
// POST /api/models/{id}/layers/{index}/anatomy, shaped like a playground result so the same
// views draw it (`input`, `kernel`, `output` = the feature map, `matrix`, one step). A grouped
// conv's answer covers one group: `channels` names the layer channels its input planes are.
// Choosing another output asks the API for that output's equation.
//
// Events: "result" (a new answer), "step" (the same layer, another output), "error".

import { api } from "../api.js";
import { live } from "../config.js";
import { LatestWins } from "../latest-wins.js";

export class LayerModel extends EventTarget {
  constructor(selection) {
    super();
    this.selection = selection;
    this.answer = null; // the API's LayerAnatomy
    this.result = null; // the same, as the views read it
    this.error = null;
    this.request = null; // the latest { model, layer, filter, input, group }
    this.shown = null; // the request whose answer is shown
    this.runner = new LatestWins({
      run: ({ model, layer, body, group }) => api.layerAnatomy(model, layer, body, undefined, group),
      onResult: (answer, payload) => this.#accept(answer, payload),
      onError: (err) => {
        this.error = err.message;
        this.dispatchEvent(new CustomEvent("error"));
      },
      minIntervalMs: live.minIntervalMs,
    });
    selection.addEventListener("select", () => this.#want(selection.row));
  }

  // model: id; layer: index; filter: f; input: an ImageInput body; keep: ask for the output
  // chosen now (same layer, another filter or drawing) rather than the strongest one;
  // `chosen`: an [i, j] to write out instead; group: a grouped conv's group (undefined: the
  // filter's own, which the API finds).
  load(model, layer, filter, input, keep = false, chosen = undefined, group = undefined) {
    this.request = { model, layer, filter, input, group };
    const row = this.selection.row;
    const output = chosen ?? (keep && this.result && row !== null ? this.selection.cell(row) : undefined);
    const request = this.request;
    this.runner.request(() => ({ model, layer, group, body: { ...input, filter, output }, request }), { urgent: true });
  }

  step(row) {
    const s = this.result?.steps[0];
    if (!s || row === null) return null;
    return s.output[0] * this.result.output_shape[1] + s.output[1] === row ? s : null;
  }

  #want(row) {
    if (!this.result || row === null || this.step(row)) return;
    const request = this.request;
    const { model, layer, filter, input, group } = request;
    const output = this.selection.cell(row);
    this.runner.request(() => ({ model, layer, group, body: { ...input, filter, output }, request }), { urgent: true });
  }

  #accept(answer, payload) {
    this.answer = answer;
    this.error = null;
    this.result = {
      input: answer.input,
      kernel: answer.kernel,
      output: answer.feature_map,
      output_shape: answer.matrix.shape_out,
      matrix: answer.matrix,
      formula: answer.formula,
      padding: answer.layer.config.padding,
      steps: [answer.step],
      channels: renumbered(answer.group_in_channels), // plane c is layer input channel channels[c]
    };
    const fresh = payload.request !== this.shown; // another layer, filter or drawing
    this.shown = payload.request;
    if (fresh) {
      // the selection first, so nothing draws the new map with an output of the old one
      const W = answer.matrix.shape_out[1];
      this.selection.reset(answer.matrix.shape_out, answer.output[0] * W + answer.output[1]);
      this.dispatchEvent(new CustomEvent("result"));
    } else {
      this.dispatchEvent(new CustomEvent("step"));
    }
  }
}

// A grouped conv's input channels when they are not 0, 1, ... (a later group), else undefined.
function renumbered(channels) {
  return channels.some((ch, i) => ch !== i) ? channels : undefined;
}
