// How numbers are shown. Formatting only: every number comes from the API as is.

export function num(v, digits = 3) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(digits - 1);
  return Number(v.toPrecision(digits)).toString();
}

// A probability, as every panel shows one (the prediction, the overview's softmax column, the
// gallery's mistakes, the teaching views): one decimal, and never "0%" or "100%" — a softmax
// is never exactly either, so what rounds there reads "<0.1%" or ">99.9%".
export function probability(p) {
  const v = p * 100;
  if (v < 0.05) return "<0.1%";
  if (v >= 99.95) return ">99.9%";
  return `${v.toFixed(1)}%`;
}

// A rate (a test accuracy, a share of a row): 0% and 100% are possible and meant.
export function percent(p) {
  const v = p * 100;
  if (v >= 99.95 || v === 0) return `${v.toFixed(0)}%`;
  if (v < 0.1) return "<0.1%";
  return `${v.toFixed(1)}%`;
}

// 1 → "1st", 2 → "2nd", 3 → "3rd", 11 → "11th", 23 → "23rd".
export function ordinal(n) {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] ?? "th");
  return `${n}${suffix}`;
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

// A size in bytes as a person reads it: "512 KB", "2.0 MB".
export function bytes(n) {
  if (n < 2 ** 20) return `${Math.max(1, Math.round(n / 2 ** 10))} KB`;
  return `${(n / 2 ** 20).toFixed(1)} MB`;
}
