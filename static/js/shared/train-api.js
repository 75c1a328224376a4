// The training, evaluation and model-management endpoints, through api.js's one request():
// errors are ApiErrors carrying the API's `detail` (validation lists included) in words.

import { request } from "./api.js";

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
  importModel: (formData) => request("POST", "/api/models/import", formData),
};
