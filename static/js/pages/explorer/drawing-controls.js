// Controls for the drawing pad: the undo and clear buttons and the keyboard shortcuts
// (Backspace or Ctrl/⌘+Z undo the last stroke, Delete or C clears).

export class DrawingControls {
  // pad: a DrawingPad; undo, clear: the buttons.
  constructor(pad, undo, clear) {
    this.pad = pad;
    this.undoButton = undo;
    this.clearButton = clear;
    undo.addEventListener("click", () => pad.undo());
    clear.addEventListener("click", () => pad.clear());
    for (const type of ["strokeend", "change", "draw"]) pad.addEventListener(type, () => this.sync());
    document.addEventListener("keydown", (e) => this.#key(e));
    this.sync();
  }

  sync() {
    this.undoButton.disabled = !this.pad.canUndo;
    this.clearButton.disabled = this.pad.isEmpty;
  }

  #key(e) {
    if (e.defaultPrevented || e.altKey || isTyping(e.target)) return;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    if ((mod && key === "z" && !e.shiftKey) || (!mod && e.key === "Backspace")) {
      e.preventDefault();
      this.pad.undo();
    } else if (!mod && (e.key === "Delete" || key === "c")) {
      e.preventDefault();
      this.pad.clear();
    }
  }
}

function isTyping(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName));
}
