// What the explorer keeps in its link besides the drawing (#strokes=, main.js) and the model
// (?model=): the map open in the inspector, `#map=<layer>.<channel>` (its filter is that
// channel's), the overview's open conv unit, `#unit=<layer>.<channel>.<row>.<col>`, and a big
// network's open blocks, `#open=<block>.<block>` (only when not as the model opens). All are
// applied once the first result is drawn (they show numbers of it), and again on Back/Forward.

import { linkNotice, urlState } from "../../shared/url-state.js";

// "3.5" → [3, 5] when `text` is `n` non-negative integers joined by ".", else null
function integers(text, n) {
  const parts = text.split(".");
  if (parts.length !== n || parts.some((p) => !/^\d{1,6}$/.test(p))) return null;
  return parts.map(Number);
}

// Whether [index, c, i, j...] names a unit of a layer whose output is (C, H, W)
function inside(model, index, unit) {
  const shape = model.layers[index]?.output_shape;
  return Boolean(shape) && shape.length === unit.length && unit.every((v, k) => v < shape[k]);
}

// explorer: { model(), inspector, inspect(index, channel), closeInspector(), overview }
export function keepSelectionInLink(explorer) {
  const { inspector, overview } = explorer;

  const map = urlState.register(
    "map",
    () => (inspector.selection ? `${inspector.selection.index}.${inspector.selection.channel}` : null),
    (text) => {
      if (text === null) {
        if (inspector.selection) explorer.closeInspector();
        return;
      }
      const model = explorer.model();
      const at = integers(text, 2);
      const shape = at && model.layers[at[0]]?.output_shape;
      if (!at || shape?.length !== 3 || at[1] >= shape[0]) {
        linkNotice(`This link names map ${text}, which ${model.id} does not have: pick a map below instead.`);
        return;
      }
      explorer.inspect(at[0], at[1]);
    },
  );

  const unit = urlState.register(
    "unit",
    () => {
      const open = overview.openUnit;
      return open ? [open.index, ...open.unit].join(".") : null;
    },
    (text) => {
      if (text === null) {
        overview.openAt(null);
        return;
      }
      const model = explorer.model();
      const at = integers(text, 4);
      if (!at || model.layers[at[0]]?.type !== "conv2d" || !inside(model, at[0], at.slice(1))) {
        linkNotice(`This link names unit ${text}, which is not a convolution unit of ${model.id}.`);
        return;
      }
      overview.openAt(at[0], at.slice(1));
    },
  );

  const blocks = urlState.register(
    "open",
    () => overview.openBlocks,
    (text) => {
      const list = text === null || text === "" ? (text === null ? null : []) : text.split(".").map((v) => (/^\d{1,4}$/.test(v) ? Number(v) : -1));
      if (!overview.setOpenBlocks(list)) linkNotice(`This link opens blocks ${text}, which ${explorer.model().id} does not have: its blocks are shown as it opens them.`);
    },
  );

  // The first result applies the link's selection; later ones (another model, a cleared pad)
  // only correct the address to what is open.
  let applied = false;
  document.addEventListener("explorer:result", (e) => {
    if (!e.detail.result) return;
    if (!applied) {
      applied = true;
      blocks.apply();
      map.apply();
      unit.apply();
      return;
    }
    map.changed({ push: false });
    unit.changed({ push: false });
    blocks.changed({ push: false });
  });

  return {
    mapChanged: ({ push = true } = {}) => map.changed({ push }),
    unitChanged: ({ push = true } = {}) => unit.changed({ push }),
    blocksChanged: ({ push = true } = {}) => blocks.changed({ push }),
  };
}
