// What is on screen, in the address: the drawing's strokes in the fragment, compactly
// (#strokes=…), so a link reproduces the same input — and so the same numbers — in any
// browser, and Back/Forward step through the drawing.
//
// Encoding: every point is snapped to a GRID × GRID lattice of the pad (the pad snaps as it
// records, so the drawing on screen is exactly the one in the link); a point is 3 base64url
// characters (9 bits of x, then 9 of y); strokes are separated by "." (left as it is in a URL).

export const GRID = 511; // lattice steps per pad side: under a screen pixel on any pad
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VALUE = new Map([...ALPHABET].map((c, i) => [c, i]));

// v in [0, 1] (clamped) → the nearest lattice value
export const snap = (v) => Math.round(Math.min(1, Math.max(0, v)) * GRID) / GRID;

export function encodeStrokes(strokes) {
  return strokes
    .map((points) =>
      points
        .map(([x, y]) => {
          const n = (Math.round(snap(x) * GRID) << 9) | Math.round(snap(y) * GRID); // 18 bits
          return ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + ALPHABET[n & 63];
        })
        .join(""),
    )
    .join(".");
}

// The strokes of `text`, or null when it is not a valid encoding.
export function decodeStrokes(text) {
  if (!text) return [];
  const strokes = [];
  for (const part of text.split(".")) {
    if (!part.length || part.length % 3 || [...part].some((c) => !VALUE.has(c))) return null;
    const points = [];
    for (let i = 0; i < part.length; i += 3) {
      const n = (VALUE.get(part[i]) << 12) | (VALUE.get(part[i + 1]) << 6) | VALUE.get(part[i + 2]);
      points.push([(n >> 9) / GRID, (n & 511) / GRID]);
    }
    strokes.push(points);
  }
  return strokes;
}

export function readFragment() {
  return new URLSearchParams(window.location.hash.slice(1));
}

// Set (or, for null, remove) fragment keys; `push` makes a new history entry (Back returns).
export function writeFragment(values, { push = false } = {}) {
  const params = readFragment();
  for (const [k, v] of Object.entries(values)) {
    if (v === null || v === "") params.delete(k);
    else params.set(k, v);
  }
  const url = new URL(window.location.href);
  url.hash = params.toString();
  if (url.href === window.location.href) return;
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}

// A plain sentence under the page's error line for a link that names something not there
// ("model 'x' is not installed: showing mnist-cnn"); it stays until the page is left, and a
// link naming several missing things gets a sentence for each.
export function linkNotice(message) {
  let el = document.querySelector("[data-testid='link-notice']");
  if (!el) {
    el = document.createElement("p");
    el.className = "status notice";
    el.dataset.testid = "link-notice";
    el.setAttribute("role", "status");
    (document.querySelector("[data-testid='error']") ?? document.querySelector("main")).after(el);
  }
  if (!el.textContent.includes(message)) el.textContent = `${el.textContent} ${message}`.trim();
}

// -- views' keys ------------------------------------------------------------------------------
// Any view keeps a piece of its state in the fragment by registering a key:
//   const link = urlState.register("unit", get, set);
// `get()` is the view's state as a short string (null: nothing to keep); `set(value)` shows a
// value read from the address (null: the view's default). The view calls `link.changed()` after
// a person changes it (a new history entry, so Back returns; `{ push: false }` to replace) and
// `link.apply()` once it can show a state (e.g. when its data is loaded). Back and Forward call
// every key's `set` with the value the address now holds; a `set` does not echo into the URL.
const views = new Map(); // key -> { get, set }
let applying = false;

function apply(key) {
  const view = views.get(key);
  if (!view) return;
  applying = true;
  try {
    view.set(readFragment().get(key));
  } finally {
    applying = false;
  }
}

export const urlState = {
  register(key, get, set) {
    views.set(key, { get, set });
    return {
      changed: ({ push = true } = {}) => {
        if (!applying) writeFragment({ [key]: get() }, { push });
      },
      apply: () => apply(key),
      value: () => readFragment().get(key),
    };
  },
};

window.addEventListener("popstate", () => {
  for (const key of views.keys()) apply(key);
});
