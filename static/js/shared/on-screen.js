// Keep views up to date with the latest value only while they are on screen (or within
// `margin` of it); a view that was off screen when the value changed is brought up to date as
// soon as it is scrolled to. For the sections that ask the server on every drawing: off screen
// they would only compete with the drawing's own requests.

export class WhileOnScreen {
  // sections: [{ el, update(value) }]; delayMs: let the value settle this long (0: at once)
  constructor(sections, { delayMs = 0, margin = "200px 0px" } = {}) {
    this.sections = sections;
    this.delayMs = delayMs;
    this.ready = null; // a Promise updates wait for (e.g. a first download); null: none
    this.onScreen = new Set();
    this.stale = new Set();
    this.latest = null; // { value } once set
    this.timer = null;
    const observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          const section = sections.find((s) => s.el === entry.target);
          if (!entry.isIntersecting) {
            this.onScreen.delete(section);
            continue;
          }
          this.onScreen.add(section);
          if (this.timer === null) this.#refresh(section);
        }
      },
      { rootMargin: margin },
    );
    for (const section of sections) observer.observe(section.el);
    this.observer = observer;
  }

  // Forget the value: nothing is brought up to date until the next set().
  clear() {
    this.latest = null;
    this.stale.clear();
    clearTimeout(this.timer);
    this.timer = null;
  }

  // Stop watching (the views are being replaced).
  disconnect() {
    this.clear();
    this.observer.disconnect();
  }

  set(value) {
    this.latest = { value };
    for (const section of this.sections) this.stale.add(section);
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.delayMs) {
      for (const section of this.onScreen) this.#refresh(section);
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      for (const section of this.onScreen) this.#refresh(section);
    }, this.delayMs);
  }

  // Synchronous unless there is something to wait for: a view on screen is drawn in the same
  // task as the value it shows arrived.
  #refresh(section) {
    if (this.ready) this.ready.then(() => this.#apply(section));
    else this.#apply(section);
  }

  #apply(section) {
    if (!this.latest || !this.stale.has(section)) return;
    this.stale.delete(section);
    section.update(this.latest.value);
  }
}
