// How numbers are shown. Formatting only: every number comes from the API as is.

export function num(v, digits = 3) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(digits - 1);
  return Number(v.toPrecision(digits)).toString();
}

export function percent(p) {
  const v = p * 100;
  if (v >= 99.95 || v === 0) return `${v.toFixed(0)}%`;
  if (v < 0.1) return "<0.1%";
  return `${v.toFixed(1)}%`;
}

export function shape(dims) {
  return dims.join(" × ");
}

export function count(n) {
  return n.toLocaleString("en-US");
}

// first .. first + n - 1 as "channel 3" or "channels 4–7" (noun: "channel", "filter").
export function span(first, n, noun) {
  return n === 1 ? `${noun} ${first}` : `${noun}s ${first}–${first + n - 1}`;
}

// A server sentence as a sentence of the page: capital first letter, no trailing full stop.
export function capitalise(text) {
  const t = text.replace(/[.\s]+$/, "");
  return t.charAt(0).toUpperCase() + t.slice(1);
}
