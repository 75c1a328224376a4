// An attribution map laid over the digit or photo it explains: the digit as grey ink on white
// (the photo in its own colours), the map's colour blended on top with an opacity that grows
// with |value|, so weak attributions leave the input visible. The numbers are the API's; this
// only paints them.

import { explain as config } from "../../shared/config.js";
import { isPlanes } from "../../shared/rgb.js";

// canvas: H×W pixels; input: H×W ink rows (a digit) or [R, G, B] planes, each H×W in [0, 1]
// (a photo); map: H×W rows; scale: from makeScale(); opacity: the strongest attribution's
// (a photo's is the person's choice; a digit's is config.maxAlpha).
export function paintOverlay(canvas, input, map, scale, opacity = config.maxAlpha) {
  const H = map.length;
  const W = H ? map[0].length : 0;
  if (canvas.width !== W) canvas.width = W;
  if (canvas.height !== H) canvas.height = H;
  if (!H || !W) return;
  const photo = isPlanes(input);
  const clip = (v) => Math.min(1, Math.max(0, v));
  const peak = Math.max(Math.abs(scale.lo), Math.abs(scale.hi)) || 1;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(W, H);
  const px = img.data;
  const under = [0, 0, 0];
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      if (photo) for (let k = 0; k < 3; k++) under[k] = 255 * clip(input[k][r][c]);
      else under.fill(255 - config.inkDarkness * clip(input[r][c]));
      const v = map[r][c];
      const a = opacity * Math.min(1, Math.abs(v) / peak);
      const over = scale.rgb(v);
      const o = (r * W + c) * 4;
      for (let k = 0; k < 3; k++) px[o + k] = (1 - a) * under[k] + a * over[k];
      px[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}
