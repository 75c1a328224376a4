// The pooling example: the latest /api/pool answer for what the controls say.
// Events: "result" (`result`), "error" (`error`, the API's detail; the last answer stays).

import { api } from "../api.js";
import { live } from "../config.js";
import { LatestWins } from "../latest-wins.js";

export class PoolModel extends EventTarget {
  constructor(selection) {
    super();
    this.selection = selection;
    this.result = null;
    this.error = null;
    this.runner = new LatestWins({
      run: (body) => api.pool(body),
      onResult: (result) => {
        this.result = result;
        this.error = null;
        this.dispatchEvent(new CustomEvent("result"));
        selection.setShape(result.output_shape);
      },
      onError: (err) => {
        this.error = err.message;
        this.dispatchEvent(new CustomEvent("error"));
      },
      minIntervalMs: live.minIntervalMs,
    });
  }

  request(body) {
    this.runner.request(() => body, { urgent: true });
  }

  step(row) {
    return row === null ? null : (this.result?.steps[row] ?? null);
  }
}
