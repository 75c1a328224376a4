// The pooling example: the latest /api/pool answer for what the controls say.
// Events: "result" (`result`), "error" (`error`, the API's detail; the last answer stays).

import { api } from "../../shared/api.js";
import { PlaygroundOp } from "./playground-op.js";

export class PoolModel extends PlaygroundOp {
  constructor(selection) {
    super(selection, { call: (body) => api.pool(body), shapeQuery });
  }

  step(row) {
    return row === null ? null : (this.result?.steps[row] ?? null);
  }
}

// The sizes and hyperparameters of a request, for GET /api/anatomy/arithmetic.
function shapeQuery(body) {
  const query = { op: "pool", height: body.input.length, width: body.input[0].length, kernel_size: body.kernel_size, padding: body.padding, global: body.global };
  if (body.stride !== null) query.stride = body.stride;
  return query;
}
