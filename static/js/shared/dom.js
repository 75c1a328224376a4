// Small DOM helpers: build HTML and SVG elements declaratively, without a framework, and find
// the grid cell under the pointer.

const SVG_NS = "http://www.w3.org/2000/svg";

// h("div", { class: "card", dataset: { testid: "x" }, onclick: fn }, child, "text", ...)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style") setStyle(el, value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

// svg("path", { d: "M0,0 L8,4", class: "edge" }, child, "text", ...): an SVG element; attributes
// that are null or undefined are left out.
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, v);
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// Inline styles; names starting with "--" are custom properties.
export function setStyle(el, styles) {
  for (const [name, value] of Object.entries(styles)) {
    if (name.startsWith("--")) el.style.setProperty(name, value);
    else el.style[name] = value;
  }
}

// A <canvas> of W×H pixels kept pixelated when scaled: `cssWidth` CSS pixels wide, or, with
// null, as wide as its container lets it be, at the map's aspect ratio.
export function pixelCanvas(W, H, cssWidth, attrs = {}) {
  const canvas = h("canvas", { class: "pixelated", width: W, height: H, ...attrs });
  if (cssWidth === null) {
    canvas.style.aspectRatio = `${W} / ${H}`;
  } else {
    canvas.style.width = `${cssWidth}px`;
    canvas.style.height = `${Math.round((cssWidth * H) / W)}px`;
  }
  return canvas;
}

// The cell (row, col) of a rows×cols grid drawn over element `el` under a pointer event, from
// where the pointer is in the element's box: outside the grid when the pointer is.
export function cellAt(event, el, rows, cols) {
  const rect = el.getBoundingClientRect();
  const col = Math.floor(((event.clientX - rect.left) / rect.width) * cols);
  const row = Math.floor(((event.clientY - rect.top) / rect.height) * rows);
  return { row, col };
}

// The cell under a pointer event kept inside the grid (the edge cell past an edge).
export function unitAt(event, el, rows, cols) {
  const { row, col } = cellAt(event, el, rows, cols);
  return { row: Math.min(rows - 1, Math.max(0, row)), col: Math.min(cols - 1, Math.max(0, col)) };
}
