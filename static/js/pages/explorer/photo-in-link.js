// The explorer's photo in the link (shared/photo-link.js): a photo a person chooses (a file,
// drop, paste or sample; not the camera's frames) goes in the address — a bundled sample by its
// name (#sample=cifar10/cat_0001.jpg), another photo by its bytes when small,
// else kept by the server for max_photo_age_days and named by id — and a link's photo is loaded
// into the photo panel when a colour model is shown. A server that refuses this client's writes
// (read-only, or a write token it has not given) gets no upload: the photo is shown, not linked.

import { api } from "../../shared/api.js";
import { SMALL_PHOTO_BYTES, photoFromLink, putPhotoInLink, putSampleInLink } from "../../shared/photo-link.js";

export const FROM_LINK = "The photo in this link";

let writable = null; // Promise<boolean>, asked once

export async function linkPhoto(blob, source, fromCamera, sample = null) {
  if (fromCamera || source === FROM_LINK) return;
  if (sample) return putSampleInLink(sample.set, sample.file); // by name: it ships with the app
  writable ??= api.access().then((a) => a.can_write, () => false);
  if (blob.size > SMALL_PHOTO_BYTES && !(await writable)) return;
  try {
    await putPhotoInLink(blob);
  } catch {
    // the photo is on screen all the same; only its link is missing
  }
}

// panel: the PhotoPanel; loads the link's photo, if it names one.
export async function openLinkedPhoto(panel) {
  const blob = await photoFromLink();
  if (blob) panel.load(blob, FROM_LINK);
}
