// The pooling example: the latest /api/pool answer for what the controls say.
// Events: "result" (`result`), "error" (`error`, the API's detail; the last answer stays).

import { api } from "../../shared/api.js";
import { live } from "../../shared/config.js";
import { LatestWins } from "../../shared/latest-wins.js";

export class PoolModel extends EventTarget {
  constructor(selection) {
    super();
    this.selection = selection;
    this.result = null;
    this.error = null;
    this.runner = new LatestWins({
      run: async (body) => {
        const arithmetic = await api.arithmetic(shapeQuery(body));
        return arithmetic.valid ? { result: await api.pool(body) } : { problems: arithmetic.problems };
      },
      onResult: (answer) => (answer.result ? this.#accept(answer.result) : this.#fail(answer.problems.join(" "))),
      onError: (err) => this.#fail(err.message),
      minIntervalMs: live.minIntervalMs,
    });
  }

  #accept(result) {
    this.result = result;
    this.error = null;
    this.selection.setShape(result.output_shape); // first: no view draws an output that is gone
    this.dispatchEvent(new CustomEvent("result"));
  }

  #fail(message) {
    this.error = message;
    this.dispatchEvent(new CustomEvent("error"));
  }

  // body: the /api/pool request; problem: what the controls know is wrong with it, or null.
  request(body, problem = null) {
    if (problem) {
      this.runner.cancel();
      this.#fail(problem);
      return;
    }
    this.runner.request(() => body, { urgent: true });
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
