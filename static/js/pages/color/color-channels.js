// Painting a colour image and its channels from the API's numbers: the image from its three
// grids, and each channel from black to its own colour, so R looks red and so on.

import { explain as config } from "../../shared/config.js";

function fit(canvas, H, W) {
  if (canvas.width !== W) canvas.width = W;
  if (canvas.height !== H) canvas.height = H;
  const side = config.colorSize;
  canvas.style.width = `${W >= H ? side : Math.round((side * W) / H)}px`;
  canvas.style.height = `${H >= W ? side : Math.round((side * H) / W)}px`;
}

// channels: [R, G, B], each H×W in [0, 1]. weights: per channel, how much of R, G, B to show.
function paint(canvas, channels, weights) {
  const H = channels[0].length;
  const W = channels[0][0].length;
  fit(canvas, H, W);
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(W, H);
  const px = img.data;
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const o = (r * W + c) * 4;
      for (let k = 0; k < 3; k++) {
        let v = 0;
        for (let ch = 0; ch < channels.length; ch++) v += channels[ch][r][c] * weights[ch][k];
        px[o + k] = v;
      }
      px[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}

export function paintImage(canvas, channels) {
  paint(canvas, channels, [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
  ]);
}

export function paintChannel(canvas, grid, c) {
  paint(canvas, [grid], [config.channelColours[c]]);
}

export function sizeLike(canvas, H, W) {
  fit(canvas, H, W);
}
