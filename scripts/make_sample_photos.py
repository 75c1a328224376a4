"""Write the bundled sample photos: static/samples/photos/*.jpg, manifest.json and LICENSES.md.

Run with a Python that has scikit-image (its ``skimage.data`` images ship inside the package,
so nothing is downloaded):

    python scripts/make_sample_photos.py

Each photo is one of scikit-image's sample images whose documentation states a public-domain
or CC0 status (scripts/sample_photos.json lists them, quoting the licence statement of the
``skimage.data`` docstring), shrunk with PIL's Lanczos filter so its longer side is at most
512 px and saved as a baseline JPEG at quality 90. Colour photos stay RGB, grey ones are
one-channel JPEGs. The manifest lists, for each file, its title, size, credit, licence and
source, for the pages and the API to read.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import skimage
import skimage.data
from PIL import Image

OUT = Path(__file__).resolve().parents[1] / "static" / "samples" / "photos"
LONG_SIDE, QUALITY = 512, 90
#: file stem → {function (in skimage.data), title, credit, licence, source, note (the licence
#: statement quoted from the skimage.data docstring)}.
PHOTOS = json.loads((Path(__file__).with_name("sample_photos.json")).read_text(encoding="utf-8"))


def write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; these are served as static files
    os.replace(tmp, path)


def photo(function: str) -> Image.Image:
    """The named ``skimage.data`` image as a PIL image, longer side at most ``LONG_SIDE``."""
    a = getattr(skimage.data, function)()
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255  # the horse: True is the white background
    img = Image.fromarray(a)
    if max(img.size) > LONG_SIDE:
        img.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    entries, notes = [], []
    for stem, p in PHOTOS.items():
        function, title, credit, licence, source, note = (
            p[k] for k in ("function", "title", "credit", "licence", "source", "note")
        )
        img = photo(function)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=QUALITY)
        write_atomically(OUT / f"{stem}.jpg", buf.getvalue())
        width, height = img.size
        entries.append(
            {"file": f"{stem}.jpg", "title": title, "width": width, "height": height,
             "mode": "rgb" if img.mode == "RGB" else "gray", "credit": credit,
             "licence": licence, "source": source,
             "via": f"scikit-image {skimage.__version__}, skimage.data.{function}()"}
        )  # fmt: skip
        notes.append(
            f"## {stem}.jpg — {title}\n\n- Author: {credit}\n- Licence: {licence}\n"
            f"- Source: {source} (via scikit-image's `skimage.data.{function}()`)\n"
            f'- scikit-image\'s note: "{note}"\n'
        )
    manifest = {"photos": entries}
    write_atomically(OUT / "manifest.json", (json.dumps(manifest, indent=1) + "\n").encode())
    head = (
        "# Sample photos: sources and licences\n\n"
        "Shrunk (longer side at most 512 px) and re-saved as JPEG by "
        "`scripts/make_sample_photos.py` from scikit-image's sample images. Each is public "
        "domain or CC0, as scikit-image's documentation of `skimage.data` states.\n\n"
    )
    write_atomically(OUT / "LICENSES.md", (head + "\n".join(notes)).encode())
    total = sum((OUT / e["file"]).stat().st_size for e in entries)
    print(f"{len(entries)} photos, {total:,} bytes in {OUT}")


if __name__ == "__main__":
    main()
