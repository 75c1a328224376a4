// The page's error line: shows the API's `detail` text, in the server's own words.

export class StatusView {
  constructor(el) {
    this.el = el;
  }

  error(message) {
    this.el.textContent = message;
    this.el.hidden = false;
  }

  clear() {
    this.el.hidden = true;
    this.el.textContent = "";
  }
}
