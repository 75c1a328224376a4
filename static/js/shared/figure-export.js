// A panel of the page as a file: its drawing as an SVG (canvases as images at their own
// resolution, SVGs inlined with their computed styles, coloured boxes as rectangles, every
// visible text — headings, legends, colour-scale numbers — as <text>) with a caption under
// it; the same SVG drawn at print resolution as a PNG; a table's numbers as CSV.

const SVG_NS = "http://www.w3.org/2000/svg";
export const PRINT_SCALE = 3; // PNG pixels per CSS pixel: 288 dpi
const STYLE_PROPS = ["fill", "fill-opacity", "stroke", "stroke-width", "stroke-opacity",
  "opacity", "font-size", "font-family", "font-weight", "text-anchor", "dominant-baseline"];

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const visible = (r) => r.width > 0 && r.height > 0;
const opaque = (colour) => colour && colour !== "transparent" && !/rgba\(.*,\s*0\)$/.test(colour);

function place(el, origin) {
  const r = el.getBoundingClientRect();
  return { x: r.left - origin.left, y: r.top - origin.top, w: r.width, h: r.height };
}

function canvasImage(canvas, p) {
  const pixelated = getComputedStyle(canvas).imageRendering !== "auto";
  const crisp = pixelated ? ' image-rendering="pixelated"' : "";
  return `<image x="${p.x}" y="${p.y}" width="${p.w}" height="${p.h}" preserveAspectRatio="none"${crisp} href="${canvas.toDataURL("image/png")}"/>`;
}

// The <svg> with every descendant's computed presentation written into it as presentation
// attributes (not a style attribute, which the pages' CSP forbids), so it looks the same without the
// page's style sheets.
function inlineSvg(svg, p) {
  const copy = svg.cloneNode(true);
  const from = [svg, ...svg.querySelectorAll("*")];
  const to = [copy, ...copy.querySelectorAll("*")];
  from.forEach((el, i) => {
    const cs = getComputedStyle(el);
    for (const k of STYLE_PROPS) {
      const value = cs.getPropertyValue(k);
      if (value) to[i].setAttribute(k, value);
    }
    to[i].removeAttribute("class");
  });
  for (const [k, v] of Object.entries({ x: p.x, y: p.y, width: p.w, height: p.h })) copy.setAttribute(k, v);
  if (!copy.getAttribute("viewBox")) copy.setAttribute("viewBox", `0 0 ${p.w} ${p.h}`);
  return new XMLSerializer().serializeToString(copy);
}

function textNodes(panel) {
  const walker = document.createTreeWalker(panel, NodeFilter.SHOW_TEXT);
  const out = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const parent = n.parentElement;
    if (!n.textContent.trim() || parent.closest("svg, canvas, button, select, script, style, [hidden]")) continue;
    out.push(n);
  }
  return out;
}

function textItem(node, origin) {
  const range = document.createRange();
  range.selectNodeContents(node);
  const r = range.getBoundingClientRect();
  if (!visible(r)) return "";
  const cs = getComputedStyle(node.parentElement);
  const size = Number.parseFloat(cs.fontSize);
  return `<text x="${r.left - origin.left}" y="${r.bottom - origin.top - size * 0.25}" font-size="${size}" font-weight="${cs.fontWeight}" fill="${cs.color}">${esc(node.textContent.trim().replace(/\s+/g, " "))}</text>`;
}

// The panel as a standalone SVG document, with `caption` as a line of text under it.
export function panelSvg(panel, caption) {
  const origin = panel.getBoundingClientRect();
  const width = Math.ceil(origin.width);
  const height = Math.ceil(origin.height);
  const parts = [];
  for (const el of panel.querySelectorAll("*")) {
    if (el.closest("[hidden]") || el.closest(".export-bar")) continue;
    const p = place(el, origin);
    if (!(p.w > 0 && p.h > 0)) continue;
    if (el instanceof HTMLCanvasElement) parts.push(canvasImage(el, p));
    else if (el instanceof SVGSVGElement && !el.parentElement.closest("svg")) parts.push(inlineSvg(el, p));
    else if (el instanceof HTMLElement && !el.closest("svg")) {
      const bg = getComputedStyle(el).backgroundColor;
      if (opaque(bg)) parts.push(`<rect x="${p.x}" y="${p.y}" width="${p.w}" height="${p.h}" fill="${bg}"/>`);
    }
  }
  for (const node of textNodes(panel)) parts.push(textItem(node, origin));
  const total = height + 24;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="${SVG_NS}" width="${width}" height="${total}" viewBox="0 0 ${width} ${total}" font-family="system-ui, sans-serif"><title>${esc(caption)}</title><rect width="${width}" height="${total}" fill="#ffffff"/>${parts.join("")}<text class="caption" x="4" y="${height + 16}" font-size="11" fill="#555">${esc(caption)}</text></svg>\n`;
}

// The SVG drawn at `scale` device pixels per CSS pixel: a PNG blob.
export async function svgToPng(svgText, scale = PRINT_SCALE) {
  const url = URL.createObjectURL(new Blob([svgText], { type: "image/svg+xml" }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = Math.ceil(img.width * scale);
    canvas.height = Math.ceil(img.height * scale);
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  } finally {
    URL.revokeObjectURL(url);
  }
}

// A <table>'s cells as CSV (RFC 4180 quoting).
export function tableCsv(table) {
  const quote = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [...table.rows]
    .map((row) => [...row.cells].map((c) => quote(c.textContent.trim().replace(/\s+/g, " "))).join(","))
    .join("\n") + "\n";
}

export function download(blob, filename) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 0);
}
