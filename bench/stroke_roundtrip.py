"""End of a stroke → every layer's maps redrawn, measured in Chromium against a real server.

    python bench/stroke_roundtrip.py              # starts python -m app on a free port
    python bench/stroke_roundtrip.py --url http://127.0.0.1:8000 --strokes 30
    python bench/stroke_roundtrip.py --model my-model   # opens /?model=my-model

The explorer marks ``explorer:stroke-to-render`` with ``performance.measure`` from the
pointerup that ends a stroke to the animation frame after the maps are drawn from the
``/activations`` answer; this draws digits with the mouse and reads those measures.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A 7, a 1 and a 4 as polylines in the pad's unit square.
STROKES = [
    [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)],
    [(0.5, 0.15), (0.5, 0.85)],
    [(0.55, 0.15), (0.25, 0.6), (0.75, 0.6)],
]


@contextmanager
def server(url: str | None, env: dict[str, str] | None = None, root: Path = ROOT):
    """``url`` if given, else a ``python -m app`` started on a free port (with ``env`` added)
    from checkout ``root`` (another checkout: before/after in the same conditions)."""
    if url:
        yield url
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "CNN_EXPLORER_PORT": str(port),
        "CNN_EXPLORER_LOG_LEVEL": "warning",
        **(env or {}),
    }
    proc = subprocess.Popen([sys.executable, "-m", "app"], cwd=root, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/api/health", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def open_explorer(p, url: str, model: str | None = None):
    """Headless Chromium (1280×900) on the explorer of ``model`` (default: the server's), its
    pad drawn → ``(browser, page, pad)``."""
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url + (f"/?model={model}" if model else "/"))
    pad = page.get_by_test_id("draw-canvas")
    pad.wait_for()
    return browser, page, pad


def stroke(page, box, points, steps=12):
    x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x0 + w * points[0][0], y0 + h * points[0][1])
    page.mouse.down()
    for (ax, ay), (bx, by) in zip(points, points[1:], strict=False):
        for t in range(1, steps + 1):
            f = t / steps
            page.mouse.move(x0 + w * (ax + (bx - ax) * f), y0 + h * (ay + (by - ay) * f))
    page.mouse.up()


PARTS = ("stroke-to-request", "request", "render")  # the explorer's own measures of a stroke


def stroke_times(
    url: str, strokes: int, model: str | None = None, parts: dict | None = None
) -> list[float]:
    """Draw ``strokes`` digits on the explorer of ``model`` (default: the server's) → ms, sorted.

    ``parts``, if given, gets each of :data:`PARTS` (``explorer:<part>`` measures, 0 where the
    page has none) for every stroke."""
    with sync_playwright() as p:
        browser, page, pad = open_explorer(p, url, model)
        times = []
        for i in range(strokes):
            for name in PARTS:
                page.evaluate(f"() => performance.clearMeasures('explorer:{name}')")
            clear = page.get_by_test_id("clear")
            if clear.is_enabled():  # disabled while the pad is empty
                clear.click()
            page.evaluate("() => performance.clearMeasures('explorer:stroke-to-render')")
            stroke(page, pad.bounding_box(), STROKES[i % len(STROKES)])
            page.wait_for_function(
                "() => performance.getEntriesByName('explorer:stroke-to-render').length > 0"
            )
            times.append(
                page.evaluate(
                    "() => performance.getEntriesByName('explorer:stroke-to-render')[0].duration"
                )
            )
            for name in PARTS if parts is not None else ():
                parts.setdefault(name, []).append(
                    page.evaluate(
                        f"() => performance.getEntriesByName('explorer:{name}').at(-1)?.duration"
                        " ?? 0"
                    )
                )
        browser.close()
    return sorted(times)


def report(times: list[float], url: str, model: str | None = None) -> float:
    """Print the round-trip figures; returns the p90 (ms)."""
    p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
    which = f" (model {model})" if model else ""
    print(f"stroke end -> maps redrawn, {len(times)} strokes in Chromium against {url}{which}:")
    print(
        f"  p50 {statistics.median(times):.1f} ms   p90 {p90:.1f} ms   "
        f"min {times[0]:.1f} ms   max {times[-1]:.1f} ms"
    )
    return p90


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", help="a running server (default: start one)")
    ap.add_argument("--strokes", type=int, default=30, help="strokes to measure")
    ap.add_argument("--model", help="model id to open (default: the server's default model)")
    ap.add_argument(
        "--root", type=Path, default=ROOT, help="checkout whose app to start (before/after)"
    )
    args = ap.parse_args()
    parts: dict[str, list[float]] = {}
    with server(args.url, root=args.root) as url:
        times = stroke_times(url, args.strokes, args.model, parts)
    report(times, url, args.model)
    med = {name: statistics.median(v) for name, v in parts.items()}
    print(
        f"  of which: stroke end to request sent p50 {med['stroke-to-request']:.1f} ms, request "
        f"answered and decoded p50 {med['request']:.1f} ms, drawing every view "
        f"(explorer:render) p50 {med['render']:.1f} ms"
    )
    print(f"  load average {os.getloadavg()[0]:.1f} at the end; server from {args.root}")


if __name__ == "__main__":
    main()
