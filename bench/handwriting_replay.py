"""Real pen handwriting replayed as pointer strokes on the explorer's drawing pad, in Chromium.

    python bench/handwriting_replay.py                         # 400 digits, held-out writers
    python bench/handwriting_replay.py --digits 200 --model mnist-cnn-v1
    python bench/handwriting_replay.py --compare 10            # + the NumPy renderer vs the page
    python bench/handwriting_replay.py --offline models/mnist-cnn.npz   # no browser: NumPy only

Digits come from ../shared/datasets/pendigits/ (UNIPEN pen-tablet strokes; the ``.COMMENT``
line of each digit gives its writer, 1 to 30). Only the ``--writers`` given (default 23-30,
which the shipped model's recipe does not train on) are replayed. Each digit is scaled so its
longer side is a random 35-85 % of the pad, put at a random place on it (seeded), and drawn
stroke by stroke with the mouse; after its last stroke the bench waits for the page's
``explorer:stroke-to-render`` measure of that stroke and reads ``data-testid="prediction"``.

``--compare N`` also renders the first N digits with :mod:`engine.pendigits` (the pad's brush
in NumPy, then the server's preprocessing) and prints the mean absolute difference from the PNG
the page sent and from the 28×28 the server computed from it. ``--offline MODEL`` evaluates a
saved model on those NumPy renderings instead of the page: the same digits, far faster.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import pendigits  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "pendigits" / "pendigits-train"
if not DEFAULT_DATA.is_file():  # a worktree one level further down
    DEFAULT_DATA = ROOT.parents[1] / "shared" / "datasets" / "pendigits" / "pendigits-train"
SIZE = (0.35, 0.85)  # default: the digit's longer side, as a fraction of the pad


def sample(path: Path, writers: set[int], n: int, seed: int, size=SIZE):
    """``n`` digits of ``writers`` drawn at random (seeded), each placed on the pad with its
    longer side a random fraction ``size`` of it → ``[(label, pad strokes)]``."""
    digits = [d for d in pendigits.load(path) if d.writer in writers]
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(digits), size=min(n, len(digits)), replace=False)
    return [(digits[i].label, pendigits.place(digits[i].strokes, rng, size=size)) for i in pick]


def replay(page, box, strokes) -> None:
    """Draw ``strokes`` (pad coordinates) with the mouse; waits for the last stroke's render."""
    x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
    for k, points in enumerate(strokes):
        if k == len(strokes) - 1:
            t0 = page.evaluate("() => performance.now()")
        page.mouse.move(x0 + w * points[0][0], y0 + h * points[0][1])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x0 + w * x, y0 + h * y)
        page.mouse.up()
    page.wait_for_function(
        "(t0) => performance.getEntriesByName('explorer:stroke-to-render')"
        ".some((e) => e.startTime > t0)",
        arg=t0,
    )


def png_alpha(data_url: str) -> np.ndarray:
    """The alpha channel of a PNG data URL, ``(H, W)`` float32 in [0, 1]."""
    from PIL import Image

    raw = base64.b64decode(data_url.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGBA"))[..., 3] / np.float32(255)


def run_page(url: str, digits, model: str | None, compare: int):
    """Replay ``digits`` on the explorer → predicted labels, and the renderer's differences
    (PNG alpha, 28×28) for the first ``compare`` digits."""
    from playwright.sync_api import sync_playwright

    from bench.stroke_roundtrip import open_explorer

    bodies: list[str] = []
    preds, diffs = [], []
    with sync_playwright() as p:
        browser, page, pad = open_explorer(p, url, model)
        page.on(
            "request",
            lambda r: bodies.append(r.post_data) if "/activations" in r.url else None,
        )
        page.get_by_test_id("prediction").wait_for(state="attached")
        for i, (_, strokes) in enumerate(digits):
            clear = page.get_by_test_id("clear")
            if clear.is_enabled():
                clear.click()
            bodies.clear()
            replay(page, pad.bounding_box(), strokes)
            preds.append(page.get_by_test_id("prediction").text_content().strip())
            if (i + 1) % 50 == 0:
                print(f"  {i + 1}/{len(digits)} digits replayed", file=sys.stderr, flush=True)
            if i < compare:
                page_alpha = png_alpha(json.loads(bodies[-1])["image"])
                mine = pendigits.render(strokes, side=page_alpha.shape[0])
                diffs.append(
                    (
                        float(np.abs(page_alpha - mine).mean()),
                        float(
                            np.abs(
                                pendigits.to_network_input(page_alpha)
                                - pendigits.to_network_input(mine)
                            ).mean()
                        ),
                    )
                )
        browser.close()
    return preds, diffs


def run_offline(model_path: str, digits, brush: float):
    from engine.model import Model

    model = Model.load(model_path)
    x = np.stack([pendigits.to_network_input(pendigits.render(s, brush=brush)) for _, s in digits])
    logits = model.forward(x[:, None], stop=model.logits_stop)  # (N, 1, 28, 28) -> (N, 10)
    return [model.classes[i] for i in logits.argmax(axis=1)]


def report(digits, preds, where: str) -> None:
    truth = [str(label) for label, _ in digits]
    right = sum(t == p for t, p in zip(truth, preds, strict=True))
    print(f"{where}: {right}/{len(truth)} right = {right / len(truth):.2%}")
    wrong = Counter(f"{t} read as {p}" for t, p in zip(truth, preds, strict=True) if t != p)
    if wrong:
        common = ", ".join(f"{k} ({n})" for k, n in wrong.most_common(8))
        print(f"  most common confusions: {common}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="a UNIPEN pendigits file")
    ap.add_argument("--writers", default="23-30", help="writers to replay, e.g. 23-30")
    ap.add_argument("--digits", type=int, default=400, help="how many digits")
    ap.add_argument("--seed", type=int, default=0, help="which digits, sizes and places")
    ap.add_argument("--url", help="a running server (default: start one)")
    ap.add_argument("--model", help="model id to open (default: the server's default model)")
    ap.add_argument("--compare", type=int, default=0, help="check the renderer on N digits")
    ap.add_argument("--offline", metavar="MODEL_NPZ", help="NumPy renderings, no browser")
    ap.add_argument(
        "--size", default="0.35,0.85", help="the digit's longer side, fraction of the pad: lo,hi"
    )
    ap.add_argument(
        "--brush",
        type=float,
        default=pendigits.PAD_BRUSH,
        help="--offline only: brush diameter / pad side (the page's: 24/280)",
    )
    args = ap.parse_args()
    writers = pendigits.writers_from(args.writers)
    size = tuple(float(v) for v in args.size.split(","))
    digits = sample(args.data, writers, args.digits, args.seed, size)
    what = f"{len(digits)} digits by writers {args.writers} (seed {args.seed}, size {args.size})"
    if args.offline:
        where = f"{args.offline}, NumPy, brush {args.brush * 280:.0f}/280"
        report(digits, run_offline(args.offline, digits, args.brush), f"{where}, {what}")
        return
    from bench.stroke_roundtrip import server

    with server(args.url) as url:
        preds, diffs = run_page(url, digits, args.model, args.compare)
    report(digits, preds, f"replayed in Chromium ({args.model or 'default model'}), {what}")
    if diffs:
        png, net = np.mean(diffs, axis=0)
        print(
            f"  renderer vs page on {len(diffs)} digits: mean |diff| {png:.4f} on the PNG's alpha,"
            f" {net:.4f} on the 28×28 network input (ink in [0, 1])"
        )
    print(f"  load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
