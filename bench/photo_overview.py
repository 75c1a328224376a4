"""Photo chosen → the explorer's whole overview drawn, in Chromium against a real server, for a
ResNet-18-shaped network at 224×224 (random weights) and the shipped CIFAR-10 model; and the
page's JavaScript heap over 50 photos.

    TORCH_PYTHON=/path/to/torch/python python bench/photo_overview.py [--photos 50]

1. ``$TORCH_PYTHON bench/torch_resnet18.py`` builds ResNet-18 (random weights) as ONNX.
2. ``python -m app`` on a free port serves a temporary models directory holding a copy of
   ``models/cifar10-lenet.npz``; the ResNet is imported through ``POST /api/models/import``
   with torchvision's ImageNet convention (center-crop 256 → 224), as a user would.
3. For each model, Chromium (1440×900) opens ``/?model=…`` and is given ``--photos`` photos in
   turn (the bundled photos for the ResNet, the CIFAR-10 sample images for the CIFAR model),
   each chosen in the photo panel's file input (``data-testid="image-upload"``); the time runs
   from the input's change to the end of the page's ``explorer:render`` (every view drawn from
   the answer; the overview asks for what it draws: the folded blocks and a page of each wide
   layer's channels). One warm-up photo is not counted.
4. After photos 1, 10, 25 and 50 the heap is measured through CDP (``HeapProfiler
   .collectGarbage`` then ``Runtime.getHeapUsage``): no growth means nothing is kept per photo.
The machine and its load average are printed with the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_engine import cpu_name  # noqa: E402
from bench.bench_resnet18 import IMAGENET, build_onnx  # noqa: E402
from bench.stroke_roundtrip import CHROMIUM_ARGS, server  # noqa: E402

PHOTOS = sorted((ROOT / "static" / "samples" / "photos").glob("*.jpg"))
CIFAR = sorted((ROOT / "static" / "samples" / "cifar10").glob("*.jpg"))
HEAP_AT = (1, 10, 25, 50)
# the photo chosen (the upload's change), and the page's explorer:render: its start and length
SPANS = """() => {
  const r = performance.getEntriesByName('explorer:render').at(-1);
  return [performance.getEntriesByName('bench:photo')[0].startTime, r.startTime, r.duration];
}"""


def p90(times: list[float]) -> float:
    times = sorted(times)
    return times[min(len(times) - 1, int(0.9 * len(times)))]


def heap_mb(cdp) -> float:
    cdp.send("HeapProfiler.collectGarbage")
    return cdp.send("Runtime.getHeapUsage")["usedSize"] / 1e6


def photo_times(browser, url: str, model: str, photos: list[Path], n: int):
    """``n`` photos (cycling through ``photos``) on the explorer of ``model`` → (ms per photo,
    (photo read, sent, answered and decoded; the server's time; every view drawn) ms per photo,
    {photo number: heap MB})."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    cdp = page.context.new_cdp_session(page)
    page.goto(f"{url}/?model={model}")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=network-overview] [data-layer]')"
    )
    page.wait_for_function("() => document.querySelector('[data-testid=model-select]')?.value")
    times, parts, heap, server = [], [], {}, []

    def timed(response):  # the server's own time for the photo's activations (Server-Timing)
        if "/activations" in response.url and "server-timing" in response.headers:
            server.append(float(response.headers["server-timing"].split("dur=")[1]))

    page.on("response", timed)
    upload = page.get_by_test_id("image-upload")
    upload.evaluate("u => u.addEventListener('change', () => performance.mark('bench:photo'))")
    for i in range(n + 1):  # photo 0 warms up
        page.evaluate("() => { performance.clearMarks(); performance.clearMeasures(); }")
        before = page.evaluate("() => Number(document.body.dataset.renders || 0)")
        upload.set_input_files(str(photos[i % len(photos)]))
        page.wait_for_function(
            f"() => Number(document.body.dataset.renders || 0) > {before}", timeout=60_000
        )
        chosen, start, render = page.evaluate(SPANS)
        if i:
            times.append(start + render - chosen)
            parts.append((start - chosen, server[-1], render))
        if i in HEAP_AT:
            heap[i] = heap_mb(cdp)
    page.close()
    return times, parts, heap


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=int, default=50)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, {cpu_name()}; load average at start {os.getloadavg()}")
    work = Path(tempfile.mkdtemp(prefix="photo-overview-"))
    models = work / "models"
    models.mkdir()
    shutil.copy(ROOT / "models" / "cifar10-lenet.npz", models)
    onnx_path, _ = build_onnx(work, repeat=1)
    env = {"CNN_EXPLORER_MODELS_DIR": str(models), "CNN_EXPLORER_TRAINING_MODE": "none"}
    try:
        with server(None, env) as url:
            with onnx_path.open("rb") as f:
                files = {"weights": ("resnet18.onnx", f, "application/octet-stream")}
                form = {"name": "resnet18-224", "input": json.dumps(IMAGENET)}
                r = httpx.post(url + "/api/models/import", data=form, files=files, timeout=120)
            assert r.status_code == 201, r.text
            resnet = r.json()["id"]
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                for label, model, photos in (
                    ("ResNet-18 shape, 224×224, random weights", resnet, PHOTOS),
                    ("cifar10-lenet, 32×32", "cifar10-lenet", CIFAR),
                ):
                    times, parts, heap = photo_times(browser, url, model, photos, args.photos)
                    print(
                        f"{label}: photo chosen -> whole overview drawn, {len(times)} photos: "
                        f"p50 {statistics.median(times):.1f} ms, p90 {p90(times):.1f} ms, "
                        f"max {max(times):.1f} ms"
                    )
                    request, app, render = (statistics.median(x) for x in zip(*parts, strict=True))
                    print(
                        f"  of which p50: photo read, sent, answered and decoded {request:.1f} ms "
                        f"(the server's own time {app:.1f} ms), drawing every view {render:.1f} ms"
                    )
                    print(
                        "  JS heap after a GC, MB: "
                        + ", ".join(f"photo {k}: {v:.2f}" for k, v in heap.items())
                    )
                browser.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
