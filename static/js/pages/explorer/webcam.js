// The camera, for a colour model: getUserMedia into a <video>, a frame captured as a JPEG on
// "Take a photo", and a live mode that captures one every `photos.liveIntervalMs`. When there
// is no camera, or permission is refused, it says so in words (`on.message`).

import { photos as config } from "../../shared/config.js";

// getUserMedia's refusals, in words.
const REFUSALS = {
  NotAllowedError: "The camera was not allowed. Allow it for this site in the browser's settings, or choose a photo instead.",
  SecurityError: "The camera was not allowed. Allow it for this site in the browser's settings, or choose a photo instead.",
  NotFoundError: "No camera was found on this device. Choose a photo or a sample instead.",
  OverconstrainedError: "No camera here can give a picture. Choose a photo or a sample instead.",
  NotReadableError: "The camera is in use by another program (or failed to start). Close it there and try again.",
};

export class Webcam {
  // root: [data-testid=webcam] with its buttons, live checkbox and <video>;
  // on: { capture(blob), message(text | null) }
  constructor(root, on) {
    this.on = on;
    this.video = root.querySelector("video");
    const $ = (action) => root.querySelector(`[data-action="${action}"]`);
    this.startButton = $("start");
    this.captureButton = $("capture");
    this.stopButton = $("stop");
    this.live = $("live");
    this.liveLabel = this.live.closest("label");
    this.canvas = document.createElement("canvas"); // one, reused for every frame
    this.stream = null;
    this.timer = null;
    this.startButton.addEventListener("click", () => this.start());
    this.captureButton.addEventListener("click", () => this.capture());
    this.stopButton.addEventListener("click", () => this.stop());
    this.live.addEventListener("change", () => this.#tick());
  }

  get isOn() {
    return this.stream !== null;
  }

  async start() {
    if (this.stream) return;
    this.on.message(null);
    if (!navigator.mediaDevices?.getUserMedia) {
      this.on.message("This browser offers no camera to this page (a camera needs https, or the page opened as localhost).");
      return;
    }
    this.startButton.disabled = true;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: config.captureSide } }, audio: false });
      this.video.srcObject = this.stream;
      this.video.hidden = false;
      await this.video.play();
      this.#showControls(true);
      this.captureButton.focus();
    } catch (err) {
      this.stop();
      this.on.message(REFUSALS[err.name] ?? `The camera could not start: ${err.message}`);
    } finally {
      this.startButton.disabled = false;
    }
  }

  stopLive() {
    clearTimeout(this.timer);
    this.timer = null;
    this.live.checked = false;
  }

  stop() {
    this.stopLive();
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.video.srcObject = null;
    this.video.hidden = true;
    this.#showControls(false);
  }

  // The current frame as a JPEG Blob, handed to `on.capture`.
  async capture() {
    const { videoWidth: w, videoHeight: h } = this.video;
    if (!this.stream || !w || !h) return;
    const k = Math.min(1, config.captureSide / Math.max(w, h));
    this.canvas.width = Math.round(w * k);
    this.canvas.height = Math.round(h * k);
    this.canvas.getContext("2d").drawImage(this.video, 0, 0, this.canvas.width, this.canvas.height);
    const blob = await new Promise((resolve) => this.canvas.toBlob(resolve, "image/jpeg", config.captureQuality));
    if (blob && this.stream) this.on.capture(blob);
  }

  // Live: a frame now, and the next one `liveIntervalMs` later, while the box is ticked.
  #tick() {
    clearTimeout(this.timer);
    if (!this.live.checked || !this.stream) return;
    this.capture();
    this.timer = setTimeout(() => this.#tick(), config.liveIntervalMs);
  }

  #showControls(on) {
    this.startButton.hidden = on;
    this.captureButton.hidden = !on;
    this.stopButton.hidden = !on;
    this.liveLabel.hidden = !on;
  }
}
