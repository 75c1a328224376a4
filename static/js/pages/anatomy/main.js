// The convolution anatomy page. This module only wires the pieces together: the API, the
// controls, one Selection per convolution, and the views.

import { api } from "../../shared/api.js";
import { anatomy } from "../../shared/config.js";
import { setStyle } from "../../shared/dom.js";
import { ConvModel } from "./conv-model.js";
import { Selection } from "../../shared/anatomy/selection.js";
import { ArithmeticView } from "./arithmetic-view.js";
import { ConvControls } from "./conv-controls.js";
import { DenseView } from "./dense-view.js";
import { EquationView } from "../../shared/anatomy/equation-view.js";
import { MatrixView } from "./matrix-view.js";
import { OutputView } from "./output-view.js";
import { ParamsView } from "./params-view.js";
import { PoolModel } from "./pool-model.js";
import { PoolControls } from "./pool-controls.js";
import { PoolView } from "./pool-view.js";
import { LayerModel } from "../../shared/anatomy/layer-model.js";
import { RealLayerControls } from "./real-layer-controls.js";
import { RealLayerView } from "./real-layer-view.js";
import { VolumeView } from "./volume-view.js";
import { SlidingView } from "./sliding-view.js";
import { Stepper } from "./stepper.js";
import { StatusView } from "../../shared/status.js";
import { FlipView } from "./flip-view.js";
import { keepPlaygroundInLink } from "./link.js";
import { SquareView } from "./square-view.js";

const $ = (selector) => document.querySelector(selector);
const byTestId = (id) => $(`[data-testid="${id}"]`);

setStyle(document.documentElement, {
  "--cell": `${anatomy.cell}px`,
  "--map-size": `${anatomy.mapSize}px`,
  "--weight-hover": anatomy.hover,
  "--window": anatomy.window,
  "--winner": anatomy.winner,
  "--pad-cell": anatomy.padding,
  "--structural-zero": anatomy.structuralZero,
});

const status = new StatusView(byTestId("error"));

// -- the playground: one convolution, six views ---------------------------------------------

const selection = new Selection();
const model = new ConvModel(selection);
const sliding = byTestId("sliding-view");
const stepper = new Stepper(selection, sliding, { intervalMs: anatomy.playIntervalMs });
sliding.querySelector(".stepper-slot").append(stepper.el);
new SlidingView(sliding, model, selection);
new EquationView(byTestId("equation-view"), model, selection);
new OutputView(byTestId("conv-output"), model, selection);
new MatrixView(byTestId("matrix-view"), model, selection);
new DenseView(byTestId("dense-view"), model, selection);
new ArithmeticView(byTestId("conv-arithmetic"), model);
model.addEventListener("result", () => document.body.classList.add("has-conv"));
// While a field is invalid the six views still show the last good example: say so on them.
const playground = $("#playground");
model.addEventListener("error", () => playground.classList.add("is-stale"));
model.addEventListener("result", () => playground.classList.remove("is-stale"));
// The flip view follows every convolution the playground has shown (so never a refused one).
const flip = new FlipView(byTestId("flip-view"), status);
model.addEventListener("result", () => flip.update(model.body));

// -- pooling ------------------------------------------------------------------------------------

const poolCard = byTestId("pool-view");
const poolSelection = new Selection();
const poolModel = new PoolModel(poolSelection);
const poolStepper = new Stepper(poolSelection, poolCard, { intervalMs: anatomy.playIntervalMs, noun: "window" });
new PoolView(poolCard, poolModel, poolSelection, poolStepper);

// -- a real layer -----------------------------------------------------------------------------

const real = byTestId("real-layer");
const realSelection = new Selection();
const layerModel = new LayerModel(realSelection);
const realControls = new RealLayerControls(real.querySelector(".real-controls"), status);
const realView = new RealLayerView(real.querySelector(".real-result"), layerModel, realSelection);
new OutputView(realView.slots.output, layerModel, realSelection, { label: "feature map" });
new EquationView(realView.slots.equation, layerModel, realSelection);
new MatrixView(realView.slots.matrix, layerModel, realSelection);
new DenseView(realView.slots.dense, layerModel, realSelection);
new VolumeView(realView.slots.volume, layerModel, realSelection, (f) => realControls.pickFilter(f));
// the kernel sliding over the real input, one output at a time (each asks for its equation)
const realStepper = new Stepper(realSelection, real, { intervalMs: anatomy.playIntervalMs });
realView.slots.stepper.append(realStepper.el);
// "The real thing" of a preset (presets.js): that model's layer, scrolled to.
document.addEventListener("anatomy:open-real", async (e) => {
  const { model: id, layer } = e.detail;
  if (await realControls.open(id, layer)) real.scrollIntoView({ behavior: "smooth", block: "start" });
  else status.error(`The model ${id} is not installed, so its real layer cannot be shown.`);
});
realControls.addEventListener("change", (e) => {
  const { model: id, layer, filter, group, input, keep, output } = e.detail;
  layerModel.load(id, layer, filter, input, keep, output, group);
});

async function start() {
  let presets;
  let limits;
  try {
    [presets, limits] = await Promise.all([api.anatomyPresets(), api.limits()]);
  } catch (err) {
    status.error(err.message);
    return;
  }
  const controls = new ConvControls($("#conv-controls"), $("#conv-presets"), $("#conv-preset-description"), presets.conv, limits);
  controls.addEventListener("change", (e) => model.request(e.detail.body, e.detail.problem));
  controls.load(presets.conv[0]);
  keepPlaygroundInLink("conv", controls, presets.conv);

  const poolControls = new PoolControls(poolCard.querySelector(".pool-controls"), $("#pool-presets"), $("#pool-preset-description"), presets.pool, limits);
  poolControls.addEventListener("change", (e) => poolModel.request(e.detail.body, e.detail.problem));
  poolControls.load(presets.pool[0]);
  keepPlaygroundInLink("pool", poolControls, presets.pool);
  new ParamsView(byTestId("params-view"));
  realControls.start();
  new SquareView(byTestId("square-detector"), status).start().catch((err) => status.error(err.message));
}

start();
