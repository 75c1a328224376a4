// The models table: rename, download, delete (never the shipped default), and choose which
// model the page evaluates.

import { api } from "../../shared/api.js";
import { h } from "../../shared/dom.js";
import { count, percent } from "../../shared/format.js";

export class ModelsView {
  // body: the <tbody>; on: { evaluate(id), changed(), error(message) }
  constructor(body, on) {
    this.body = body;
    this.on = on;
    this.editing = null; // { id, draft, caret }: a rename in progress survives a re-render
  }

  render(models, defaultId, currentId) {
    // Whether the editor has the focus is read here, before its row is replaced: removing a
    // focused element may or may not fire "blur" first, depending on the browser.
    const editing = this.editing;
    const active = document.activeElement;
    const focused = Boolean(editing) && active?.tagName === "INPUT" && this.body.contains(active);
    this.body.replaceChildren(...models.map((m) => this.row(m, m.id === defaultId, m.id === currentId)));
    const row = editing && this.body.querySelector(`tr[data-model="${CSS.escape(editing.id)}"]`);
    const m = editing && models.find((x) => x.id === editing.id);
    if (row && m) this.rename(m, row.cells[0], { ...editing, focused });
    else this.editing = null;
  }

  row(m, isDefault, isCurrent) {
    const badge = isDefault ? "shipped" : m.source === "onnx" ? "onnx" : null;
    const nameCell = h("td", {}, m.name, badge ? h("span", { class: "badge" }, badge) : null);
    const act = (label, onclick, attrs = {}) =>
      h("button", { type: "button", class: "button ghost small", onclick, ...attrs }, label);
    const actions = h(
      "td",
      { class: "actions-cell" },
      isCurrent ? h("span", { class: "muted small-note" }, "shown above") : act("Evaluate", () => this.on.evaluate(m.id)),
      h("a", { class: "button ghost small", href: api.weightsUrl(m.id), download: `${m.id}.npz`, title: "The weights as an .npz (PyTorch names)" }, "Download .npz"),
      h("a", { class: "button ghost small", href: api.onnxUrl(m.id), download: `${m.id}.onnx`, dataset: { testid: "export-onnx" }, title: "The model as a standard ONNX file" }, ".onnx"),
      act("Rename", () => this.rename(m, nameCell), {
        disabled: isDefault,
        title: isDefault ? "The shipped model cannot be renamed" : "",
        dataset: { write: "" },
      }),
      act("Delete", (e) => this.remove(m, e.currentTarget), {
        disabled: isDefault,
        title: isDefault ? "The shipped model cannot be deleted" : "",
        dataset: { action: "delete", write: "" },
      }),
    );
    return h(
      "tr",
      { class: isCurrent ? "current" : "", dataset: { model: m.id } },
      nameCell,
      h("td", {}, h("code", {}, m.id)),
      h("td", {}, m.dataset ?? "–"),
      h("td", { class: "num" }, count(m.num_params)),
      h("td", { class: "num" }, m.test_accuracy === null ? "–" : percent(m.test_accuracy)),
      actions,
    );
  }

  // The name cell becomes an editor; `kept` is the one a re-render (an evaluation finishing)
  // took away: its typed text and caret come back, and the focus if it had it.
  rename(m, cell, kept = null) {
    const value = kept ? kept.draft : m.name;
    const input = h("input", { type: "text", value, maxlength: 64, "aria-label": `New name for ${m.id}` });
    const editing = { id: m.id, draft: value, caret: kept?.caret ?? [value.length, value.length] };
    this.editing = editing;
    const remember = () => {
      editing.draft = input.value;
      editing.caret = [input.selectionStart, input.selectionEnd];
    };
    for (const type of ["input", "keyup", "select", "pointerup", "blur"]) input.addEventListener(type, remember);
    const save = async () => {
      try {
        await api.renameModel(m.id, input.value.trim());
        this.editing = null;
        this.on.changed();
      } catch (err) {
        this.on.error(err.message);
      }
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") save();
      if (e.key === "Escape") {
        this.editing = null;
        this.on.changed();
      }
    });
    cell.replaceChildren(input, h("button", { type: "button", class: "button small", onclick: save }, "Save"));
    if (!kept) {
      input.focus();
      input.select();
      return;
    }
    input.setSelectionRange(...editing.caret); // where typing goes on, now or after a click
    if (kept.focused) input.focus();
  }

  // Two clicks: the first asks, the second deletes.
  async remove(m, button) {
    if (button.dataset.armed !== "true") {
      button.dataset.armed = "true";
      button.textContent = `Delete ${m.id}?`;
      button.classList.add("danger");
      return;
    }
    try {
      await api.removeModel(m.id);
      this.on.changed(m.id);
    } catch (err) {
      this.on.error(err.message);
    }
  }
}
