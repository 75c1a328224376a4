// The explanation, kernel and colour endpoints (see /docs, tags explain, kernel, color).

import { request } from "./api.js";

const model = (id) => `/api/models/${encodeURIComponent(id)}/explain`;

export const explainApi = {
  info: (id) => request("GET", model(id)),
  // method: "saliency" | "gradcam" | "occlusion" | "integrated-gradients"
  explain: (id, method, body, signal) => request("POST", `${model(id)}/${method}`, body, signal),
  topActivations: (id, layer, k) =>
    request("GET", `${model(id)}/layers/${layer}/top-activations?k=${k}`),
  // Asked for in pages of `page` filters (the server bounds units × steps per request, and
  // refuses a layer's every unit at once when they are many); the pages joined into one answer.
  maximise: async (id, layer, page = 8) => {
    const url = (first) => `${model(id)}/layers/${layer}/maximise?first=${first}&count=${page}`;
    const answer = await request("GET", url(0));
    const filters = [...answer.filters];
    for (let first = page; first < answer.units; first += page) {
      filters.push(...(await request("GET", url(first))).filters);
    }
    return { ...answer, filters };
  },
  kernelPresets: () => request("GET", "/api/kernel/presets"),
  kernel: (body, signal) => request("POST", "/api/kernel", body, signal),
  colorSamples: () => request("GET", "/api/color/samples"),
  color: (body, signal) => request("POST", "/api/color", body, signal),
};
