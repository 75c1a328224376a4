// Convolution against cross-correlation on the playground's own numbers: the kernel and the
// kernel flipped in both axes, both outputs side by side, and the one line relating them.
// Both results come from POST /api/conv (mode "cross-correlation" and "convolution").

import { api } from "../../shared/api.js";
import { h } from "../../shared/dom.js";
import { num } from "../../shared/format.js";
import { LatestWins } from "../../shared/latest-wins.js";
import { figure, scaleFor } from "../../shared/teach-figures.js";

export class FlipView {
  constructor(root, status) {
    this.root = root;
    this.body = h("div", { class: "flip-body" }, h("p", { class: "muted" }, "Pick an example above."));
    root.append(this.body);
    this.runner = new LatestWins({
      minIntervalMs: 120,
      run: (body) => Promise.all(["cross-correlation", "convolution"].map((mode) => api.conv({ ...body, mode, matrix: false }))),
      onResult: ([corr, conv]) => this.render(corr, conv),
      onError: (err) => status.error(err.message),
    });
  }

  // body: the playground's /api/conv request.
  update(body) {
    this.runner.request(() => ({ ...body, step: body.step ?? [0, 0] }));
  }

  render(corr, conv) {
    const c = corr.kernel.length > 1 ? ` (channel 0 of ${corr.kernel.length})` : "";
    const kScale = scaleFor(corr.kernel);
    const outScale = scaleFor([corr.output, conv.output]);
    const column = (title, d, kernel, kernelCaption, note) =>
      h(
        "div",
        { class: "flip-side", dataset: { mode: d.mode } },
        h("h3", {}, title),
        h("div", { class: "flip-row" }, figure(kernel, kernelCaption, { scale: kScale, maxSide: 6 }), h("span", { class: "flip-arrow", "aria-hidden": "true" }, "→"), figure(d.output, `output ${d.output_shape.join(" × ")}`, { scale: outScale })),
        h("p", { class: "small" }, note(d)),
      );
    const first = (d) => {
      const s = d.steps[0];
      const terms = s.terms.slice(0, 9).map((t) => `${num(t.x)}·${num(t.w)}`).join(" + ");
      return `output ${s.output.join(", ")} = ${terms}${s.terms.length > 9 ? " + …" : ""}${s.bias ? ` + ${num(s.bias)}` : ""} = ${num(s.sum, 4)}`;
    };
    this.body.replaceChildren(
      h(
        "div",
        { class: "flip-pair" },
        column("Cross-correlation (what libraries call convolution)", corr, corr.kernel[0], `kernel w${c}`, first),
        column("Convolution (the mathematical one)", conv, conv.flipped_kernel[0], `flip(w): w turned 180°${c}`, first),
      ),
      h("p", { class: "flip-relation", dataset: { testid: "flip-relation" } }, conv.relation),
      h(
        "p",
        { class: "muted small" },
        same(corr.output, conv.output)
          ? "This kernel is symmetric under a half turn, so both give the same numbers."
          : "Same input, same weights, different numbers: the convolution slides the turned kernel. A network learns its kernels either way, so libraries skip the flip.",
      ),
    );
  }
}

function same(a, b) {
  return a.every((row, i) => row.every((v, j) => Math.abs(v - b[i][j]) < 1e-9));
}
