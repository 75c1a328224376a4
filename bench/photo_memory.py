"""The explorer's memory over many photos on a colour model, measured in Chromium.

    python bench/photo_memory.py                  # starts python -m app on a free port
    python bench/photo_memory.py --url http://127.0.0.1:8000 --photos 50

Chooses ``--photos`` photos of noise (640×640 JPEGs of about 400 kB: a copy kept per photo
would show as half a megabyte of data URL each) through the file picker, one after another,
each waited for until the explorer has drawn its result; after the first 5 and after every
``--every`` photos it collects the garbage (CDP) and prints the page's JS heap and DOM size.
Only the latest photo is meant to be kept: the heap stays flat.
"""

from __future__ import annotations

import argparse
import io
import os

import numpy as np
from PIL import Image
from playwright.sync_api import sync_playwright

from bench.stroke_roundtrip import CHROMIUM_ARGS, server


def noise_jpeg(seed: int, side: int = 640) -> bytes:
    """A photo of noise: half a megabyte of JPEG, so a copy kept per photo would show."""
    pixels = np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=92)
    return out.getvalue()


def measure(url: str, model: str, photos: int, every: int) -> list[tuple[int, float, int]]:
    """``(photos chosen, heap MB after GC, DOM elements)`` after 5 and every ``every`` photos."""
    files = [noise_jpeg(seed) for seed in range(4)]
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/?model={model}")
        page.get_by_test_id("photo-panel").wait_for()
        cdp = page.context.new_cdp_session(page)
        upload = page.get_by_test_id("image-upload")
        for i in range(1, photos + 1):
            count = page.evaluate("Number(document.body.dataset.renders || 0)")
            upload.set_input_files(
                {"name": f"noise{i}.jpg", "mimeType": "image/jpeg", "buffer": files[i % 4]}
            )
            page.wait_for_function(f"() => Number(document.body.dataset.renders || 0) > {count}")
            if i == 5 or i % every == 0:
                cdp.send("HeapProfiler.collectGarbage")
                heap = cdp.send("Runtime.getHeapUsage")["usedSize"] / 2**20
                nodes = page.evaluate("document.getElementsByTagName('*').length")
                rows.append((i, heap, nodes))
        browser.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", help="a running server (default: start one)")
    ap.add_argument("--model", default="cifar10-lenet", help="a colour model's id")
    ap.add_argument("--photos", type=int, default=50)
    ap.add_argument("--every", type=int, default=10)
    args = ap.parse_args()
    with server(args.url) as url:
        rows = measure(url, args.model, args.photos, args.every)
    print(f"photos through the file picker on /?model={args.model} ({url}):")
    for i, heap, nodes in rows:
        print(f"  after {i:3d} photos: JS heap {heap:6.2f} MB after GC, {nodes} DOM elements")
    print(f"  growth from photo 5 to {rows[-1][0]}: {rows[-1][1] - rows[0][1]:+.2f} MB")
    print(f"  load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
