// The one way the front end talks to the server: one fetch wrapper, `request`, and one client
// object, `api`, with a method per endpoint (grouped by the API's tags, see /docs). Errors are
// ApiErrors carrying the API's `detail` (validation lists included) in words, so the page can
// show the person what is wrong, in the server's own words.

import { unpack } from "./packed.js";

const PACKED = "application/vnd.cnn-explorer.activations";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
  }
}

// FastAPI's `detail` is a string for our own errors, or a list of validation errors.
function describe(detail, fallback) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d) => {
        const where = Array.isArray(d.loc) ? d.loc.filter((p) => p !== "body").join(".") : "";
        return where ? `${where}: ${d.msg}` : d.msg;
      })
      .join("; ");
  }
  return fallback;
}

// A 503 or 429 with Retry-After (busy with heavy requests, or a table being computed in the
// background) is retried after the seconds it says, a few times, unless the caller aborts; a
// longer Retry-After (a full share of the training queue) is shown to the person instead.
const RETRIES = 8;
const MAX_WAIT_S = 10;

// The server's write token (CNN_EXPLORER_WRITE_TOKEN), asked for once when a write is first
// refused for the want of it, and kept for this browser session (tab) only.
const TOKEN_KEY = "cnn-explorer-write-token";

function writeToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function askForToken(detail) {
  const token = window.prompt(`${detail}\n\nWrite token:`)?.trim();
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  return Boolean(token);
}

function pause(seconds, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, seconds * 1000);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new DOMException("Aborted", "AbortError"));
      },
      { once: true },
    );
  });
}

// `body`: sent as JSON, or as it is if it is FormData (the browser sets the multipart boundary).
async function request(method, path, body, signal, accept = "application/json") {
  const init = { method, headers: { Accept: accept }, signal };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  for (let attempt = 0, asked = false; ; attempt++) {
    if (writeToken()) init.headers.Authorization = `Bearer ${writeToken()}`;
    try {
      response = await fetch(path, init);
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError(0, "The server cannot be reached. Is it still running?");
    }
    const bearer = (response.headers.get("WWW-Authenticate") || "").startsWith("Bearer");
    if (bearer && !asked) {
      // 401: no token yet; 403: the one kept is wrong. Ask once, then send it again.
      sessionStorage.removeItem(TOKEN_KEY);
      const { detail } = await response.clone().json();
      asked = true;
      if (askForToken(detail)) continue;
    }
    const retryAfter = Number(response.headers.get("Retry-After"));
    const busy = response.status === 503 || response.status === 429;
    if (!busy || !(retryAfter > 0) || retryAfter > MAX_WAIT_S || attempt >= RETRIES) break;
    await pause(retryAfter, signal);
  }
  let payload = null;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("application/json")) payload = await response.json();
  else if (response.ok && accept !== "application/json") payload = await response.arrayBuffer();
  if (!response.ok) {
    const fallback = `${method} ${path} failed: ${response.status} ${response.statusText}`;
    throw new ApiError(response.status, describe(payload && payload.detail, fallback));
  }
  return payload;
}

// The installed models (the /api/models answer), or null once `status` (a StatusView) shows
// why the server did not answer.
export async function installedModels(status) {
  try {
    return await api.models();
  } catch (err) {
    status.error(err.message);
    return null;
  }
}

// The model a page opens with: the one the URL asks for if it is installed, else the server's
// default (always an installed model while there is any).
export function pickModel(list, wanted) {
  return list.models.some((m) => m.id === wanted) ? wanted : list.default;
}

// A model's path: every per-model endpoint is below it.
const model = (id) => `/api/models/${encodeURIComponent(id)}`;

export const api = {
  // Models and the explorer.
  models: () => request("GET", "/api/models"),
  model: (id) => request("GET", model(id)),
  // The activations as one binary message (packed.js): what the explorer reads on every stroke.
  activationsPacked: async (id, input, signal, dtype = "float32") =>
    unpack(await request("POST", `${model(id)}/activations?format=${dtype}`, input, signal, PACKED)),
  connections: (id, index, body, signal) => request("POST", `${model(id)}/layers/${index}/connections`, body, signal),
  receptiveField: (id, index, row, col) =>
    request("GET", `${model(id)}/layers/${index}/receptive-field?${new URLSearchParams({ row, col })}`),
  filters: (id, index) => request("GET", `${model(id)}/layers/${index}/filters`),
  layerState: (id, index) => request("GET", `${model(id)}/layers/${index}/state`),
  gallery: (count, offset, dataset = "mnist") =>
    request("GET", `/api/gallery?${new URLSearchParams({ count, offset, dataset })}`),

  // Whether this browser may write (import, rename, delete, train), and why not.
  access: () => request("GET", "/api/access"),

  // The convolution anatomy page.
  limits: () => request("GET", "/api/limits"),
  conv: (body, signal) => request("POST", "/api/conv", body, signal),
  pool: (body, signal) => request("POST", "/api/pool", body, signal),
  anatomyPresets: () => request("GET", "/api/anatomy/presets"),
  anatomyParams: (query) => request("GET", `/api/anatomy/params?${new URLSearchParams(query)}`),
  arithmetic: (query) => request("GET", `/api/anatomy/arithmetic?${new URLSearchParams(query)}`),
  // group: a grouped conv's group (undefined: the filter's own)
  layerAnatomy: (id, index, body, signal, group) =>
    request("POST", `${model(id)}/layers/${index}/anatomy${group === undefined ? "" : `?group=${group}`}`, body, signal),

  // The teaching views.
  squareSetup: () => request("GET", "/api/teach/square"),
  square: (body) => request("POST", "/api/teach/square", body),
  networks: () => request("GET", "/api/teach/networks"),
  permutationTest: (id) => request("GET", `${model(id)}/permutation-test`),
  flatten: (id, body) => request("POST", `${model(id)}/flatten`, body),
  shift: (id, body) => request("POST", `${model(id)}/shift`, body),
  shiftCurve: (id, body) => request("POST", `${model(id)}/shift-curve`, body),
  backprop: (id, body) => request("POST", `${model(id)}/backprop`, body),

  // Explanations, filters, kernels and colour (tags explain, kernel, color).
  explainInfo: (id) => request("GET", `${model(id)}/explain`),
  // method: "saliency" | "gradcam" | "occlusion" | "integrated-gradients"
  explain: (id, method, body, signal) => request("POST", `${model(id)}/explain/${method}`, body, signal),
  topActivations: (id, layer, k) => request("GET", `${model(id)}/explain/layers/${layer}/top-activations?k=${k}`),
  // Asked for in pages of `page` filters (the server bounds units × steps per request, and
  // refuses a layer's every unit at once when they are many); the pages joined into one answer.
  maximise: async (id, layer, page = 8) => {
    const url = (first) => `${model(id)}/explain/layers/${layer}/maximise?first=${first}&count=${page}`;
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

  // Training, evaluation and model management.
  trainOptions: () => request("GET", "/api/train/options"),
  validateArchitecture: (architecture, dataset, batchSize) =>
    request("POST", "/api/architectures/validate", { architecture, dataset, batch_size: batchSize }),
  startTraining: (body) => request("POST", "/api/train", body),
  trainingJobs: () => request("GET", "/api/train"),
  cancelTraining: (id) => request("DELETE", `/api/train/${id}`),
  resumeTraining: (id) => request("POST", `/api/train/${id}/resume`),
  trainingEventsUrl: (id) => `/api/train/${id}/events`,
  evaluation: (id) => request("GET", `${model(id)}/evaluation`),
  evaluationExamples: (id, t, p, count) =>
    request("GET", `${model(id)}/evaluation/examples?true_class=${t}&predicted_class=${p}&count=${count}`),
  renameModel: (id, name) => request("PATCH", model(id), { name }),
  removeModel: (id) => request("DELETE", model(id)),
  weightsUrl: (id) => `${model(id)}/weights.npz`,
  importModel: (formData) => request("POST", "/api/models/import", formData),
};
