// The playground's convolution: the latest /api/conv answer for what the controls say, and
// its steps — all at once for small examples, one output at a time for large ones (seed 003's
// 28×28 outputs × 75 weights would be 58,800 terms to send on every edit).
//
// Events: "result" (a new answer: `result`), "error" (`error`: the API's detail, the views
// keep the last good answer), "step" (a step fetched on demand arrived).

import { api } from "../../shared/api.js";
import { anatomy } from "../../shared/config.js";
import { LatestWins } from "../../shared/latest-wins.js";
import { PlaygroundOp } from "./playground-op.js";

export class ConvModel extends PlaygroundOp {
  constructor(selection) {
    super(selection, { call: (body) => api.conv(body), shapeQuery });
    this.body = null; // the request behind `result`
    this.steps = new Map(); // row -> Step
    this.lazy = false;
    this.stepRunner = new LatestWins({
      run: (body) => api.conv(body),
      onResult: (result) => this.#acceptStep(result.steps[0]),
      onError: (err) => this.fail(err.message),
      minIntervalMs: 0,
    });
    selection.addEventListener("select", () => this.#want(selection.row));
  }

  // A big input asks for the first step only; the others are fetched as they are selected.
  payload(body) {
    return bigInput(body) ? { ...body, step: [0, 0] } : body;
  }

  // The Step of output `row`, or null while it is being fetched.
  step(row) {
    return row === null ? null : (this.steps.get(row) ?? null);
  }

  accept(result, body) {
    this.body = body;
    this.lazy = result.steps.length < result.output_shape[0] * result.output_shape[1];
    this.steps = new Map(result.steps.map((s) => [s.output[0] * result.output_shape[1] + s.output[1], s]));
    this.stepRunner.cancel();
    super.accept(result);
  }

  #want(row) {
    if (!this.lazy || row === null || this.steps.has(row)) return;
    const [i, j] = this.selection.cell(row);
    const body = { ...this.body, step: [i, j], matrix: false };
    this.stepRunner.request(() => body, { urgent: true });
  }

  #acceptStep(step) {
    const row = step.output[0] * this.result.output_shape[1] + step.output[1];
    this.steps.set(row, step);
    this.dispatchEvent(new CustomEvent("step", { detail: { row } }));
  }
}

// Would every step of this request be more terms than the page asks for at once? Judged from
// the sizes the person typed (an estimate: the API decides the output size).
function bigInput(body) {
  const depth = (a) => (Array.isArray(a) ? 1 + depth(a[0]) : 0);
  const x = depth(body.input) === 3 ? body.input : [body.input];
  const k = depth(body.kernel) === 3 ? body.kernel : [body.kernel];
  const terms = x[0].length * (x[0][0]?.length ?? 0) * k.length * k[0].length * (k[0][0]?.length ?? 0);
  return terms > anatomy.allStepsMaxTerms;
}

// The sizes and hyperparameters of a request, for GET /api/anatomy/arithmetic.
function shapeQuery(body) {
  return {
    op: "conv",
    channels: body.input.length,
    height: body.input[0].length,
    width: body.input[0][0].length,
    kernel_height: body.kernel[0].length,
    kernel_width: body.kernel[0][0].length,
    stride: body.stride,
    padding: body.padding,
    dilation: body.dilation,
  };
}
