// The one way the front end talks to the server: one fetch wrapper, `request`, and one client
// object, `api`, with a method per endpoint (grouped by the API's tags, see /docs). Errors are
// ApiErrors whose message is `words()`: what the person did and what is allowed, never raw
// validation text (the server's own `detail` is kept on the error for scripts).

import { wantedModels } from "./current-model.js";
import { unpack } from "./packed.js";

const PACKED = "application/vnd.cnn-explorer.activations";

export class ApiError extends Error {
  // message: words for the person (see `words`); detail: the server's own, for scripts.
  constructor(status, message, detail = message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }
}

// A refusal in words about what the person did: never a field path with "(body)", never
// pydantic's "Input should be …". FastAPI's validation errors come as `errors` (loc, type,
// msg); our own refusals as a `detail` sentence that already names the field and the limit.
const RULES = [
  [/greater than or equal to (\S+)/, (n) => `must be ${n} or more`],
  [/greater than (\S+)/, (n) => `must be more than ${n}`],
  [/less than or equal to (\S+)/, (n) => `must be ${n} or less`],
  [/less than (\S+)/, (n) => `must be less than ${n}`],
  [/at most (\d+) (item|character)/, (n, what) => `may have at most ${n} ${what}s`],
  [/at least (\d+) (item|character)/, (n, what) => `needs at least ${n} ${what}s`],
  [/valid integer/, () => "must be a whole number"],
  [/valid number/, () => "must be a number"],
  [/Field required/, () => "is missing"],
];

function fieldName(loc) {
  const parts = (Array.isArray(loc) ? loc : []).slice(1).filter((p) => p !== "__root__");
  const words = parts.map((p) => (typeof p === "number" ? `#${p + 1}` : String(p).replaceAll("_", " ")));
  return words.join(" ") || "the request";
}

function rule(msg) {
  for (const [re, say] of RULES) {
    const m = re.exec(msg);
    if (m) return say(...m.slice(1));
  }
  return `is not accepted (${msg.replace(/^Input should /, "should ").replace(/^Value error, /, "")})`;
}

const STATUS_WORDS = {
  400: "The server could not use what was sent",
  404: "That was not found (it may have been renamed or deleted)",
  409: "That clashes with something that already exists",
  413: "That is too large for this server",
  415: "That kind of file is not accepted",
  422: "Some of what was entered is out of range",
  429: "The server is busy; please try again in a moment",
  503: "The server is busy; please try again in a moment",
};

// The server's own sentence tidied (`unit[0] (body): …` → `unit #1: …`).
const tidy = (text) =>
  text
    .replace(/\s\((body|query|path|form)\)/g, "")
    .replace(/\[(\d+)\]/g, (_, i) => ` #${Number(i) + 1}`)
    .replace(/Input should be /g, "should be ")
    .replace(/Value error, /g, "");

export function words(status, payload) {
  const errors = payload && Array.isArray(payload.errors) ? payload.errors : null;
  if (errors && errors.length) {
    const said = errors.map((e) => `${fieldName(e.loc)} ${rule(String(e.msg))}`);
    return `${STATUS_WORDS[422]}: ${said.join("; ")}.`;
  }
  const detail = payload && payload.detail;
  if (Array.isArray(detail)) return words(status, { errors: detail });
  if (typeof detail === "string" && detail) return tidy(detail);
  return `${STATUS_WORDS[status] ?? "The server could not do that"} (HTTP ${status}).`;
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

// `body`: sent as JSON, or as it is if it is FormData (the browser sets the multipart boundary)
// or a Blob (a photo's bytes).
async function request(method, path, body, signal, accept = "application/json") {
  const init = { method, headers: { Accept: accept }, signal };
  if (body instanceof FormData || body instanceof Blob) init.body = body;
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
    throw new ApiError(response.status, words(response.status, payload), payload && payload.detail);
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

// The model a page opens with: the one the URL asks for, else the one the person chose last
// (current-model.js), if installed; else the server's default (installed while there is any).
export function pickModel(list, wanted = wantedModels()) {
  const ids = new Set(list.models.map((m) => m.id));
  return [wanted].flat().find((id) => ids.has(id)) ?? list.default;
}

// A model's path: every per-model endpoint is below it.
const model = (id) => `/api/models/${encodeURIComponent(id)}`;

export const api = {
  // Models and the explorer.
  models: () => request("GET", "/api/models"),
  model: (id) => request("GET", model(id)),
  // The activations as one binary message (packed.js): what the explorer reads on every stroke.
  // query: which layers and channels ({ layers, max_channels, max_layer_values, first_channel }; default all)
  activationsPacked: async (id, input, signal, dtype = "float32", query = null) =>
    unpack(await request("POST", `${model(id)}/activations?${new URLSearchParams({ format: dtype, ...query })}`, input, signal, PACKED)),
  connections: (id, index, body, signal) => request("POST", `${model(id)}/layers/${index}/connections`, body, signal),
  receptiveField: (id, index, row, col) =>
    request("GET", `${model(id)}/layers/${index}/receptive-field?${new URLSearchParams({ row, col })}`),
  filters: (id, index) => request("GET", `${model(id)}/layers/${index}/filters`),
  layerState: (id, index) => request("GET", `${model(id)}/layers/${index}/state`),
  gallery: (count, offset, dataset = "mnist") =>
    request("GET", `/api/gallery?${new URLSearchParams({ count, offset, dataset })}`),
  // A model's own test images (a colour model's photos: `pixels` H×W×3).
  modelGallery: (id, count, offset = 0) =>
    request("GET", `/api/gallery?${new URLSearchParams({ model: id, count, offset })}`),

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
  // body: {photos: [ImageInput], names?, k?, filter?}: the top images among the photos sent.
  topPhotos: (id, layer, body) => request("POST", `${model(id)}/explain/layers/${layer}/top-activations`, body),
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
  // One unit's regularised feature visualisation (the unit's default regularisers).
  visualise: (id, layer, unit) => request("GET", `${model(id)}/explain/layers/${layer}/visualise?unit=${unit}`),
  kernelPresets: () => request("GET", "/api/kernel/presets"),
  kernel: (body, signal) => request("POST", "/api/kernel", body, signal),
  colorSamples: () => request("GET", "/api/color/samples"),
  // The bundled sample photos (static/samples/<set>/manifest.json) and one file's bytes.
  samplePhotos: (set) => request("GET", `/static/samples/${set}/manifest.json`),
  fileBytes: (url) => request("GET", url, undefined, undefined, "application/octet-stream"),
  color: (body, signal) => request("POST", "/api/color", body, signal),

  // Training, evaluation and model management.
  trainOptions: () => request("GET", "/api/train/options"),
  validateArchitecture: (architecture, dataset, batchSize) =>
    request("POST", "/api/architectures/validate", { architecture, dataset, batch_size: batchSize }),
  startTraining: (body) => request("POST", "/api/train", body),
  // The learning rate at each step of a run with these settings (a TrainRequest will do).
  lrSchedule: (body, signal) => request("POST", "/api/train/schedule", body, signal),
  trainingJobs: () => request("GET", "/api/train"),
  cancelTraining: (id) => request("DELETE", `/api/train/${id}`),
  resumeTraining: (id) => request("POST", `/api/train/${id}/resume`),
  trainingEventsUrl: (id) => `/api/train/${id}/events`,
  evaluation: (id) => request("GET", `${model(id)}/evaluation`),
  evaluationExamples: (id, t, p, count) =>
    request("GET", `${model(id)}/evaluation/examples?true_class=${t}&predicted_class=${p}&count=${count}`),
  renameModel: (id, name) => request("PATCH", model(id), { name }),
  // input: the input convention {invert, scale, mean, std}; the evaluation is scored again.
  setConvention: (id, input) => request("PATCH", model(id), { input }),
  removeModel: (id) => request("DELETE", model(id)),
  weightsUrl: (id) => `${model(id)}/weights.npz`,
  onnxUrl: (id) => `${model(id)}/model.onnx`,
  importModel: (formData) => request("POST", "/api/models/import", formData),
  uploadDataset: (formData) => request("POST", "/api/datasets", formData),
  // a photo kept for links (its id and when it expires); a kept photo's bytes (an ArrayBuffer)
  keepPhoto: (blob) => request("POST", "/api/photos", blob),
  photo: (id) => request("GET", `/api/photos/${encodeURIComponent(id)}`, undefined, undefined, "image/*"),
};
