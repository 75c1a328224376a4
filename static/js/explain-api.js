// The explanation, kernel and colour endpoints (see /docs, tags explain, kernel, color).

import { request } from "./api.js";

const model = (id) => `/api/models/${encodeURIComponent(id)}/explain`;

export const explainApi = {
  info: (id) => request("GET", model(id)),
  // method: "saliency" | "gradcam" | "occlusion" | "integrated-gradients"
  explain: (id, method, body, signal) => request("POST", `${model(id)}/${method}`, body, signal),
  topActivations: (id, layer, k) =>
    request("GET", `${model(id)}/layers/${layer}/top-activations?k=${k}`),
  maximise: (id, layer) => request("GET", `${model(id)}/layers/${layer}/maximise`),
  kernelPresets: () => request("GET", "/api/kernel/presets"),
  kernel: (body, signal) => request("POST", "/api/kernel", body, signal),
  colorSamples: () => request("GET", "/api/color/samples"),
  color: (body, signal) => request("POST", "/api/color", body, signal),
};
