// The progress bar and the line under it: epoch, step, loss, accuracy, elapsed, ETA.

import { capitalise, num, percent } from "../../shared/format.js";

export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return m ? `${m} min ${String(s % 60).padStart(2, "0")} s` : `${s} s`;
}

export class ProgressView {
  constructor(bar, text, state) {
    this.bar = bar;
    this.fill = bar.querySelector(".progress-bar");
    this.text = text;
    this.state = state;
  }

  // p: fraction 0..1
  setFraction(p) {
    const pct = Math.round(p * 1000) / 10;
    this.fill.style.transform = `scaleX(${pct / 100})`; // animated by the compositor, no layout
    this.bar.setAttribute("aria-valuenow", String(pct));
    this.bar.setAttribute("aria-valuetext", `${pct}%`);
  }

  // A step event, or a job record (same field names where they overlap).
  step(e) {
    this.setFraction(e.progress ?? 0);
    const parts = [];
    if (e.epoch) parts.push(`epoch ${e.epoch} of ${e.epochs}`);
    const inEpoch = e.step_in_epoch ?? e.step;
    if (e.steps) parts.push(`step ${inEpoch} of ${e.steps}`);
    if (e.loss !== null && e.loss !== undefined) parts.push(`loss ${num(e.loss, 3)}`);
    if (e.accuracy !== null && e.accuracy !== undefined) parts.push(`accuracy ${percent(e.accuracy)}`);
    parts.push(`elapsed ${duration(e.elapsed)}`);
    if (e.eta !== null && e.eta !== undefined) parts.push(`about ${duration(e.eta)} left`);
    this.text.textContent = parts.join(" · ");
  }

  job(job) {
    this.bar.dataset.state = job.state;
    this.state.dataset.state = job.state;
    const where = job.position ? ` (${job.position} ahead in the queue)` : "";
    const label = {
      queued: `“${job.name}” is waiting for the trainer${where}.`,
      running: `Training “${job.name}”…`,
      done: `“${job.name}” is trained.`,
      failed: `“${job.name}” failed.`,
      cancelled: `“${job.name}” was cancelled.`,
    }[job.state];
    this.state.textContent = job.message ? `${label} ${capitalise(job.message)}.` : label;
    if (job.state === "done") this.setFraction(1);
    this.step(job);
  }
}
