// The colour page: a bundled or uploaded photo, its R, G, B channels, and a 3-deep filter
// whose three slices each slide over their own channel and add up to one feature map.

import { api } from "../../shared/api.js";
import { makeScale, paintGrid } from "../../shared/colormap.js";
import { explain as config } from "../../shared/config.js";
import { h } from "../../shared/dom.js";
import { LatestWins } from "../../shared/latest-wins.js";
import { paintChannel, paintImage, sizeLike } from "../../shared/color-channels.js";
import { Legend } from "../../shared/legend.js";
import { StatusView } from "../../shared/status.js";

const $ = (selector) => document.querySelector(selector);
const byTestId = (id) => $(`[data-testid="${id}"]`);
const status = new StatusView(byTestId("error"));
const legend = new Legend();
$("#color-legend").append(legend.el);
const CHANNELS = ["R", "G", "B"];

const state = {
  source: { sample: "shapes" }, // or { image: dataURL }
  presets: [],
  kernel: null, // (3, kh, kw)
  preset: null,
  bias: 0,
};

const runner = new LatestWins({
  minIntervalMs: config.minIntervalMs,
  run: (body) => api.color(body),
  onResult: (answer) => show(answer),
  onError: (err) => status.error(err.message),
});

function request() {
  status.clear();
  const body = { ...state.source, bias: state.bias };
  if (state.preset) body.preset = state.preset;
  else body.kernel = state.kernel;
  runner.request(() => body, { urgent: true });
}

function show(answer) {
  const [C, H, W] = answer.input_shape;
  byTestId("color-shape").textContent = `${C} × ${H} × ${W}`;
  paintImage(byTestId("color-original"), answer.channels);
  answer.channels.forEach((grid, c) => paintChannel(byTestId(`channel-${"rgb"[c]}`), grid, c));
  byTestId("color-explanation").textContent = answer.explanation;
  if (answer.output) {
    byTestId("color-kernel-shape").textContent = answer.kernel_shape.join(" × ");
    const scale = makeScale("diverging", answer.min, answer.max);
    const partScale = makeScale("diverging", ...range(answer.parts));
    answer.parts.forEach((part, c) => {
      const canvas = byTestId(`part-${"rgb"[c]}`);
      paintGrid(canvas, part, partScale);
      sizeLike(canvas, part.length, part[0].length);
    });
    const out = byTestId("color-output");
    paintGrid(out, answer.output, scale);
    sizeLike(out, answer.output.length, answer.output[0].length);
    legend.render(scale, "feature map");
  }
  document.body.dataset.colorRenders = String(Number(document.body.dataset.colorRenders || 0) + 1);
}

function range(grids) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const g of grids) for (const row of g) for (const v of row) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

// -- the filter's three slices ---------------------------------------------------------------

function renderSlices() {
  const [, kh, kw] = [state.kernel.length, state.kernel[0].length, state.kernel[0][0].length];
  $("#color-slices").replaceChildren(
    ...state.kernel.map((slice, c) =>
      h(
        "div",
        { class: "slice", dataset: { testid: "color-slice" } },
        h("span", { style: { color: `rgb(${config.channelColours[c].join(" ")})`, fontWeight: 600 } }, `${CHANNELS[c]} slice (${kh} × ${kw})`),
        h(
          "div",
          { class: "slice-grid", style: { "--kernel-n": kw } },
          slice.flatMap((row, r) =>
            row.map((v, s) => {
              const input = h("input", {
                type: "number",
                step: "0.1",
                value: String(Math.round(v * 1000) / 1000),
                "aria-label": `${CHANNELS[c]} slice, row ${r + 1}, column ${s + 1}`,
                oninput: () => {
                  state.kernel[c][r][s] = Number(input.value) || 0;
                  state.preset = null;
                  $("#color-preset").value = "";
                  request();
                },
              });
              return input;
            }),
          ),
        ),
      ),
    ),
  );
}

function pickPreset(name) {
  const preset = state.presets.find((p) => p.name === name);
  if (!preset) return;
  state.preset = name;
  state.kernel = preset.kernel.map((s) => s.map((row) => [...row]));
  byTestId("depth-error").hidden = true;
  renderSlices();
  request();
}

// A filter one slice deep on a three-channel image: the API refuses it, and says why.
async function depthDemo() {
  const body = { ...state.source, kernel: state.kernel[0] };
  const box = byTestId("depth-error");
  try {
    await api.color(body);
    box.textContent = "The API accepted it (it should not have).";
  } catch (err) {
    box.textContent = `The API refuses it (${err.status}): ${err.message}`;
  }
  box.hidden = false;
}

// -- sources ------------------------------------------------------------------------------------

function selectSample(name, buttons) {
  state.source = { sample: name };
  for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.name === name));
  request();
}

function upload(file, buttons) {
  const reader = new FileReader();
  reader.onload = () => {
    state.source = { image: reader.result };
    for (const b of buttons) b.setAttribute("aria-pressed", "false");
    request();
  };
  reader.readAsDataURL(file);
}

async function start() {
  let samples;
  let presets;
  try {
    [{ samples }, { color_presets: presets }] = await Promise.all([api.colorSamples(), api.kernelPresets()]);
  } catch (err) {
    status.error(err.message);
    return;
  }
  const buttons = samples.map((s) =>
    h(
      "button",
      {
        type: "button",
        class: "color-sample",
        dataset: { testid: "color-sample", name: s.name },
        "aria-pressed": String(s.name === state.source.sample),
        title: s.description,
        onclick: () => selectSample(s.name, buttons),
      },
      h("img", { src: s.url, alt: s.description, class: "pixelated" }),
    ),
  );
  $("#color-samples").replaceChildren(...buttons);
  byTestId("color-upload").addEventListener("change", (e) => e.target.files[0] && upload(e.target.files[0], buttons));
  state.presets = presets;
  const select = $("#color-preset");
  select.replaceChildren(
    ...presets.map((p) => h("option", { value: p.name, title: p.description }, p.name)),
    h("option", { value: "" }, "your own"),
  );
  select.addEventListener("change", () => select.value && pickPreset(select.value));
  $("#color-bias").addEventListener("input", (e) => {
    state.bias = Number(e.target.value) || 0;
    request();
  });
  byTestId("depth-demo").addEventListener("click", depthDemo);
  select.value = "vertical-edge";
  pickPreset("vertical-edge");
}

start();
