// Write buttons a visitor cannot use say why instead of failing silently. On a read-only server
// (GET /api/access), every element marked `data-write` — in the page or rendered later — is
// disabled with the server's reason as its title, a note under the page's header says it once,
// and a click or submit that still reaches one is stopped. A server with a write token keeps
// its buttons: the first write asks for the token (shared/api.js).

import { api } from "./api.js";
import { h } from "./dom.js";
import { capitalise } from "./format.js";

// Each write element gets the reason once, and is disabled whenever it is not (the page may
// enable it later). Only what is not yet so is touched: setting an attribute, even to the value
// it has, is a mutation, and the observer below would answer it again forever.
function disable(root, why) {
  for (const el of root.querySelectorAll("[data-write]:not([data-write-why])")) {
    el.dataset.writeWhy = "";
    el.title = why;
    el.setAttribute("aria-disabled", "true");
  }
  for (const el of root.querySelectorAll("[data-write]:not([disabled])")) el.disabled = true;
}

export async function explainWrites() {
  let access;
  try {
    access = await api.access();
  } catch {
    return; // the page's own requests will say the server is unreachable
  }
  if (access.can_write || !access.read_only) return;
  document.body.dataset.readOnly = "";
  const note = h("p", { class: "read-only-note", role: "status", dataset: { testid: "read-only" } }, `${capitalise(access.why)}.`);
  document.querySelector("main")?.prepend(note);
  disable(document, access.why);
  new MutationObserver(() => disable(document, access.why)).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ["disabled"] });
  const stop = (event) => {
    if (event.target.closest?.("[data-write]")) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  };
  document.addEventListener("click", stop, true);
  document.addEventListener("submit", stop, true);
}
