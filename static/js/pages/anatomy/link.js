// The anatomy playgrounds in the link: `#conv=<preset>` for a source text's example, or its
// numbers when a person edited them, compactly — sizes, then the scalars, then every number,
// joined by "_" (characters a URL leaves as they are):
//   #conv=C.H.W.kh.kw_bias_stride_padding_dilation_<C·H·W inputs>_<C·kh·kw weights>
//   #pool=H.W_mode_k_stride_padding_global_<H·W inputs>
// The first preset (what the page opens with) leaves the link alone. Choosing an example is a
// new history entry (Back returns to the one before); editing numbers replaces the entry.

import { linkNotice, urlState } from "../../shared/url-state.js";

const MAX_NUMBERS = 4096; // more than this and the link keeps the example's name only

const flat = (grid) => grid.flat(Infinity);
const chunk = (values, n) => Array.from({ length: values.length / n }, (_, i) => values.slice(i * n, (i + 1) * n));

// values in `shape` (e.g. [C, H, W]) as nested lists
function nest(values, shape) {
  return shape.slice(1).reduceRight((grid, n) => chunk(grid, n), values);
}

function numbers(parts) {
  const values = parts.map(Number);
  return parts.every((p) => p !== "") && values.every(Number.isFinite) ? values : null;
}

const CODECS = {
  conv: {
    encode: (b) => {
      const [C, H, W] = [b.input.length, b.input[0].length, b.input[0][0].length];
      const [kh, kw] = [b.kernel[0].length, b.kernel[0][0].length];
      return [[C, H, W, kh, kw].join("."), b.bias, b.stride, b.padding, b.dilation, ...flat(b.input), ...flat(b.kernel)];
    },
    decode: ([sizes, ...rest]) => {
      const dims = numbers(sizes.split("."));
      const values = numbers(rest);
      if (dims?.length !== 5 || !values) return null;
      const [C, H, W, kh, kw] = dims;
      const [bias, stride, padding, dilation, ...cells] = values;
      if (cells.length !== C * H * W + C * kh * kw) return null;
      const input = nest(cells.slice(0, C * H * W), [C, H, W]);
      const kernel = nest(cells.slice(C * H * W), [C, kh, kw]);
      return { input, kernel, bias, stride: [stride, stride], padding: [padding, padding], dilation: [dilation, dilation] };
    },
    // the body of a preset, as the controls send it
    body: (p) => ({ input: p.input, kernel: p.kernel, bias: p.bias, stride: p.stride[0], padding: p.padding[0], dilation: p.dilation[0] }),
  },
  pool: {
    encode: (b) => [[b.input.length, b.input[0].length].join("."), b.mode, b.kernel_size, b.stride, b.padding, Number(b.global), ...flat(b.input)],
    decode: ([sizes, mode, ...rest]) => {
      const dims = numbers(sizes.split("."));
      const values = numbers(rest);
      if (dims?.length !== 2 || !values || !["max", "avg", "min"].includes(mode)) return null;
      const [H, W] = dims;
      const [k, stride, padding, global, ...cells] = values;
      if (cells.length !== H * W) return null;
      return { input: nest(cells, [H, W]), mode, kernel_size: [k, k], stride: [stride, stride], padding: [padding, padding], global: global === 1 };
    },
    body: (p) => ({ input: p.input, mode: p.mode, kernel_size: p.kernel_size[0], stride: p.stride[0], padding: p.padding[0], global: p.global }),
  },
};

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// Keep the playground `key` ("conv" or "pool") in the link: `controls` (ConvControls or
// PoolControls, already showing presets[0]) fire "change" with { body, problem } and show a
// preset-shaped example with `load`.
export function keepPlaygroundInLink(key, controls, presets) {
  const codec = CODECS[key];
  let body = codec.body(presets[0]);
  const preset = () => presets.find((p) => same(codec.body(p), body));

  const link = urlState.register(
    key,
    () => {
      const named = preset();
      if (named) return named === presets[0] ? null : named.name;
      const parts = codec.encode(body);
      return parts.length > MAX_NUMBERS ? null : parts.join("_");
    },
    (text) => {
      const named = presets.find((p) => p.name === (text ?? presets[0].name));
      if (named && same(codec.body(named), body)) return; // on screen already: no second request
      const own = named ? null : codec.decode(text.split("_"));
      if (!named && !own) linkNotice(`This link's ${key} example "${text.slice(0, 40)}" could not be read: showing the first example.`);
      const title = "Your own example, from the link.";
      controls.load(named ?? (own ? { ...own, name: "", description: title, source: null } : presets[0]));
    },
  );

  controls.addEventListener("change", (e) => {
    if (!e.detail.body || e.detail.problem) return; // only numbers the API takes go in the link
    body = e.detail.body;
    link.changed({ push: Boolean(preset()) });
  });
  link.apply();
}
