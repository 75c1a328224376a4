// Colours and sizes for every view, in one place. Views read from here; nothing else
// hard-codes a colour or a pixel size.

export const drawing = {
  // The pad's size in CSS pixels (it shrinks to fit narrow screens; strokes are stored in
  // normalised coordinates, so the drawing survives a resize).
  size: 280,
  // Round brush diameter as a fraction of the pad's width. Tuned so that a digit filling
  // most of the pad has, after the server fits it into 20×20, about the ink of a median
  // MNIST test digit of its class (24 px: 0.96× the median over test shapes; 20 px: 0.81×).
  brush: 24 / 280,
  ink: "#111827",
  // The PNG sent to the API: a transparent canvas of this side with the ink in alpha.
  exportSize: 280,
};

export const live = {
  // While drawing: at most one request in flight, the latest drawing wins, and requests
  // start at least this many milliseconds apart.
  minIntervalMs: 80,
};

export const gallery = {
  pageSize: 24,
  thumbSize: 56, // CSS pixels of one 28×28 digit
};

export const maps = {
  // Smallest CSS width of one feature map in the small multiples (they grow to fill a row).
  thumbSize: 56,
  // The enlarged map in the inspector, and one filter kernel beside it.
  zoomSize: 224,
  kernelSize: 72,
  kernelSizeMany: 48, // when a filter has more than 4 input channels
  // One kernel in the filters section: larger when a filter has a single input channel,
  // smaller when its kernels are tiled into a square.
  filterCellSize: 40,
  filterCellSizeTiled: 18,
  networkInputSize: 168,
  // One cell of the flatten strip.
  stripCell: 8,
};

export const bars = {
  // Dense layers wider than this are drawn as a compact column chart without per-bar labels.
  maxLabelled: 16,
  compactHeight: 80,
};

// Colour maps as evenly spaced stops; colormap.js interpolates them into lookup tables.
export const colormaps = {
  // Signed values: blue below zero, near-white at zero, red above (ColorBrewer RdBu, reversed).
  diverging: ["#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d", "#b2182b"],
  // Non-negative values: near-white at zero up to deep red (ColorBrewer OrRd), so a ReLU map
  // reads as the positive half of the convolution map before it.
  sequential: ["#f7f7f7", "#fee8c8", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#990000"],
  // Ink in [0, 1] on paper: the network input and the gallery digits.
  ink: ["#ffffff", "#111827"],
};

export const highlight = {
  receptiveField: "#2563eb",
};

// The training and evaluation pages (/train, /evaluate).
export const training = {
  validateDelayMs: 150, // editor: ask the engine this long after the last keystroke
  chart: {
    height: 230,
    pad: { left: 54, right: 16, top: 30, bottom: 38 },
    font: "12px system-ui, sans-serif",
    axis: "#9ca3af",
    grid: "#eef0f3",
    text: "#4b5563",
    train: "#2563eb", // training loss/accuracy, per step
    val: "#f59e0b", // validation, per epoch
  },
  kernelSize: 46, // CSS pixels of one first-layer kernel
  confusionCell: 42, // CSS pixels of one confusion-matrix cell
  correct: [21, 128, 61], // RGB of the diagonal at its darkest
  wrong: [185, 28, 28], // RGB of an off-diagonal cell at its darkest
  thumbScale: 2, // test digits drawn at 28 × this (the PNG), shown at thumbSize
  thumbSize: 48,
  cellExamples: 120, // digits listed when a confusion cell is clicked
};
