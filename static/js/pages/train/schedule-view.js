// The learning rate the run will follow, drawn before Start and redrawn as the settings change:
// the server's numbers (POST /api/train/schedule answers with the engine's own lr_at, step by
// step), and a sentence saying what the schedule does, which is also what a screen reader reads.

import { api } from "../../shared/api.js";
import { training } from "../../shared/config.js";
import { count, num } from "../../shared/format.js";
import { LatestWins } from "../../shared/latest-wins.js";
import { LineChart } from "./line-chart.js";

// The form's fields that change the curve; the others (weight decay, flips...) do not.
const SHAPING = new Set(["dataset", "epochs", "batch_size", "limit", "lr", "lr_schedule", "warmup"]);

export class ScheduleView {
  // canvas, caption: the figure's; readBody(): the TrainRequest the form describes;
  // missing(): why the steps cannot be counted (no training set here), or null.
  constructor({ canvas, caption, readBody, missing }) {
    Object.assign(this, { canvas, caption, readBody, missing });
    this.chart = new LineChart(canvas, {
      title: "Learning rate",
      xLabel: "epoch",
      yFormat: (v) => num(v, 2),
      yMax: null,
      yFloor: 1e-9, // learning rates go well below the loss chart's floor
      height: training.chart.lrHeight,
      series: [{ key: "lr", label: "at each step", colour: training.chart.lr }],
    });
    this.latest = new LatestWins({
      run: (body, signal) => api.lrSchedule(body, signal),
      onResult: (curve) => this.render(curve),
      onError: (err) => this.fail(err),
      minIntervalMs: training.validateDelayMs,
    });
  }

  static shapes(fieldName) {
    return SHAPING.has(fieldName);
  }

  update() {
    const why = this.missing();
    if (!why) return this.latest.request(() => this.readBody());
    this.latest.cancel();
    this.fail(new Error(why));
  }

  render(curve) {
    this.canvas.hidden = false;
    this.chart.clear(curve.total_steps / curve.steps_per_epoch); // x: epochs, as the loss chart
    this.chart.set("lr", curve.points.map((p) => ({ x: p.epoch, y: p.lr })));
    this.chart.draw();
    this.caption.textContent = describe(curve);
    this.caption.closest("figure").dataset.schedule = curve.lr_schedule;
  }

  fail(err) {
    this.canvas.hidden = true; // no axes without a curve
    this.chart.clear();
    this.chart.draw(); // data-points: 0
    this.caption.textContent = `No curve to show: ${err.message}`;
    delete this.caption.closest("figure").dataset.schedule;
  }
}

// What the curve does, in words, with the server's numbers.
function describe(c) {
  const steps = `${count(c.total_steps)} steps (${count(c.steps_per_epoch)} an epoch of ${count(c.train_images)} images)`;
  const first = num(c.points[0].lr, 2);
  if (c.lr_schedule === "onecycle") {
    const epochs = num(c.warmup_steps / c.steps_per_epoch, 2);
    return (
      `One-cycle over ${steps}: the rate climbs in a straight line from ${first} to its peak ` +
      `${num(c.peak_lr, 2)} in the first ${count(c.warmup_steps)} steps (${epochs} epochs), then ` +
      `falls in a straight line to ${num(c.final_lr, 2)} at the last. The climb keeps the first, ` +
      `large steps from throwing the new weights about; the long fall lets them settle.`
    );
  }
  if (c.lr_schedule === "cosine") {
    return `Cosine over ${steps}: from ${first} down half a cosine wave to ${num(c.final_lr, 2)}, 5 % of the peak, at the last step.`;
  }
  return `Constant: ${first} for all ${steps}.`;
}
