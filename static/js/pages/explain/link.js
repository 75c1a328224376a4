// The explanation's choice in the link: `#explain=<method>[.class<i>][.<option><n>]…`, e.g.
// `#explain=occlusion.class7.patch8.stride2` or `#explain=gradcam.layer3`; the defaults
// (saliency of the predicted class) leave the link alone. Only the options of the method shown
// are written: they are all that changes its picture.

import { linkNotice, urlState } from "../../shared/url-state.js";

const OPTIONS_OF = { gradcam: ["layer"], occlusion: ["patch", "stride"], "integrated-gradients": ["steps"] };

export function encodeChoice({ method, target, ...params }) {
  if (method === "saliency" && target === null) return null;
  const parts = [method];
  if (target !== null) parts.push(`class${target}`);
  for (const name of OPTIONS_OF[method] ?? []) if (params[name] !== null) parts.push(`${name}${params[name]}`);
  return parts.join(".");
}

// The choice `text` names; words it does not know are said in a notice and left out.
export function decodeChoice(text) {
  const [method, ...parts] = text.split(".");
  const choice = { method, target: null };
  for (const part of parts) {
    const m = /^(class|layer|patch|stride|steps)(\d{1,6})$/.exec(part);
    if (!m) linkNotice(`This link's explanation has "${part}", which is not an option: left out.`);
    else if (m[1] === "class") choice.target = Number(m[2]);
    else choice[m[1]] = Number(m[2]);
  }
  return choice;
}

// panel: an ExplainPanel; returns what its `on.changed` calls.
export function keepChoiceInLink(panel) {
  const link = urlState.register(
    "explain",
    () => encodeChoice(panel.choice),
    (text) => panel.choose(text === null ? null : decodeChoice(text)),
  );
  link.apply();
  return () => link.changed();
}
