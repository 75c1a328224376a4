// Skip connections beside the architecture editor's list: for every layer that reads a layer
// other than the one right above it, a curve in the left gutter from the row it reads (or
// from the top, for the network input) to the row where it joins, ending in an arrow. Lanes
// keep overlapping connections apart. Geometry only: what reads what is the editor's specs.

import { svg } from "../../shared/dom.js";

const LANE = 11; // px between lanes
const EDGE = 6; // px between the innermost lane and the rows

// [{from, to, lane}], shortest first, each on the innermost lane its span does not share.
function lanes(specs) {
  const links = [];
  specs.forEach((spec, to) => {
    for (const from of spec.inputs ?? []) if (from !== to - 1 && from < to) links.push({ from, to });
  });
  links.sort((a, b) => a.to - a.from - (b.to - b.from));
  const taken = []; // taken[lane] = [[from, to], ...]
  for (const link of links) {
    let lane = 0;
    while ((taken[lane] ?? []).some(([f, t]) => link.from < t && f < link.to)) lane++;
    (taken[lane] ??= []).push([link.from, link.to]);
    link.lane = lane;
  }
  return links;
}

export function drawLinks(list, specs) {
  list.linkSpecs = specs;
  if (!list.linkObserver && typeof ResizeObserver !== "undefined") {
    // rows change height (an error message, a narrower window): follow them
    list.linkObserver = new ResizeObserver(() => drawLinks(list, list.linkSpecs));
    list.linkObserver.observe(list);
  }
  const holder = list.parentElement;
  const layer = holder.querySelector("svg.arch-links");
  if (!layer) return;
  const links = lanes(specs);
  const width = links.length ? EDGE + LANE * (Math.max(...links.map((l) => l.lane)) + 1) : 0;
  holder.style.setProperty("--links-width", `${width}px`);
  holder.classList.toggle("has-links", links.length > 0);
  layer.replaceChildren();
  if (!links.length) return;
  const rows = [...list.children];
  const top = list.offsetTop;
  const middle = (i) => (i < 0 ? top : rows[i].offsetTop + rows[i].offsetHeight / 2);
  layer.setAttribute("width", width);
  layer.setAttribute("height", list.offsetTop + list.offsetHeight);
  const defs = svg("defs", {});
  const marker = svg("marker", {
    id: "arch-arrow", viewBox: "0 0 8 8", refX: "7", refY: "4", markerWidth: "7", markerHeight: "7", orient: "auto",
  });
  marker.append(svg("path", { d: "M0,0 L8,4 L0,8 z", class: "arch-arrow" }));
  defs.append(marker);
  layer.append(defs);
  for (const { from, to, lane } of links) {
    const x = width - EDGE - LANE * lane - 3;
    const y0 = middle(from);
    const y1 = middle(to);
    const r = Math.min(6, (y1 - y0) / 2);
    const d = [
      `M${width},${y0}`,
      `L${x + r},${y0}`,
      `Q${x},${y0} ${x},${y0 + r}`,
      `L${x},${y1 - r}`,
      `Q${x},${y1} ${x + r},${y1}`,
      `L${width - 1},${y1}`,
    ].join(" ");
    const path = svg("path", { d, class: "arch-link", "marker-end": "url(#arch-arrow)" });
    path.dataset.testid = "skip-link";
    path.dataset.from = from;
    path.dataset.to = to;
    const title = svg("title", {});
    title.textContent = `layer ${to} reads ${from < 0 ? "the network input" : `layer ${from}`}`;
    path.append(title);
    layer.append(path, svg("circle", { cx: width - 1, cy: y0, r: 2.5, class: "arch-link-start" }));
  }
  rows.forEach((row, i) => row.classList.toggle("joins", links.some((l) => l.to === i)));
  rows.forEach((row, i) => row.classList.toggle("feeds", links.some((l) => l.from === i)));
}
