"""The explorer page's panels in a real browser: a gallery digit as input (and from a link),
a unit's receptive field, every conv filter, the model picker, API errors shown in the page."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import DASH, ONE, SEVEN, draw, ink, open_explorer

pytestmark = pytest.mark.e2e


def test_gallery_digit_loads_as_input_and_shows_its_true_label(desktop, server, artifacts):
    page, _ = desktop
    open_explorer(page, server)
    digit = page.locator('[data-testid="gallery"] .digit').first
    label = digit.get_attribute("data-label")
    digit.click()
    expect(digit).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("true-label-value")).to_have_text(label)
    prediction = page.get_by_test_id("prediction")
    if server.trained:
        expect(prediction).to_have_text(label)
        expect(page.locator(".verdict.ok")).to_be_visible()
    else:
        expect(prediction).not_to_have_text("")
    assert ink(page) > 0  # the digit is shown in the pad
    page.screenshot(path=str(artifacts / "desktop-gallery.png"))
    # Drawing over it makes it the person's drawing: the true label no longer applies.
    draw(page, DASH)
    expect(page.get_by_test_id("true-label")).to_be_hidden()
    expect(digit).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Backspace")  # undo the dash: the exact digit again
    expect(page.get_by_test_id("true-label")).to_be_visible()


def test_a_link_opens_a_gallery_digit(desktop, server):
    """``/?gallery=<index>`` — how the Evaluate page opens a test digit in the explorer."""
    page, _ = desktop
    index = 30  # on the second page of the gallery
    item = server.get_json(f"/api/gallery?count=1&offset={index}")["items"][0]
    page.goto(f"{server.url}/?gallery={index}")
    expect(page.get_by_test_id("true-label-value")).to_have_text(item["label"])
    expect(page.get_by_test_id("true-label")).to_contain_text(f"#{index}")
    digit = page.locator(f'[data-testid="gallery"] .digit[data-index="{index}"]')
    expect(digit).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("prediction")).not_to_have_text("")
    page.get_by_test_id("clear").click()
    expect(page).not_to_have_url(re.compile("gallery="))


def _field(layers, index, row, col):
    """Receptive field of unit (row, col) of layer ``index`` in the network input (Python)."""
    rows, cols = [row, row], [col, col]
    for layer in reversed(layers[: index + 1]):
        if layer["type"] == "relu":
            continue
        c = layer["config"]
        (kh, kw), (sh, sw), (ph, pw) = c["kernel_size"], c["stride"], c["padding"]
        dh, dw = c.get("dilation", [1, 1])
        _, H, W = layer["input_shape"]
        rows = [max(0, rows[0] * sh - ph), min(H - 1, rows[1] * sh - ph + dh * (kh - 1))]
        cols = [max(0, cols[0] * sw - pw), min(W - 1, cols[1] * sw - pw + dw * (kw - 1))]
    return rows, cols


def test_hovering_a_unit_outlines_its_receptive_field(desktop, server, artifacts):
    page, _ = desktop
    model = open_explorer(page, server)
    draw(page, SEVEN)
    expect(page.get_by_test_id("prediction")).not_to_have_text("")
    # The last (C, H, W) layer before flattening: the widest receptive fields.
    layer = [i for i in model["layers"] if len(i["output_shape"]) == 3][-1]
    _, H, W = layer["output_shape"]
    canvas = page.get_by_test_id(f"layer-{layer['index']}").locator(".map canvas").nth(1)
    box = canvas.bounding_box()
    row, col = H // 2, W // 3
    # Playwright's hover scrolls the map on screen and waits until a hit at that point lands
    # on it: for a frame after scrolling, Chromium still hit-tests a section it was skipping
    # while the person drew (.skip-offscreen) as a whole, and one bare mouse move there is lost.
    canvas.hover(
        position={"x": (col + 0.5) * box["width"] / W, "y": (row + 0.5) * box["height"] / H}
    )
    (r0, r1), (c0, c1) = _field(model["layers"], layer["index"], row, col)
    expect(page.locator("#rf-caption")).to_have_text(
        f"Receptive field: rows {r0}–{r1}, columns {c0}–{c1} ({r1 - r0 + 1} × {c1 - c0 + 1} pixels)"
    )
    outline = page.locator(".layers-aside .rf-box")
    expect(outline).to_be_visible()
    frame = page.locator(".layers-aside .input-frame canvas").bounding_box()
    got = outline.bounding_box()
    px = frame["width"] / 28
    assert abs(got["width"] - (c1 - c0 + 1) * px) < 1.5
    assert abs(got["x"] - (frame["x"] + c0 * px)) < 1.5
    expect(page.get_by_test_id(f"layer-{layer['index']}").locator(".readout")).to_contain_text(
        f"unit ({row}, {col}) = "
    )
    page.screenshot(path=str(artifacts / "desktop-receptive-field.png"))
    page.mouse.move(5, 5)
    expect(outline).to_be_hidden()


def test_filters_section_shows_every_conv_filter(desktop, server):
    page, _ = desktop
    model = open_explorer(page, server)
    for layer in model["layers"]:
        if layer["type"] != "conv2d":
            continue
        block = page.get_by_test_id(f"filters-{layer['index']}")
        c = layer["config"]
        expect(block.locator(".filter")).to_have_count(c["out_channels"])
        expect(block.locator(".filter").first.locator("canvas")).to_have_count(c["in_channels"])
        expect(block.get_by_test_id("legend")).to_contain_text("weight min")


def test_model_picker(desktop, server):
    page, _ = desktop
    models = server.get_json("/api/models")["models"]
    open_explorer(page, server)
    select = page.get_by_test_id("model-select")
    expect(select.locator("option")).to_have_count(len(models))
    if len(models) == 1:
        expect(select).to_be_disabled()
        return
    expect(select).to_be_enabled()
    # another digit model (a colour model has photo input instead of the pad: test_explorer_photos)
    grey = [m for m in models if m["input"]["channels"] == "gray"]
    other = next(m for m in grey if m["id"] != select.input_value())
    select.select_option(other["id"])
    detail = server.get_json(f"/api/models/{other['id']}")
    n = len(detail["layers"])
    expect(page.get_by_test_id(f"layer-{n - 1}")).to_be_attached()
    expect(page.get_by_test_id(f"layer-{n}")).to_have_count(0)
    draw(page, SEVEN)
    expect(page.get_by_test_id("prediction")).not_to_have_text("")
    expect(page).to_have_url(re.compile(f"model={re.escape(other['id'])}"))


def test_api_errors_are_shown_in_the_page(desktop, server):
    page, watch = desktop
    watch.expect_error("422")
    page.route(
        "**/activations*",  # JSON or ?format=float32 (what the page asks for)
        lambda route: route.fulfill(
            status=422,
            content_type="application/json",
            body=json.dumps({"detail": "image: larger than max_image_bytes (2097152)"}),
        ),
    )
    open_explorer(page, server)
    draw(page, ONE)
    expect(page.get_by_test_id("error")).to_have_text(
        "image: larger than max_image_bytes (2097152)"
    )
