// One playground operation (/api/conv, /api/pool): the latest answer for what the controls
// say, asked for in two steps — first GET /api/anatomy/arithmetic for the request's sizes
// (always a 200: it explains an impossible combination instead of refusing it), then, if they
// work, the operation itself. ConvModel and PoolModel are this with their own call.
//
// Events: "result" (a new answer: `result`), "error" (`error`: the API's detail or what the
// controls know is wrong; the views keep the last good answer).

import { api } from "../../shared/api.js";
import { live } from "../../shared/config.js";
import { LatestWins } from "../../shared/latest-wins.js";

export class PlaygroundOp extends EventTarget {
  // selection: the Selection whose output grid follows each answer; call(body) -> Promise of
  // the answer; shapeQuery(body): the arithmetic's query for a request.
  constructor(selection, { call, shapeQuery }) {
    super();
    this.selection = selection;
    this.result = null;
    this.error = null;
    this.runner = new LatestWins({
      run: async (body) => {
        const arithmetic = await api.arithmetic(shapeQuery(body));
        return arithmetic.valid ? { result: await call(body) } : { problems: arithmetic.problems };
      },
      onResult: (answer, body) => (answer.result ? this.accept(answer.result, body) : this.fail(answer.problems.join(" "))),
      onError: (err) => this.fail(err.message),
      minIntervalMs: live.minIntervalMs,
    });
  }

  // body: the request the controls describe; problem: what the controls already know is wrong
  // with it (a cell that is not a number), or null — then nothing is asked.
  request(body, problem = null) {
    if (problem) {
      this.runner.cancel();
      this.fail(problem);
      return;
    }
    this.runner.request(() => this.payload(body), { urgent: true });
  }

  // What is sent for the request `body` (a subclass may ask for less).
  payload(body) {
    return body;
  }

  accept(result) {
    this.result = result;
    this.error = null;
    this.selection.setShape(result.output_shape); // first: no view draws an output that is gone
    this.dispatchEvent(new CustomEvent("result"));
  }

  fail(message) {
    this.error = message;
    this.dispatchEvent(new CustomEvent("error"));
  }
}
