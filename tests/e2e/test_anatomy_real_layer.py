"""The anatomy page's real layer in a real browser: M·x + b is the feature map the model
computes, for the drawing and for a gallery digit. Screenshots go to ``artifacts/e2e/``."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def diff_of(text: str) -> float:
    return float(re.search(r"max \|difference\| over all [\d,]+ outputs = ([-\d.e]+)", text)[1])


def test_real_layer_shows_matrix_times_input_is_the_feature_map(anatomy, artifacts):
    page = anatomy
    check = page.get_by_test_id("matrix-check")
    expect(check).to_have_class(re.compile(r"\bis-ok\b"))
    expect(check).to_contain_text("✓")
    expect(check).to_contain_text("M × input + b = feature map")
    assert diff_of(check.text_content()) < 1e-4
    real = page.get_by_test_id("real-layer")
    expect(real.get_by_test_id("real-matrix").locator("canvas")).to_be_visible()
    expect(real.get_by_test_id("real-feature-map").locator("canvas")).to_be_visible()
    real.screenshot(path=str(artifacts / "anatomy-real-layer-conv1.png"))

    # the second conv layer: its input is the drawing after conv1, ReLU and pooling
    conv2 = real.get_by_test_id("real-layer-select").locator("option").nth(1).get_attribute("value")
    real.get_by_test_id("real-layer-select").select_option(conv2)
    expect(real.locator(".real-title")).to_contain_text(f"layer {conv2} (conv2)")
    expect(check).to_contain_text("✓")
    assert diff_of(check.text_content()) < 1e-4
    real.get_by_test_id("real-filter").select_option("2")
    expect(real.locator(".real-title")).to_contain_text("filter 2")
    expect(check).to_contain_text("✓")

    # choosing an output writes out its equation
    readout = real.get_by_test_id("real-feature-map").locator(".readout")
    real.get_by_test_id("real-feature-map").locator("canvas").click(position={"x": 3, "y": 3})
    expect(readout).to_contain_text("y[0, 0] =")
    expect(real.get_by_test_id("real-equation").locator(".eq-head")).to_contain_text("y[0, 0]")
    real.screenshot(path=str(artifacts / "anatomy-real-layer-conv2.png"))


def test_real_layer_follows_the_drawing_and_the_gallery(anatomy):
    page = anatomy
    real = page.get_by_test_id("real-layer")
    check = page.get_by_test_id("matrix-check")
    expect(check).to_contain_text("✓")
    real.get_by_role("button", name="Clear").click()
    expect(check).to_contain_text("✓")  # a blank drawing is valid: the map is the bias
    box = real.get_by_test_id("real-draw").bounding_box()
    page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.2 * box["height"])
    page.mouse.down()
    for t in range(1, 13):
        page.mouse.move(
            box["x"] + 0.5 * box["width"], box["y"] + (0.2 + 0.6 * t / 12) * box["height"]
        )
    page.mouse.up()
    expect(real.get_by_role("button", name="Undo")).to_be_enabled()
    expect(check).to_contain_text("✓")
    gallery = real.get_by_test_id("real-gallery").locator("button")
    if gallery.count():
        gallery.nth(1).click()
        expect(check).to_contain_text("✓")
