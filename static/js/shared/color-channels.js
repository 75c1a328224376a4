// Painting a colour image and its channels from the API's numbers: the image from its three
// grids, and each channel from black to its own colour, so R looks red and so on. The Colour
// page and the explorer's network input (a colour model's) both draw with these.

import { explain as config } from "./config.js";

// The canvas W×H pixels; `side` CSS pixels along its longer side, or, with null, sized by
// the page's CSS.
function fit(canvas, H, W, side) {
  if (canvas.width !== W) canvas.width = W;
  if (canvas.height !== H) canvas.height = H;
  if (side === null) return;
  canvas.style.width = `${W >= H ? side : Math.round((side * W) / H)}px`;
  canvas.style.height = `${H >= W ? side : Math.round((side * H) / W)}px`;
}

// channels: [R, G, B], each H×W in [0, 1]. weights: per channel, how much of R, G, B to show
// (0-255; the canvas clamps each sum to 0-255, so values outside [0, 1] are clipped).
function paint(canvas, channels, weights, side) {
  const H = channels[0].length;
  const W = H ? channels[0][0].length : 0;
  fit(canvas, H, W, side);
  if (!H || !W) return;
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

// The image from its [R, G, B] planes; `side` as for fit (null: the page's CSS sizes it).
export function paintImage(canvas, channels, side = config.colorSize) {
  paint(
    canvas,
    channels,
    [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
    ],
    side,
  );
}

export function paintChannel(canvas, grid, c, side = config.colorSize) {
  paint(canvas, [grid], [config.channelColours[c]], side);
}

export function sizeLike(canvas, H, W) {
  fit(canvas, H, W, config.colorSize);
}
