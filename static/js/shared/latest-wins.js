// Run an async job for the latest request only: at most one in flight, requests made while
// one runs collapse into a single follow-up, and starts are at least `minIntervalMs` apart
// unless the caller asks for `urgent` (the end of a stroke). With `abortStale`, an urgent
// request does not wait behind the job in flight: it aborts it (its AbortSignal fires, its
// answer is dropped) and starts at once — unless `same` says the job in flight already asks
// exactly that (the stroke ended without new ink since it started): then the job is kept and
// its answer is reported with the new payload, instead of asking the server the same again.

export class LatestWins {
  // run(payload, signal) -> Promise<result>; onResult(result, payload); onError(error);
  // same(a, b) -> whether payloads a and b get the same answer (optional, with abortStale)
  constructor({ run, onResult, onError, minIntervalMs, abortStale = false, same = null }) {
    this.abortStale = abortStale;
    this.same = same;
    this.run = run;
    this.onResult = onResult;
    this.onError = onError;
    this.minIntervalMs = minIntervalMs;
    this.pending = null; // a function producing the payload, evaluated when the job starts
    this.urgent = false;
    this.job = null; // { controller, payload } of the job in flight
    this.lastStart = -Infinity;
    this.timer = null;
  }

  request(makePayload, { urgent = false } = {}) {
    if (urgent && this.abortStale && this.job) {
      if (this.same) {
        const payload = makePayload();
        if (this.same(this.job.payload, payload)) {
          this.job.payload = payload; // its answer is this request's
          this.#forget();
          return;
        }
        makePayload = () => payload;
      }
      this.#abort();
    }
    this.pending = makePayload;
    this.urgent = this.urgent || urgent;
    this.pump();
  }

  // Forget pending work and abort the job in flight (e.g. the model changed).
  cancel() {
    this.#forget();
    this.#abort();
  }

  #forget() {
    this.pending = null;
    this.urgent = false;
    clearTimeout(this.timer);
    this.timer = null;
  }

  #abort() {
    if (!this.job) return;
    this.job.controller.abort();
    this.job = null;
  }

  pump() {
    if (this.job || !this.pending) return;
    const wait = this.urgent ? 0 : this.lastStart + this.minIntervalMs - performance.now();
    if (wait > 0) {
      if (!this.timer) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.pump();
        }, wait);
      }
      return;
    }
    clearTimeout(this.timer);
    this.timer = null;
    const payload = this.pending();
    this.pending = null;
    this.urgent = false;
    const job = { controller: new AbortController(), payload };
    this.job = job;
    this.lastStart = performance.now();
    const current = () => this.job === job;
    this.run(payload, job.controller.signal)
      .then(
        (result) => current() && this.onResult(result, job.payload),
        (error) => current() && this.onError(error),
      )
      .finally(() => {
        if (!current()) return; // aborted: whoever aborted it has started the next job
        this.job = null;
        this.pump();
      });
  }
}
