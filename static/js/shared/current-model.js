// The model a person chose, carried from page to page: in the URL (`?model=`), remembered in
// localStorage for the next visit, and on the nav's links.
// Loaded by every page (base.html), so the nav carries it before a page's own script runs.

const KEY = "cnn-explorer:model";

function stored() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null; // storage refused (private mode): the URL still carries it
  }
}

// The ids a page should try, in order: the URL's, then the one remembered.
export function wantedModels() {
  return [new URLSearchParams(window.location.search).get("model"), stored()].filter(Boolean);
}

function carry(id) {
  for (const a of document.querySelectorAll(".site-nav a")) {
    const url = new URL(a.href, window.location.href);
    url.searchParams.set("model", id);
    a.href = `${url.pathname}${url.search}${url.hash}`;
  }
}

// `id` is now the page's model: into the URL, the nav's links and the memory.
export function chooseModel(id) {
  try {
    localStorage.setItem(KEY, id);
  } catch {
    // not remembered across visits; the URL and the nav still carry it
  }
  const url = new URL(window.location.href);
  url.searchParams.set("model", id);
  history.replaceState(history.state, "", url);
  carry(id);
}

const [first] = wantedModels();
if (first) carry(first);
