// A photo in the link, for the explorer's photo input: a bundled sample by its name
// (`#sample=<set>/<file>`), a small photo as its own bytes
// (`#photopx=<base64url of the file>`), a larger one kept by the server (POST /api/photos, for
// max_photo_age_days) and named by its id (`#photo=<id>`). Opening the link gives the same file
// back, so the same numbers; a photo that has expired says so (a notice, not an error).
//
//   await putPhotoInLink(file);          // after a person picks a photo
//   const blob = await photoFromLink();  // on load: the link's photo, or null

import { api } from "./api.js";
import { linkNotice, readFragment, writeFragment } from "./url-state.js";

export const SMALL_PHOTO_BYTES = 2048; // a 32×32 PNG fits; its link stays under 3 kB

function toBase64Url(bytes) {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

// Put `blob` (the photo's file) in the address, as a new history entry; the drawing's strokes
// leave it. Returns { id, expires } when the server keeps it (expires: Unix seconds), else
// { id: null } (its bytes are in the link). Throws the server's refusal (an ApiError).
export async function putPhotoInLink(blob, { push = true } = {}) {
  if (blob.size <= SMALL_PHOTO_BYTES) {
    const bytes = new Uint8Array(await blob.arrayBuffer());
    writeFragment({ photopx: toBase64Url(bytes), photo: null, sample: null, strokes: null }, { push });
    return { id: null };
  }
  const kept = await api.keepPhoto(blob);
  writeFragment({ photo: kept.id, photopx: null, sample: null, strokes: null }, { push });
  return { id: kept.id, expires: kept.expires };
}

// A bundled sample photo (static/samples/<set>/<file>) in the address by its name.
export function putSampleInLink(set, file, { push = true } = {}) {
  writeFragment({ sample: `${set}/${file}`, photo: null, photopx: null, strokes: null }, { push });
}

const SAMPLE = /^[a-z0-9-]{1,32}\/[\w.-]{1,128}$/; // "<set>/<file>", nothing that climbs out

// The photo the address names, as a Blob, or null (none, or gone: then a notice says why).
export async function photoFromLink() {
  const fragment = readFragment();
  if (fragment.has("sample")) {
    const name = fragment.get("sample");
    try {
      if (!SAMPLE.test(name) || name.includes("..")) throw new Error("not a sample's name");
      return new Blob([await api.fileBytes(`/static/samples/${name}`)]);
    } catch (err) {
      linkNotice(`This link's sample photo ${name} is not here: ${err.message}`);
      return null;
    }
  }
  if (fragment.has("photopx")) {
    try {
      return new Blob([fromBase64Url(fragment.get("photopx"))]);
    } catch {
      linkNotice("The photo in this link could not be read.");
      return null;
    }
  }
  const id = fragment.get("photo");
  if (!id) return null;
  try {
    return new Blob([await api.photo(id)]);
  } catch (err) {
    linkNotice(`This link's photo is not here: ${err.message}`);
    return null;
  }
}
