// The table of training jobs: state, epochs, test accuracy, and what can be done with each.

import { h } from "../../shared/dom.js";
import { percent } from "../../shared/format.js";

export class JobsView {
  // body: the <tbody>; on: { follow(job), resume(job) }
  constructor(body, on) {
    this.body = body;
    this.on = on;
  }

  render(jobs, currentId) {
    if (!jobs.length) {
      this.body.replaceChildren(h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No jobs yet.")));
      return;
    }
    this.body.replaceChildren(
      ...jobs.map((job) => {
        const started = job.started ? new Date(job.started * 1000).toLocaleString() : "–";
        const actions = [];
        if (job.id !== currentId) {
          actions.push(h("button", { type: "button", class: "button ghost small", onclick: () => this.on.follow(job) }, "Show"));
        }
        if (job.resumable) {
          actions.push(h("button", { type: "button", class: "button small", dataset: { write: "" }, onclick: () => this.on.resume(job) }, "Resume"));
        }
        if (job.state === "done") {
          actions.push(h("a", { class: "button ghost small", href: `/?model=${encodeURIComponent(job.model_id)}` }, "Explore"));
          actions.push(h("a", { class: "button ghost small", href: `/evaluate?model=${encodeURIComponent(job.model_id)}` }, "Evaluate"));
        }
        return h(
          "tr",
          { class: job.id === currentId ? "current" : "", dataset: { job: job.id } },
          h("td", {}, job.name, job.state === "done" ? h("span", { class: "muted" }, ` · ${job.model_id}`) : null),
          h("td", {}, h("span", { class: `badge ${job.state}`, title: job.message ?? "" }, job.state)),
          h("td", { class: "num" }, `${job.epochs_done} / ${job.epochs}`),
          h("td", { class: "num" }, job.test_accuracy === null ? "–" : percent(job.test_accuracy)),
          h("td", {}, started),
          h("td", { class: "actions-cell" }, actions),
        );
      }),
    );
  }
}
