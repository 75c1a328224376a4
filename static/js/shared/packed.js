// The activations as one binary message (app/models/packed.py): a JSON header, then the network
// input and every layer's output as float32 (or float16) values in one ArrayBuffer. Each layer
// gets `values`, a Float32Array view in `shape` order, and — for views that want nested lists —
// a lazy `data` (in `data_shape` when the request cut the layer with ?layers= or
// ?max_channels=). `input` becomes the H×W (or 3×H×W) rows the JSON answer has (request bodies
// send them as `pixels`), with the same numbers as a Float32Array in `input.values`.

const MAGIC = "CNNA";

function float16To32(halves) {
  if (typeof Float16Array === "function") return new Float32Array(new Float16Array(halves.buffer, halves.byteOffset, halves.length));
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) {
    const h = halves[i];
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    out[i] = e === 0 ? s * 2 ** -14 * (f / 1024) : e === 31 ? (f ? NaN : s * Infinity) : s * 2 ** (e - 15) * (1 + f / 1024);
  }
  return out;
}

// Nested lists of `values` in `shape` order (what the JSON answer's `data` holds).
function nest(values, shape) {
  if (shape.length === 1) return Array.from(values);
  const step = values.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) => nest(values.subarray(i * step, (i + 1) * step), shape.slice(1)));
}

export function unpack(buffer) {
  const bytes = new Uint8Array(buffer);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== MAGIC) throw new Error(`not a packed activations message (starts ${JSON.stringify(magic)})`);
  const n = new DataView(buffer).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const start = 8 + n + ((8 - ((8 + n) % 8)) % 8);
  const total = header.layers.reduce((sum, l) => sum + l.size, header.input.size);
  const all =
    header.dtype === "float16"
      ? float16To32(new Uint16Array(buffer, start, total))
      : new Float32Array(buffer, start, total);
  const at = (block) => all.subarray(block.offset, block.offset + block.size);
  const input = at(header.input);
  header.input = Object.defineProperty(nest(input, header.input.shape), "values", { value: input, enumerable: false });
  for (const layer of header.layers) {
    const values = at(layer);
    let nested = null;
    Object.defineProperty(layer, "values", { value: values, enumerable: false });
    Object.defineProperty(layer, "data", {
      get: () => (nested ??= nest(values, layer.data_shape ?? layer.shape)),
      enumerable: false,
    });
  }
  return header;
}
