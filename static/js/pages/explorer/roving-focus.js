// One tab stop for a group of buttons (a layer's maps, the gallery, a layer's filters): Tab
// enters and leaves the group, the arrow keys, Home and End move within it.

const NEXT = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };

export function rovingFocus(container, selector) {
  const items = () => [...container.querySelectorAll(selector)];
  const activate = (item) => {
    for (const other of items()) other.tabIndex = other === item ? 0 : -1;
  };
  container.addEventListener("keydown", (e) => {
    const list = items();
    const i = list.indexOf(document.activeElement);
    if (i < 0) return;
    let j;
    if (e.key in NEXT) j = Math.min(list.length - 1, Math.max(0, i + NEXT[e.key]));
    else if (e.key === "Home") j = 0;
    else if (e.key === "End") j = list.length - 1;
    else return;
    e.preventDefault();
    activate(list[j]);
    list[j].focus();
  });
  container.addEventListener("focusin", (e) => {
    const item = e.target.closest(selector);
    if (item && container.contains(item)) activate(item);
  });
  // Call after the items change, so exactly one of them is a tab stop.
  return function reset() {
    const list = items();
    const current = list.find((item) => item.tabIndex === 0) ?? list[0];
    if (current) activate(current);
  };
}
