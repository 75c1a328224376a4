// The training, evaluation and model-management endpoints. Errors carry the API's `detail`
// (an ApiError, as in api.js) so the page can say what is wrong in the server's words.

import { ApiError } from "../api.js";

async function request(method, path, body, { form = false } = {}) {
  const init = { method, headers: { Accept: "application/json" } };
  if (form) init.body = body; // FormData: the browser sets the multipart boundary
  else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "The server cannot be reached. Is it still running?");
  }
  const type = response.headers.get("Content-Type") || "";
  const payload = type.includes("application/json") ? await response.json() : null;
  if (!response.ok) {
    const detail = payload && typeof payload.detail === "string" ? payload.detail : null;
    throw new ApiError(response.status, detail || `${method} ${path} failed: ${response.status}`);
  }
  return payload;
}

const model = (id) => `/api/models/${encodeURIComponent(id)}`;

export const trainApi = {
  options: () => request("GET", "/api/train/options"),
  validate: (architecture, dataset, batchSize) =>
    request("POST", "/api/architectures/validate", {
      architecture,
      dataset,
      batch_size: batchSize,
    }),
  start: (body) => request("POST", "/api/train", body),
  job: (id) => request("GET", `/api/train/${id}`),
  jobs: () => request("GET", "/api/train"),
  cancel: (id) => request("DELETE", `/api/train/${id}`),
  resume: (id) => request("POST", `/api/train/${id}/resume`),
  eventsUrl: (id) => `/api/train/${id}/events`,

  models: () => request("GET", "/api/models"),
  evaluation: (id) => request("GET", `${model(id)}/evaluation`),
  cell: (id, t, p, count) =>
    request(
      "GET",
      `${model(id)}/evaluation/examples?true_class=${t}&predicted_class=${p}&count=${count}`,
    ),
  rename: (id, name) => request("PATCH", model(id), { name }),
  remove: (id) => request("DELETE", model(id)),
  weightsUrl: (id) => `${model(id)}/weights.npz`,
  importModel: (formData) => request("POST", "/api/models/import", formData, { form: true }),
};
