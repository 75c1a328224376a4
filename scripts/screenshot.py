"""Take the README's screenshot: the explorer with a drawn 7, in headless Chromium.

    python scripts/screenshot.py                     # writes docs/screenshot.png
    python scripts/screenshot.py --out /tmp/x.png --width 1280 --height 900

Starts ``python -m app`` on a free loopback port (the shipped model), draws a 7 on the pad with
the mouse as a person would, waits for the prediction and the feature maps, and saves a PNG of
the viewport, quantised to a palette so it stays small (the README wants it under 300 KB).
Needs Debian's Chromium (``/usr/bin/chromium``) and Playwright (the test extras).
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
SEVEN = [(0.25, 0.2), (0.75, 0.2), (0.6, 0.5), (0.45, 0.85)]
MAX_BYTES = 300 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the server exited")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)  # polling interval, bounded by the deadline
    raise SystemExit(f"no answer from {url}")


def draw(page, path, steps: int = 12) -> None:
    pad = page.get_by_test_id("draw-canvas")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()

    def at(p):
        return box["x"] + p[0] * box["width"], box["y"] + p[1] * box["height"]

    page.mouse.move(*at(path[0]))
    page.mouse.down()
    for (x0, y0), (x1, y1) in zip(path, path[1:], strict=False):
        for t in range(1, steps + 1):
            page.mouse.move(*at((x0 + (x1 - x0) * t / steps, y0 + (y1 - y0) * t / steps)))
    page.mouse.up()


def small_png(png: bytes, colours: int = 128) -> bytes:
    """``png`` quantised to a palette of ``colours``: a screenshot of flat UI shrinks ~4x."""
    img = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    img.quantize(colours, method=Image.Quantize.MEDIANCUT).save(out, format="PNG", optimize=True)
    return out.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "screenshot.png")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=860)
    args = ap.parse_args()

    port = free_port()
    env = {**os.environ, "CNN_EXPLORER_PORT": str(port), "CNN_EXPLORER_LOG_LEVEL": "warning"}
    proc = subprocess.Popen([sys.executable, "-m", "app"], cwd=REPO, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(url + "/api/health", proc)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.goto(url + "/")
            draw(page, SEVEN)
            page.get_by_test_id("prediction").filter(has_text="7").wait_for(timeout=30_000)
            page.get_by_test_id("layer-0").wait_for(timeout=30_000)
            page.wait_for_timeout(500)  # the last feature maps paint
            page.evaluate("window.scrollTo(0, 0)")
            png = small_png(page.screenshot())
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(png)
    print(f"{args.out}: {len(png):,} bytes")
    return 0 if len(png) <= MAX_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
