// Controls that move a selection through every output in order: back, play/pause, forward,
// and the keyboard (←/→ step, Space plays or pauses, Home/End jump) while focus is inside
// `scope`. The animation only moves the selection; the views draw it.

import { h } from "../../shared/dom.js";

export class Stepper {
  // selection: a Selection; scope: the element whose keys it listens to; intervalMs: per step.
  constructor(selection, scope, { intervalMs, noun = "output" }) {
    this.selection = selection;
    this.intervalMs = intervalMs;
    this.noun = noun;
    this.timer = null;
    this.prev = h("button", { type: "button", class: "button icon", "aria-label": "Previous step", dataset: { testid: "step-prev" }, onclick: () => this.#move(-1) }, "◀");
    this.play = h("button", { type: "button", class: "button play", "aria-pressed": "false", dataset: { testid: "step-play" }, onclick: () => this.toggle() }, "Play");
    this.next = h("button", { type: "button", class: "button icon", "aria-label": "Next step", dataset: { testid: "step-next" }, onclick: () => this.#move(1) }, "▶");
    this.label = h("span", { class: "step-label", dataset: { testid: "step-label" }, "aria-live": "polite" });
    this.el = h("div", { class: "stepper", role: "group", "aria-label": "Animation" }, this.prev, this.play, this.next, this.label);
    selection.addEventListener("select", () => this.#sync());
    scope.addEventListener("keydown", (e) => this.#key(e));
    this.#sync();
  }

  get playing() {
    return this.timer !== null;
  }

  toggle() {
    if (this.playing) this.pause();
    else this.start();
  }

  start() {
    if (this.playing || this.selection.count < 2) return;
    this.timer = setInterval(() => this.selection.advance(1), this.intervalMs);
    this.#sync();
  }

  pause() {
    clearInterval(this.timer);
    this.timer = null;
    this.#sync();
  }

  #move(delta) {
    this.pause();
    this.selection.advance(delta);
  }

  #sync() {
    const { row, count } = this.selection;
    const none = row === null || count === 0;
    this.label.textContent = none ? "" : `${this.noun} ${row + 1} of ${count}`;
    this.play.textContent = this.playing ? "Pause" : "Play";
    this.play.setAttribute("aria-pressed", String(this.playing));
    for (const b of [this.prev, this.play, this.next]) b.disabled = none || count < 2;
  }

  #key(e) {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || isTyping(e.target)) return;
    const moves = { ArrowLeft: -1, ArrowRight: 1 };
    if (e.key in moves) {
      e.preventDefault();
      this.#move(moves[e.key]);
    } else if (e.key === " " && !(e.target instanceof HTMLButtonElement)) {
      e.preventDefault();
      this.toggle();
    } else if (e.key === "Home" || e.key === "End") {
      e.preventDefault();
      this.pause();
      this.selection.select(e.key === "Home" ? 0 : this.selection.count - 1);
    }
  }
}

function isTyping(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName));
}
