// Run an async job for the latest request only: at most one in flight, requests made while
// one runs collapse into a single follow-up, and starts are at least `minIntervalMs` apart
// unless the caller asks for `urgent` (the end of a stroke). With `abortStale`, an urgent
// request does not wait behind the job in flight: it aborts it (its AbortSignal fires, its
// answer is dropped) and starts at once.

export class LatestWins {
  // run(payload, signal) -> Promise<result>; onResult(result, payload); onError(error)
  constructor({ run, onResult, onError, minIntervalMs, abortStale = false }) {
    this.abortStale = abortStale;
    this.run = run;
    this.onResult = onResult;
    this.onError = onError;
    this.minIntervalMs = minIntervalMs;
    this.pending = null; // a function producing the payload, evaluated when the job starts
    this.urgent = false;
    this.job = null; // { controller } of the job in flight
    this.lastStart = -Infinity;
    this.timer = null;
  }

  request(makePayload, { urgent = false } = {}) {
    this.pending = makePayload;
    this.urgent = this.urgent || urgent;
    if (urgent && this.abortStale) this.#abort();
    this.pump();
  }

  // Forget pending work and abort the job in flight (e.g. the model changed).
  cancel() {
    this.pending = null;
    this.urgent = false;
    this.#abort();
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
    const job = { controller: new AbortController() };
    this.job = job;
    this.lastStart = performance.now();
    const current = () => this.job === job;
    this.run(payload, job.controller.signal)
      .then(
        (result) => current() && this.onResult(result, payload),
        (error) => current() && this.onError(error),
      )
      .finally(() => {
        if (!current()) return; // aborted: whoever aborted it has started the next job
        this.job = null;
        this.pump();
      });
  }
}
