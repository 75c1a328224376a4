"""Write the bundled sample photos: static/samples/photos/*.jpg, manifest.json and LICENSES.md.

Run with a Python that has scikit-image (its ``skimage.data`` images ship inside the package,
so nothing is downloaded):

    python scripts/make_sample_photos.py

Each photo is one of scikit-image's sample images whose documentation states a public-domain
or CC0 status (quoted in ``LICENSE`` below, from the ``skimage.data`` docstrings), shrunk with
PIL's Lanczos filter so its longer side is at most 512 px and saved as a baseline JPEG at
quality 90. Colour photos stay RGB, grey ones are one-channel JPEGs. The manifest lists, for
each file, its title, size, credit, licence and source, for the pages and the API to read.
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
PD, CC0 = "Public domain", "CC0 1.0"

#: file stem → (skimage.data function, title, credit, licence, source, licence note).
PHOTOS = {
    "astronaut": ("astronaut", "Astronaut Eileen Collins", "NASA", PD,
                  "https://flic.kr/p/r9qvLn",
                  "No known copyright restrictions, released into the public domain."),
    "cat": ("chelsea", "Chelsea the cat", "Stefan van der Walt", CC0, "skimage.data.chelsea",
            "No copyright restrictions. CC0 by the photographer (Stefan van der Walt)."),
    "coffee": ("coffee", "Coffee cup", "Rachel Michetti (courtesy of Pikolo Espresso Bar)", CC0,
               "skimage.data.coffee",
               "No copyright restrictions. CC0 by the photographer (Rachel Michetti)."),
    "rocket": ("rocket", "Falcon 9 launching DSCOVR", "SpaceX", PD,
               "https://www.flickr.com/photos/spacexphotos/16511594820/",
               "The image was captured by SpaceX and released in the public domain."),
    "hubble-deep-field": ("hubble_deep_field", "Hubble eXtreme Deep Field", "NASA", PD,
                          "http://hubblesite.org/newscenter/archive/releases/2012/37/image/a/",
                          "Captured by NASA and may be freely used in the public domain."),
    "retina": ("retina", "Human retina (fundus photograph)", "Mikael Häggström", CC0,
               "https://commons.wikimedia.org/wiki/File:Fundus_photograph_of_normal_left_eye.jpg",
               "Made available under the Creative Commons CC0 1.0 Universal Public Domain "
               "Dedication."),
    "camera": ("camera", "Cameraman", "Lav Varshney", CC0, "skimage.data.camera",
               "No copyright restrictions. CC0 by the photographer (Lav Varshney)."),
    "clock": ("clock", "Motion-blurred wall clock", "Stefan van der Walt", PD,
              "skimage.data.clock", "Released into the public domain by the photographer."),
    "horse": ("horse", "Horse silhouette", "Andreas Preuss (marauder)", CC0,
              "http://openclipart.org/detail/158377/horse-by-marauder",
              "No copyright restrictions. CC0 given by owner (Andreas Preuss)."),
    "bricks": ("brick", "Brick wall", "CC0Textures (Bricks25)", CC0,
               "https://cc0textures.com/view.php?tex=Bricks25",
               "Licensed under the Creative Commons CC0 License."),
    "text": ("text", "Text on a page (corners)", "Wikipedia, File:Corner.png", PD,
             "https://en.wikipedia.org/wiki/File:Corner.png",
             "No known copyright restrictions, released into the public domain."),
    "cell": ("cell", "Cell floating in saline (phase image)", "Paul Müller et al.", CC0,
             "skimage.data.cell",
             "This image is CC0, dedicated to the public domain."),
}  # fmt: skip


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
    for stem, (function, title, credit, licence, source, note) in PHOTOS.items():
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
