// Run an async job for the latest request only: at most one in flight, requests made while
// one runs collapse into a single follow-up, and starts are at least `minIntervalMs` apart
// unless the caller asks for `urgent` (the end of a stroke).

export class LatestWins {
  // run(payload) -> Promise<result>; onResult(result, payload); onError(error)
  constructor({ run, onResult, onError, minIntervalMs }) {
    this.run = run;
    this.onResult = onResult;
    this.onError = onError;
    this.minIntervalMs = minIntervalMs;
    this.pending = null; // a function producing the payload, evaluated when the job starts
    this.urgent = false;
    this.inFlight = false;
    this.lastStart = -Infinity;
    this.timer = null;
    this.generation = 0;
  }

  request(makePayload, { urgent = false } = {}) {
    this.pending = makePayload;
    this.urgent = this.urgent || urgent;
    this.pump();
  }

  // Forget pending work and ignore the answer to the job in flight (e.g. the model changed).
  cancel() {
    this.pending = null;
    this.urgent = false;
    this.generation += 1;
    clearTimeout(this.timer);
    this.timer = null;
  }

  pump() {
    if (this.inFlight || !this.pending) return;
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
    this.inFlight = true;
    this.lastStart = performance.now();
    const generation = this.generation;
    this.run(payload)
      .then(
        (result) => generation === this.generation && this.onResult(result, payload),
        (error) => generation === this.generation && this.onError(error),
      )
      .finally(() => {
        this.inFlight = false;
        this.pump();
      });
  }
}
