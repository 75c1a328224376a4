// The drawing pad: a canvas that records strokes from mouse, touch and pen (Pointer Events)
// and paints them with a round brush. It knows nothing about buttons or keys (see
// pages/explorer/drawing-controls.js) nor about the network.
//
// Events (all plain `Event`s on the pad):
//   "draw"      — ink was added by a stroke in progress
//   "strokeend" — a stroke finished
//   "change"    — the drawing changed otherwise (undo, clear, a gallery digit loaded)

import { snap } from "./url-state.js";

export class DrawingPad extends EventTarget {
  // canvas: the <canvas>; brush: diameter as a fraction of the pad's width; ink: CSS colour.
  constructor(canvas, { brush, ink, exportSize }) {
    super();
    this.canvas = canvas;
    this.brush = brush;
    this.ink = ink;
    this.exportSize = exportSize;
    this.strokes = []; // each stroke: [[x, y], ...] in [0, 1] pad coordinates
    this.base = null; // an ink image under the strokes: a canvas holding it in alpha
    this.active = null; // { pointerId, points, rect } while a stroke is being drawn
    this.ctx = canvas.getContext("2d");

    canvas.addEventListener("pointerdown", (e) => this.#down(e));
    canvas.addEventListener("pointermove", (e) => this.#move(e));
    canvas.addEventListener("pointerup", (e) => this.#up(e));
    canvas.addEventListener("pointercancel", (e) => this.#up(e));
    canvas.addEventListener("lostpointercapture", (e) => this.#up(e));
    new ResizeObserver(() => this.#resize()).observe(canvas);
    this.#resize();
  }

  get isEmpty() {
    return this.strokes.length === 0 && this.base === null && this.active === null;
  }

  get canUndo() {
    return this.strokes.length > 0;
  }

  get hasBase() {
    return this.base !== null;
  }

  // The drawing holds only an image set with setBase(): its exact pixels can be sent.
  get isBaseOnly() {
    return this.base !== null && this.strokes.length === 0 && this.active === null;
  }

  undo() {
    if (!this.strokes.length) return;
    this.strokes.pop();
    this.#redraw();
    this.#emit("change");
  }

  clear() {
    if (this.isEmpty) return;
    this.strokes = [];
    this.base = null;
    this.active = null;
    this.#redraw();
    this.#emit("change");
  }

  // Replace the drawing by `strokes` ([[x, y], ...] each, in [0, 1]), as from a link.
  setStrokes(strokes) {
    this.strokes = strokes.map((points) => points.map(([x, y]) => [x, y]));
    this.base = null;
    this.active = null;
    this.#redraw();
    this.#emit("change");
  }

  // Replace the drawing by an ink image `pixels` (rows of values in [0, 1]); strokes drawn
  // afterwards go on top of it.
  setBase(pixels) {
    const H = pixels.length;
    const W = pixels[0].length;
    const canvas = document.createElement("canvas");
    canvas.width = W;
    canvas.height = H;
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(W, H);
    const [r, g, b] = parseColour(this.ink);
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const o = (i * W + j) * 4;
        img.data[o] = r;
        img.data[o + 1] = g;
        img.data[o + 2] = b;
        img.data[o + 3] = Math.round(pixels[i][j] * 255);
      }
    }
    ctx.putImageData(img, 0, 0);
    this.strokes = [];
    this.active = null;
    this.base = canvas;
    this.#redraw();
    this.#emit("change");
  }

  // The drawing as a PNG data URL: transparent, `exportSize` square, ink in the alpha channel.
  toDataURL() {
    const out = document.createElement("canvas");
    out.width = out.height = this.exportSize;
    this.#paint(out.getContext("2d"), this.exportSize);
    return out.toDataURL("image/png");
  }

  // -- pointer input ----------------------------------------------------------------------

  // The pad's box is read once per stroke (at its start): read on every move it forced a
  // layout of the whole page after each render of the results.
  // Points are snapped to the link's lattice (url-state.js): a link holds exactly this drawing.
  #point(e, rect = this.active?.rect ?? this.canvas.getBoundingClientRect()) {
    return [snap((e.clientX - rect.left) / rect.width), snap((e.clientY - rect.top) / rect.height)];
  }

  #down(e) {
    if (this.active || (e.pointerType === "mouse" && e.button !== 0)) return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.canvas.focus({ preventScroll: true, focusVisible: false });
    const rect = this.canvas.getBoundingClientRect();
    const p = this.#point(e, rect);
    this.active = { pointerId: e.pointerId, points: [p], rect };
    this.#segment(this.ctx, this.canvas.width, p, p);
    this.#emit("draw");
  }

  #move(e) {
    if (!this.active || e.pointerId !== this.active.pointerId) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    for (const ev of events.length ? events : [e]) {
      const p = this.#point(ev);
      const points = this.active.points;
      this.#segment(this.ctx, this.canvas.width, points[points.length - 1], p);
      points.push(p);
    }
    this.#emit("draw");
  }

  #up(e) {
    if (!this.active || e.pointerId !== this.active.pointerId) return;
    this.strokes.push(this.active.points);
    this.active = null;
    if (this.canvas.hasPointerCapture(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId);
    this.#emit("strokeend");
  }

  // -- painting ---------------------------------------------------------------------------

  #resize() {
    const rect = this.canvas.getBoundingClientRect();
    const side = Math.max(1, Math.round(rect.width * (window.devicePixelRatio || 1)));
    if (this.canvas.width !== side || this.canvas.height !== side) {
      this.canvas.width = side;
      this.canvas.height = side;
      this.#redraw();
    }
  }

  #redraw() {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.#paint(this.ctx, this.canvas.width);
  }

  // Paint the base image and every stroke onto `ctx`, a square of `side` pixels.
  #paint(ctx, side) {
    if (this.base) {
      ctx.imageSmoothingEnabled = false; // show the digit's real pixels
      ctx.drawImage(this.base, 0, 0, side, side);
    }
    const strokes = this.active ? [...this.strokes, this.active.points] : this.strokes;
    for (const points of strokes) {
      ctx.beginPath();
      this.#style(ctx, side);
      ctx.moveTo(points[0][0] * side, points[0][1] * side);
      // A single point still leaves a round dot: lineTo itself with a round cap.
      for (const [x, y] of points.length > 1 ? points.slice(1) : points) {
        ctx.lineTo(x * side, y * side);
      }
      ctx.stroke();
    }
  }

  #segment(ctx, side, from, to) {
    ctx.beginPath();
    this.#style(ctx, side);
    ctx.moveTo(from[0] * side, from[1] * side);
    ctx.lineTo(to[0] * side, to[1] * side);
    ctx.stroke();
  }

  #style(ctx, side) {
    ctx.strokeStyle = this.ink;
    ctx.lineWidth = this.brush * side;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
  }

  #emit(type) {
    this.dispatchEvent(new Event(type));
  }
}

function parseColour(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
