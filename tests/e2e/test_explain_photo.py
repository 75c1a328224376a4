"""Explanations on a photo in a real browser: cifar10-lenet's attribution maps over a CIFAR-10
test photo, in the photo's own colours, with an opacity slider (keyboard operable) and a legend
with the map's numbers. At opacity 0 the canvas is the photo itself; a digit model's overlay
keeps its fixed opacity and shows no slider.

The explain section follows the explorer through its ``explorer:result`` event (the interface
between the two, ARCHITECTURE.md); the test hands it the answer the API gives for the photo —
the explorer's own photo input is another panel's (issue 21)."""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import SEVEN, draw, open_explorer, post_json, wait_until

pytestmark = pytest.mark.e2e

PHOTO = 30  # a bird in the shipped sample (15 per class, in class order)

CANVAS = """c => Array.from(c.getContext("2d").getImageData(0, 0, c.width, c.height).data)"""


def explained(page, count: int, method: str) -> None:
    wait_until(
        page,
        f"Number(document.body.dataset.explainRenders || 0) > {count} && "
        f"document.getElementById('explain').dataset.shown === '{method}'",
    )


def renders(page) -> int:
    return int(page.evaluate("Number(document.body.dataset.explainRenders || 0)"))


def rgb(page) -> np.ndarray:
    """The overlay canvas's pixels, (H, W, 3)."""
    canvas = page.get_by_test_id("explain-map")
    size = canvas.evaluate("c => [c.height, c.width]")
    return np.array(canvas.evaluate(CANVAS), dtype=np.int64).reshape(*size, 4)[..., :3]


@pytest.fixture
def photo(desktop, server):
    if not (server.models_dir / "cifar10-lenet.npz").is_file():
        pytest.skip("cifar10-lenet is not served (models/ is not the shipped one)")
    page, _ = desktop
    page.goto(server.url + "/?model=cifar10-lenet")
    model = server.get_json("/api/models/cifar10-lenet")
    item = server.get_json(f"/api/gallery?model=cifar10-lenet&offset={PHOTO}&count=1")["items"][0]
    body = {"pixels": item["pixels"], "preprocess": False}
    answer = post_json(server, "/api/models/cifar10-lenet/predict", body)
    result = {"input": answer["input"], "prediction": answer["prediction"]}
    panel = page.get_by_test_id("explain-panel")
    panel.scroll_into_view_if_needed()  # the section follows results while it is on screen
    page.evaluate(
        "detail => document.dispatchEvent(new CustomEvent('explorer:result', { detail }))",
        {"model": model, "result": result},
    )
    return page, panel, np.asarray(item["pixels"]), server


def test_attributions_are_drawn_over_the_photo_with_an_opacity_and_a_legend(photo, artifacts):
    page, panel, pixels, server = photo
    explained(page, 0, "saliency")
    body = {"pixels": pixels.tolist(), "preprocess": False}
    label = post_json(server, "/api/models/cifar10-lenet/predict", body)["label"]
    expect(page.get_by_test_id("explain-label")).to_have_text(label)
    opacity = page.get_by_test_id("explain-opacity")
    expect(opacity).to_be_visible()
    expect(opacity).to_have_value("70")
    assert rgb(page).shape == (32, 32, 3)

    for method, words in [("gradcam", "Grad-CAM"), ("occlusion", "patch")]:
        n = renders(page)
        page.get_by_test_id("explain-method").locator(f'[data-method="{method}"]').click()
        explained(page, n, method)
        expect(page.get_by_test_id("explain-caption")).to_contain_text(words)
    # the legend states the map's range, as the API gives it
    occlusion = post_json(
        server, "/api/models/cifar10-lenet/explain/occlusion", {**body, "patch": 6, "stride": 2}
    )
    legend = panel.get_by_test_id("legend")
    expect(legend).to_contain_text("occlusion min ")
    shown_max = float(legend.locator("figcaption").inner_text().rsplit("max ", 1)[1])
    assert shown_max == pytest.approx(occlusion["max"], rel=5e-3)  # three significant digits
    panel.screenshot(path=str(artifacts / "explain-photo-occlusion-70.png"))

    # the slider, by keyboard: Home is opacity 0, the photo itself
    opacity.focus()
    page.keyboard.press("Home")
    expect(opacity).to_have_value("0")
    expect(panel.locator(".opacity-value")).to_have_text("0 %")
    shown = rgb(page)
    assert np.abs(shown - np.round(pixels * 255)).max() <= 1  # the photo, in its colours
    panel.screenshot(path=str(artifacts / "explain-photo-occlusion-0.png"))

    # End: full opacity; the map's colour covers the photo where the map is strongest
    page.keyboard.press("End")
    expect(opacity).to_have_value("100")
    covered = rgb(page)
    assert np.abs(covered - shown).max() > 60
    page.keyboard.press("ArrowLeft")  # one step of 5 %
    expect(opacity).to_have_value("95")
    panel.screenshot(path=str(artifacts / "explain-photo-occlusion-95.png"))


def test_a_digit_model_keeps_its_overlay_without_a_slider(desktop, server):
    page, _ = desktop
    open_explorer(page, server)
    draw(page, SEVEN)
    page.get_by_test_id("explain-panel").scroll_into_view_if_needed()
    explained(page, 0, "saliency")
    expect(page.get_by_test_id("explain-opacity")).to_be_hidden()
