// Whether the chosen data set is on this server, said before Start and beside it: the files
// that are missing, the one command that fetches them (with the server's own Python, into the
// folder it reads), the setting that points it elsewhere, and a button to look again.

import { h } from "../../shared/dom.js";

export class DataNote {
  // el: [data-testid=data-missing]; on: { recheck() }
  constructor(el, on) {
    this.el = el;
    this.on = on;
  }

  // missing: the options' `missing[name]` (null when the data set is here).
  render(name, missing) {
    this.el.hidden = !missing;
    if (!missing) return;
    const command = h("code", { class: "command", dataset: { testid: "data-command" } }, missing.command);
    const copy = h("button", { type: "button", class: "button small ghost" }, "Copy");
    copy.addEventListener("click", async () => {
      await navigator.clipboard?.writeText(missing.command).catch(() => {});
      copy.textContent = "Copied";
    });
    this.el.replaceChildren(
      h("p", {}, h("strong", {}, `The ${name} training set is not on this server yet`), ", so training cannot start."),
      h("p", {}, "To fetch it (about 12 MB, checked against its SHA-256), run this in the project folder:"),
      h("p", { class: "command-line" }, command, copy),
      h(
        "p",
        { class: "small muted" },
        "Missing: ",
        missing.files.join(", "),
        ". Already have the files? Put them in ",
        h("code", {}, missing.folder),
        ", or start the server with ",
        h("code", {}, missing.setting),
        " set to the folder that holds them.",
      ),
      h("button", { type: "button", class: "button small", dataset: { testid: "data-recheck" }, onclick: () => this.on.recheck() }, "Check again"),
    );
  }
}
