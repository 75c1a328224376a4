// Receptive fields from layer geometry: which rows and columns of an earlier layer a unit
// depends on. Uses only the LayerInfo the API gives (type, config, input_shape).
//
// A region is { rows: [r0, r1], cols: [c0, c1] }, inclusive, in the coordinates of one
// layer's output (layer -1 is the network input).

// How one layer maps an output range back to its input range, by layer type.
const windowed = (config) => ({
  kernel: config.kernel_size,
  stride: config.stride,
  padding: config.padding,
  dilation: config.dilation || [1, 1],
});
const identity = () => ({ kernel: [1, 1], stride: [1, 1], padding: [0, 0], dilation: [1, 1] });

const GEOMETRY = {
  conv2d: windowed,
  maxpool2d: windowed,
  avgpool2d: windowed,
  minpool2d: windowed,
  relu: identity,
  // flatten, dense, global pooling, softmax: every output sees the whole input.
};

// Output indices [a, b] of a window layer along one axis come from input indices
// [a*s - p, b*s - p + d*(k - 1)], clipped to the input (padding depends on nothing).
function backAxis([a, b], axis, g, size) {
  const lo = a * g.stride[axis] - g.padding[axis];
  const hi = b * g.stride[axis] - g.padding[axis] + g.dilation[axis] * (g.kernel[axis] - 1);
  return [Math.max(0, lo), Math.min(size - 1, hi)];
}

// The region of layer `to`'s output that unit region `region` of layer `from`'s output
// depends on, or null when it is the whole of it (a dense layer is in between).
export function receptiveField(layers, from, region, to = -1) {
  let { rows, cols } = region;
  for (let i = from; i > to; i--) {
    const layer = layers[i];
    const geometry = GEOMETRY[layer.type];
    if (!geometry || layer.input_shape.length !== 3) return null;
    const g = geometry(layer.config);
    const [, H, W] = layer.input_shape;
    rows = backAxis(rows, 0, g, H);
    cols = backAxis(cols, 1, g, W);
  }
  return { rows, cols };
}

// The same for one unit at (row, col).
export function unitField(layers, from, row, col, to = -1) {
  return receptiveField(layers, from, { rows: [row, row], cols: [col, col] }, to);
}
