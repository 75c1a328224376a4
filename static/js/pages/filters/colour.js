// Colour on the filters page: a first layer's 3-deep filters as RGB pictures (each channel
// 0.5 + 0.5 · w / max|w| over the whole layer, so mid-grey is 0 and filters compare — the
// server's filters.png draws them the same way), and pictures of inputs in their own colours.

import { surface } from "../../shared/colormap.js";
import { h } from "../../shared/dom.js";
import { num } from "../../shared/format.js";

// Paint `chw` (3 nested H×W planes, R, G, B in [0, 1]) into `canvas`, one pixel per value.
export function paintRGB(canvas, chw) {
  const [R, G, B] = chw;
  const H = R.length;
  const W = H ? R[0].length : 0;
  if (canvas.width !== W) canvas.width = W;
  if (canvas.height !== H) canvas.height = H;
  if (!H || !W) return;
  const { ctx, img } = surface(canvas, W, H);
  const d = img.data;
  const byte = (v) => Math.max(0, Math.min(255, Math.round(255 * v)));
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const i = 4 * (r * W + c);
      d[i] = byte(R[r][c]);
      d[i + 1] = byte(G[r][c]);
      d[i + 2] = byte(B[r][c]);
      d[i + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}

// The largest |w| of a layer's weights (F × C × kh × kw nested).
export function layerMaxAbs(weights) {
  let m = 0;
  for (const filter of weights) for (const plane of filter) for (const row of plane) for (const w of row) m = Math.max(m, Math.abs(w));
  return m || 1;
}

// One filter's (3, kh, kw) weights as an RGB picture in [0, 1], in R, G, B order (`bgr`: the
// network reads its input's channels reversed).
export function filterPicture(kernels, m, bgr) {
  const planes = kernels.map((plane) => plane.map((row) => row.map((w) => 0.5 + (0.5 * w) / m)));
  return bgr ? planes.reverse() : planes;
}

// How to read the composite: grey is 0, and each channel's sign is a colour.
export function rgbLegend(m, layerName) {
  const swatch = (rgb, text) =>
    h("span", { class: "rgb-swatch" }, h("span", { class: "rgb-chip", style: { background: `rgb(${rgb.join(",")})` }, "aria-hidden": "true" }), text);
  return h(
    "figure",
    { class: "legend rgb-legend", dataset: { testid: "filters-rgb-legend" } },
    h(
      "div",
      { class: "rgb-swatches" },
      swatch([128, 128, 128], "0"),
      swatch([255, 128, 128], "R > 0"),
      swatch([0, 128, 128], "R < 0"),
      swatch([128, 255, 128], "G > 0"),
      swatch([128, 0, 128], "G < 0"),
      swatch([128, 128, 255], "B > 0"),
      swatch([128, 128, 0], "B < 0"),
    ),
    h("figcaption", {}, `${layerName} in colour: each channel 0.5 + 0.5 · w / ${num(m)} (max |w| of the layer)`),
  );
}
