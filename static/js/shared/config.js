// Colours and sizes for every view, in one place. Views read from here; nothing else
// hard-codes a colour or a pixel size.

import { structuralZero } from "./palette.js";

export const drawing = {
  // The pad's size in CSS pixels (it shrinks to fit narrow screens; strokes are stored in
  // normalised coordinates, so the drawing survives a resize).
  size: 280,
  // Round brush diameter as a fraction of the pad's width. Tuned so that a digit filling
  // most of the pad has, after the server fits it into 20×20, about the ink of a median
  // MNIST test digit of its class (24 px: 0.96× the median over test shapes; 20 px: 0.81×).
  brush: 24 / 280,
  ink: "#111827",
  // The PNG sent to the API: a transparent canvas of this side with the ink in alpha (the
  // strokes are repainted at this size). The server fits the ink into 20×20 anyway; 140 rather
  // than 280 px makes its PNG decoding and preprocessing much cheaper (bench/README.md) for
  // the same network input up to antialiasing.
  exportSize: 140,
};

export const live = {
  // While drawing: at most one request in flight, the latest drawing wins, and requests
  // start at least this many milliseconds apart.
  minIntervalMs: 80,
  // Sections off screen are skipped while drawing (pages/explorer/main.js) until this long after
  // the last stroke.
  skipOffscreenMs: 1000,
};

export const gallery = {
  pageSize: 24,
  thumbSize: 56, // CSS pixels of one 28×28 digit
};

// A colour model's photo input on the explorer (pages/explorer/photo-panel.js and beside it).
export const photos = {
  previewSize: 280, // CSS pixels of the chosen photo's preview (its longer side)
  sampleThumb: 52, // CSS pixels of one sample photo's button
  channelSize: 76, // CSS pixels of each of the network input's R, G, B grids
  captureSide: 640, // a camera frame is captured at most this many pixels along its longer side
  captureQuality: 0.9, // JPEG quality of a captured frame
  liveIntervalMs: 600, // live camera: a frame classified every this many milliseconds
};

export const maps = {
  // Small multiples: at most this many maps in a row, rows balanced (32 maps: 2 × 16), each
  // map as wide as the row allows up to `thumbMax` CSS pixels (narrow screens: see CSS).
  perRow: 16,
  thumbMax: 104,
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
  // A big network's layer cards draw at most this many channels (what the overview asked for)...
  maxCards: 64,
  // ...and its filters section defers to the Filters page past this many kernels (one canvas
  // each; the digit models have 528).
  filtersSectionMax: 4096,
};

// The whole network at once (the explorer's overview).
export const overview = {
  columnHeight: 500, // CSS pixels a column's pictures may use (the shipped model: 16 maps)
  nodeGap: 14, // between branches sharing a column
  columnGap: 14, // between columns (room for the links)
  maxRows: 16, // maps per sub-column; more channels add sub-columns (64: four)
  mapMax: 60, // CSS pixels of a map's width at most (the 28×28 input)
  labelledMax: 16, // vectors up to this long are labelled rows (the classes)
  vectorRows: 128, // longer vectors: cells in columns of this many
  vectorCell: 4, // CSS pixels of one vector cell
  vectorWidth: 14, // CSS width of a single-column vector
  skipArc: 6, // y of a skip connection's arc above the columns, at the highest
  skipRise: 70, // how far its control points rise above the higher of its two ends
  foldFrom: 24, // a network of more layers than this opens with its blocks folded
  pageChannels: 64, // a big layer's column draws at most this many channels...
  pageValues: 64 * 28 * 28, // ...and at most this many numbers (112×112 maps: 4 channels)
  openMs: 320, // the unit's anatomy growing out of the unit
  pointIntervalMs: 16, // at most one connections request per this, while pointing
  handoffKey: "cnn-explorer:anatomy-input", // sessionStorage: the input for /anatomy's link
};

export const bars = {
  // Dense layers wider than this are drawn as a compact column chart without per-bar labels.
  maxLabelled: 16,
  compactHeight: 80,
};

// Colour maps, the weight colours and the structural-zero grey are app/core/palette.py's, in the
// generated palette.js: one palette for the pages and the PNGs.

export const highlight = {
  receptiveField: "#2563eb",
};

// The convolution anatomy page (/anatomy).
export const anatomy = {
  structuralZero, // a matrix cell / dense edge that is not a weight (palette.js)
  padding: "#eef0f3", // a zero-padding cell
  window: "#2563eb", // the current window, its output and matrix row
  hover: "#f59e0b", // what the pointer is over
  winner: "#15803d", // the pooling window's winning input
  pending: "#f6f7f9", // an output not computed yet in the animation
  dimmed: "#eceef1", // matrix entries of other weights while one weight is lit
  axis: "#9ca3af", // canvas axes
  label: "#4b5563", // canvas text
  // Grids up to this many cells per side are drawn as numbers; larger ones as heat maps.
  numbersMaxSide: 12,
  cell: 34, // CSS pixels of one numbered cell
  // Matrix and dense views: drawn as SVG (every cell / edge an element) up to these sizes,
  // on a canvas beyond.
  matrixSvgMaxCells: 1600,
  denseSvgMaxNodes: 64,
  denseZerosMaxEdges: 2500, // draw the structural zeros only when there are at most this many
  mapSize: 300, // CSS pixels of a heat map's longer side
  // Above this many kernel terms in all (outputs × weights), the page asks for one step at a
  // time instead of every step at once.
  allStepsMaxTerms: 5000,
  playIntervalMs: 900, // the sliding-window animation, per step
  gridEditorMaxCells: 144, // input grids with more cells are shown, not edited cell by cell
  galleryCount: 8,
  photoCount: 20, // a colour model's test photos offered as the real layer's input
  photoThumb: 40, // CSS pixels of one
  drawingSize: 168,
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
    lr: "#7c3aed", // the learning rate the schedule gives each step
    lrHeight: 170, // the schedule's chart in the settings card
  },
  kernelSize: 46, // CSS pixels of one first-layer kernel
  confusionCell: 44, // CSS pixels of one confusion-matrix cell
  correct: [21, 128, 61], // RGB of the diagonal at its darkest
  wrong: [185, 28, 28], // RGB of an off-diagonal cell at its darkest
  thumbScale: 2, // test digits drawn at 28 × this (the PNG), shown at thumbSize
  thumbSize: 48,
  cellExamples: 120, // digits listed when a confusion cell is clicked
};

// The explanation panel and kernel editor (explorer), the filters page and the colour page.
export const explain = {
  minIntervalMs: 250, // while drawing: at most one explanation request per this interval
  mapSize: 224, // CSS pixels of the attribution overlay
  maxAlpha: 0.85, // opacity of the strongest attribution over the digit
  photoOpacity: 0.7, // over a photo: the opacity slider's starting value (the strongest attribution's)
  inkDarkness: 170, // the digit under the overlay: 255 - this * ink
  kernelMapSize: 168,
  filterImageSize: 84, // a filter's activation-maximising image
  filterKernelSize: 84, // a first-layer kernel; deeper kernels are tiled smaller
  patchSize: 40, // one top-activating patch
  topK: 6, // top-activating digits shown per filter
  colorSize: 192, // CSS pixels of the colour image and of each channel
  channelColours: [
    [220, 38, 38],
    [22, 163, 74],
    [37, 99, 235],
  ], // R, G, B: each channel painted from black to its own colour
};
