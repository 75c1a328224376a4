// Colour photos from the API's numbers: a picture as three planes (3×H×W, values in [0, 1]),
// painted as the photo or one channel at a time in its own colour (R from black to red, ...).
// The gallery and ImageInput's `pixels` hold a photo as H×W×3 rows; `planesOf` turns them round.

import { paintImage } from "./color-channels.js";
import { explain as config } from "./config.js";

// H×W×3 rows → [R, G, B], each H×W.
export function planesOf(pixels) {
  return [0, 1, 2].map((k) => pixels.map((row) => row.map((px) => px[k])));
}

// [R, G, B] planes → H×W×3 rows (an ImageInput's `pixels`).
export function pixelsOf(planes) {
  const [R, G, B] = planes;
  return R.map((row, r) => row.map((v, c) => [v, G[r][c], B[r][c]]));
}

// Whether a picture (network input or gallery pixels) is a photo: 3×H×W planes.
export function isPlanes(picture) {
  return picture.length === 3 && Array.isArray(picture[0]?.[0]);
}

// Paint [R, G, B] planes into `canvas` (resized to W×H pixels, its CSS size left to the
// page); values are clipped to [0, 1]. The Colour page's painter, at no fixed size.
export function paintRgb(canvas, planes) {
  paintImage(canvas, planes, null);
}

// A colour scale for channel k (0 = R, 1 = G, 2 = B) of a photo in [0, 1]: black at 0, the
// channel's own colour at 1. It has the fields the grid and legend views read (makeScale's).
export function channelScale(k) {
  const [R, G, B] = config.channelColours[k];
  return {
    kind: "channel",
    lo: 0,
    hi: 1,
    min: 0,
    max: 1,
    rgb(v) {
      const t = Math.min(1, Math.max(0, v));
      return [R * t, G * t, B * t];
    },
    css(v) {
      const [r, g, b] = this.rgb(v);
      return `rgb(${r} ${g} ${b})`;
    },
    gradient: () => `linear-gradient(to right, black, rgb(${R} ${G} ${B}))`,
  };
}

// The legend of channel scales: pixel values 0 (black) to 1 (the channel's full colour);
// `min`, `max`: the picture's own range.
export function pixelLegendScale(min, max) {
  return { kind: "channel", lo: 0, hi: 1, min, max, gradient: () => "linear-gradient(to right, black, white)" };
}

export const CHANNEL_NAMES = ["R", "G", "B"];
