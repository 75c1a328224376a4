// An attribution map laid over the digit it explains: the input as grey ink on white, the
// map's colour blended on top with an opacity that grows with |value|, so weak attributions
// leave the digit visible. The numbers are the API's; this only paints them.

import { explain as config } from "../../shared/config.js";

// canvas: H×W pixels; input: H×W rows (a digit) or C×H×W (a photo, drawn in its colours);
// map: H×W rows; scale: from makeScale().
export function paintOverlay(canvas, input, map, scale) {
  const photo = Array.isArray(input[0][0]);
  const clip = (v) => Math.min(1, Math.max(0, v));
  const H = map.length;
  const W = H ? map[0].length : 0;
  if (canvas.width !== W) canvas.width = W;
  if (canvas.height !== H) canvas.height = H;
  if (!H || !W) return;
  const peak = Math.max(Math.abs(scale.lo), Math.abs(scale.hi)) || 1;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(W, H);
  const px = img.data;
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const v = map[r][c];
      const grey = photo ? 0 : 255 - config.inkDarkness * clip(input[r][c]);
      const under = photo ? [0, 1, 2].map((k) => 255 * clip(input[k][r][c])) : [grey, grey, grey];
      const a = config.maxAlpha * Math.min(1, Math.abs(v) / peak);
      const [R, G, B] = scale.rgb(v);
      const o = (r * W + c) * 4;
      px[o] = (1 - a) * under[0] + a * R;
      px[o + 1] = (1 - a) * under[1] + a * G;
      px[o + 2] = (1 - a) * under[2] + a * B;
      px[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}
