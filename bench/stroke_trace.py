"""Where the renderer's main thread goes while a person draws: a devtools.timeline trace of
six strokes on the explorer, summed by event and thread, busiest first.

    python bench/stroke_trace.py                 # the shipped model
    python bench/stroke_trace.py MODELS_DIR ID   # e.g. a directory holding cnn64.npz
    python bench/stroke_trace.py --root DIR      # the page of another checkout (before/after)

Draws one stroke to warm up, then traces six (the pad cleared before each, 300 ms after
each) and prints the 25 largest totals: ``ms  count  event  tid``. ``RunTask`` on the
renderer's main thread is all its work; ``Paint``, ``Layerize``, ``Commit``, ``PrePaint`` and
``Layout`` are the frames'.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stroke_roundtrip import ROOT, STROKES, open_explorer, server, stroke  # noqa: E402

CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models_dir", nargs="?")
    ap.add_argument("model_id", nargs="?")
    ap.add_argument("--root", type=Path, default=ROOT, help="checkout whose app to start")
    args = ap.parse_args()
    env = None
    if args.models_dir:
        env = {"CNN_EXPLORER_MODELS_DIR": args.models_dir}
        if args.model_id:
            env["CNN_EXPLORER_DEFAULT_MODEL"] = args.model_id
    with server(None, env, args.root) as url, sync_playwright() as p:
        browser, page, pad = open_explorer(p, url)
        stroke(page, pad.bounding_box(), STROKES[0])
        page.wait_for_timeout(1000)  # the warm-up stroke's answers drawn
        browser.start_tracing(page=page, categories=CATEGORIES)
        for i in range(6):
            page.get_by_test_id("clear").click()
            stroke(page, pad.bounding_box(), STROKES[i % len(STROKES)])
            page.wait_for_timeout(300)
        events = json.loads(browser.stop_tracing())["traceEvents"]
        browser.close()
    total: collections.Counter = collections.Counter()
    count: collections.Counter = collections.Counter()
    for e in events:
        if e.get("ph") == "X" and "dur" in e:
            key = (e["name"], e.get("tid"))
            total[key] += e["dur"] / 1000
            count[key] += 1
    for (name, tid), ms in total.most_common(25):
        print(f"{ms:9.1f} ms  {count[(name, tid)]:5d}  {name}  tid={tid}")


if __name__ == "__main__":
    main()
