// The filters page's chosen filter in the link, `#filter=<f>` (the layer is `?layer=`): a click
// on a filter's card chooses it (a history entry), the card is marked and scrolled to, and a
// link naming a filter the layer does not have says so.

import { linkNotice, urlState } from "../../shared/url-state.js";

// container: the cards' parent (#filter-cards); returns { shown() } to call after each render.
export function keepFilterInLink(container) {
  let chosen = null; // the filter's index as text, or null

  function mark(scroll) {
    for (const card of container.querySelectorAll("[data-testid='filter-card']")) {
      card.classList.toggle("is-chosen", card.dataset.filter === chosen);
      if (card.dataset.filter === chosen) {
        card.setAttribute("aria-current", "true");
        if (scroll) card.scrollIntoView({ block: "nearest" });
      } else card.removeAttribute("aria-current");
    }
  }

  const link = urlState.register(
    "filter",
    () => chosen,
    (text) => {
      chosen = text;
      const cards = container.querySelectorAll("[data-testid='filter-card']");
      if (text !== null && cards.length && !container.querySelector(`[data-filter="${CSS.escape(text)}"]`)) {
        linkNotice(`This link names filter ${text}, which this layer does not have (it has ${cards.length}).`);
        chosen = null;
      }
      mark(true);
    },
  );

  container.addEventListener("click", (e) => {
    const card = e.target.closest("[data-testid='filter-card']");
    if (!card || card.dataset.filter === chosen) return;
    chosen = card.dataset.filter;
    mark(false);
    link.changed();
  });

  return { shown: () => link.apply() };
}
