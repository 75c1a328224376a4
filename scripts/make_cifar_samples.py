"""List the CIFAR-10 sample photos the explorer offers a CIFAR model: the first two test photos
of each class in static/samples/cifar10/ (README.md there says where they come from), in
manifest.json (file, title, size, credit, licence) with LICENSES.md beside it.

    python scripts/make_cifar_samples.py
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from engine.io import atomic_write_bytes

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "static" / "samples" / "cifar10"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
PER_CLASS = 2
CREDIT = "CIFAR-10 (Alex Krizhevsky, 2009)"
SOURCE_URL = "https://www.cs.toronto.edu/~kriz/cifar.html"
LICENCE = "Research and teaching use; cite the CIFAR-10 report"


def article(word: str) -> str:
    return "An" if word[0] in "aeiou" else "A"


def main() -> None:
    entries = []
    for label in CLASSES:
        for i in range(PER_CLASS):
            name = f"{label}_{i:04d}.jpg"
            with Image.open(OUT / name) as img:
                width, height = img.size
            entries.append(
                {"file": name, "label": label,
                 "title": f"{article(label)} {label} (CIFAR-10 test image {i})",
                 "width": width, "height": height, "mode": "rgb", "credit": CREDIT,
                 "licence": LICENCE, "source": SOURCE_URL,
                 "via": "the JPEG copy of the test split (README.md)"}
            )  # fmt: skip
    manifest = {"photos": entries}
    atomic_write_bytes(OUT / "manifest.json", (json.dumps(manifest, indent=1) + "\n").encode())
    notes = (
        "# CIFAR-10 sample photos: source and terms\n\n"
        f"{len(entries)} photos from the CIFAR-10 **test** split, the first {PER_CLASS} of each "
        "class (`<class>_<index>.jpg`), listed in manifest.json by "
        "`scripts/make_cifar_samples.py` for the explorer: JPEG re-encodings of the 32×32 "
        "originals (README.md beside them says where they come from).\n\n"
        'CIFAR-10: Alex Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", '
        f"2009, {SOURCE_URL}. The data set is distributed for research and teaching, with the "
        "request to cite that report when it is used; it carries no other licence terms.\n"
    )
    atomic_write_bytes(OUT / "LICENSES.md", notes.encode())
    total = sum((OUT / e["file"]).stat().st_size for e in entries)
    print(f"{len(entries)} photos, {total:,} bytes in {OUT}")


if __name__ == "__main__":
    main()
