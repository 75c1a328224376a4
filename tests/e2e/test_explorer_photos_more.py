"""The explorer's photo input at phone width, its memory over many photos, and on an
ImageNet-size colour model (224×224, centre crop, a thousand classes) with the bundled photos."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import expect

from app.core.settings import REPO_ROOT
from bench.photo_memory import noise_jpeg  # the memory benchmark's photos, half a MB each
from engine.model import Model
from tests.e2e.helpers import open_page, post_json, rendered_by, serve

pytestmark = pytest.mark.e2e

COLOUR = "cifar10-lenet"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}  # fmt: skip
IMAGENET = {"channels": "rgb", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
            "resize": {"mode": "center-crop", "size": 256}}  # fmt: skip
# A small random-weight CNN the size of an ImageNet model's input and output.
NET = [
    {"type": "conv2d", "config": {"out_channels": 8, "kernel_size": 7, "stride": 4, "padding": 3}},
    {"type": "relu"},
    {"type": "maxpool2d", "config": {"kernel_size": 2}},
    {"type": "conv2d", "config": {"out_channels": 16, "kernel_size": 3, "stride": 2}},
    {"type": "relu"},
    {"type": "globalavgpool"},
    {"type": "flatten"},
    {"type": "dense", "config": {"out_features": 1000}},
]


def open_colour(page, url: str, model: str, samples: int) -> None:
    page.goto(f"{url}/?model={model}")
    expect(page.get_by_test_id("photo-panel")).to_be_visible()
    expect(page.get_by_test_id("sample-images").locator(".sample")).to_have_count(samples)


def test_phone_width(browser, server, request, artifacts):
    if COLOUR not in {m["id"] for m in server.get_json("/api/models")["models"]}:
        pytest.skip(f"{COLOUR} is not installed")
    for page, _ in open_page(browser, server, request, **PHONE):
        open_colour(page, server.url, COLOUR, 20)
        sample = page.get_by_test_id("sample-images").locator(".sample").nth(12)
        rendered_by(page, sample.tap)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width} px wide at a 390 px window"
        for testid in ("photo-panel", "image-upload", "webcam", "sample-images"):
            box = page.get_by_test_id(testid).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, testid
        page.screenshot(path=str(artifacts / "photos-phone-panel.png"))
        page.get_by_test_id("network-input").scroll_into_view_if_needed()
        expect(page.get_by_test_id("network-input")).to_be_in_viewport()
        expect(page.get_by_test_id("top-classes").locator("li")).to_have_count(5)
        page.screenshot(path=str(artifacts / "photos-phone-input.png"))


def test_many_photos_keep_the_memory_bounded(desktop, server):
    """Only the latest photo is kept: after 10 more photos of half a megabyte each, the page's
    heap (after garbage collection) and its DOM are as after the first few. (50 photos, and
    the numbers: bench/photo_memory.py.)"""
    page, _ = desktop
    if COLOUR not in {m["id"] for m in server.get_json("/api/models")["models"]}:
        pytest.skip(f"{COLOUR} is not installed")
    open_colour(page, server.url, COLOUR, 20)
    cdp = page.context.new_cdp_session(page)
    photos = [noise_jpeg(seed) for seed in (1, 2)]
    upload = page.get_by_test_id("image-upload")

    def run(n: int) -> tuple[float, int]:
        for i in range(n):
            raw = photos[i % 2]
            rendered_by(page, lambda r=raw: upload.set_input_files(
                {"name": "noise.jpg", "mimeType": "image/jpeg", "buffer": r}))  # fmt: skip
        cdp.send("HeapProfiler.collectGarbage")
        heap = cdp.send("Runtime.getHeapUsage")["usedSize"] / 2**20
        return heap, page.evaluate("document.getElementsByTagName('*').length")

    heap0, nodes0 = run(4)
    heap1, nodes1 = run(10)
    assert len(photos[0]) > 300_000  # a data URL kept per photo would be 10 × 0.5 MB
    assert heap1 - heap0 < 2, f"the heap grew {heap1 - heap0:.1f} MB over 10 more photos"
    assert nodes1 == nodes0


@pytest.fixture(scope="module")
def imagenet_server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("e2e-imagenet-models")
    classes = [f"class {k}" for k in range(1000)]
    meta = {"input": IMAGENET, "dataset": "imagenet"}
    name = "Tiny ImageNet-size CNN"
    model = Model.from_spec(NET, (3, 224, 224), seed=0, classes=classes, name=name, meta=meta)
    model.save(directory / "tiny-imagenet.npz")
    log = tmp_path_factory.mktemp("e2e-imagenet-server") / "server.log"
    yield from serve(directory, False, log)


def test_an_imagenet_size_model_gets_the_photos_and_the_top_five(
    browser, imagenet_server, request, artifacts
):
    server = imagenet_server
    for page, _ in open_page(browser, server, request, viewport={"width": 1280, "height": 900}):
        open_colour(page, server.url, "tiny-imagenet", 12)
        credits = page.get_by_test_id("sample-credits")
        expect(credits).to_contain_text("Chelsea the cat — Stefan van der Walt (CC0 1.0)")
        cat = page.get_by_test_id("sample-images").locator('.sample[data-file="cat.jpg"]')
        rendered_by(page, cat.click)
        caption = page.locator(".input-card .caption")
        expect(caption).to_contain_text("shorter side scaled to 256 pixels, then its central 224")
        channels = page.get_by_test_id("network-input").locator(".colour-channels canvas")
        assert [c.evaluate("c => [c.width, c.height]") for c in channels.all()] == [[224, 224]] * 3
        # a thousand classes: the five most probable, as the API ranks them, and not every bar
        raw = (REPO_ROOT / "static" / "samples" / "photos" / "cat.jpg").read_bytes()
        image = "data:image/jpeg;base64," + base64.b64encode(raw).decode()
        answer = post_json(server, "/api/models/tiny-imagenet/predict", {"image": image})
        expect(page.get_by_test_id("probabilities")).to_be_hidden()
        rows = page.get_by_test_id("top-classes").locator("li")
        expect(rows).to_have_count(5)
        shown = [r.locator(".prob-label").inner_text() for r in rows.all()]
        assert shown == [t["label"] for t in answer["top"]]
        page.screenshot(path=str(artifacts / "photos-imagenet-size.png"), full_page=False)
