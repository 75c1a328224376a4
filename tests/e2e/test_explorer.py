"""The explorer page in a real browser: draw, predict, every layer, undo/clear, keyboard and
the inspector, phone width and touch. (The gallery, receptive fields, filters, the model picker
and API errors: ``test_explorer_panels.py``.)"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    DASH,
    ONE,
    SEVEN,
    along,
    draw,
    ink,
    open_explorer,
    renders,
    wait_for_render_after,
    wait_until,
)

pytestmark = pytest.mark.e2e


def test_drawing_a_seven_shows_prediction_input_and_every_layer(desktop, server, artifacts):
    page, _ = desktop
    model = open_explorer(page, server)
    expect(page.get_by_test_id("prediction")).to_have_text("")

    draw(page, SEVEN)

    labels = "|".join(re.escape(c) for c in model["classes"])
    expect(page.get_by_test_id("prediction")).to_have_text(re.compile(f"^({labels})$"))
    probabilities = page.get_by_test_id("probabilities").locator("li")
    expect(probabilities).to_have_count(len(model["classes"]))
    expect(probabilities.first).to_contain_text("%")
    # Each bar is as long, in its track, as the probability printed beside it (once its
    # transition has run: the predicate is retried until then).
    wait_until(
        page,
        r"""[...document.querySelectorAll('[data-testid="probabilities"] li')].every(li => {
            const shown = parseFloat(li.querySelector('.prob-value').textContent.match(/[\d.]+/));
            const fill = li.querySelector('.prob-fill').getBoundingClientRect().width;
            const track = li.querySelector('.prob-track').getBoundingClientRect().width;
            return Math.abs(fill / track - shown / 100) < 0.006;
        })""",
    )
    # The network input is painted from the API's 28×28 `input`, with ink in it.
    network_input = page.get_by_test_id("network-input")
    expect(network_input).to_be_visible()
    dark = network_input.evaluate(
        """c => {
            const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4) if (d[i] < 128) n++;
            return [c.width, c.height, n];
        }"""
    )
    assert dark[:2] == [28, 28] and dark[2] > 20
    # One block per layer with its summary, and one map per channel for the (C, H, W) ones;
    # a block is painted when it comes near the viewport (so scroll to each).
    for layer in model["layers"]:
        block = page.get_by_test_id(f"layer-{layer['index']}")
        block.scroll_into_view_if_needed()
        expect(block).to_be_visible()
        expect(block).to_contain_text(layer["name"])
        expect(block).to_contain_text(layer["type"])
        expect(block.get_by_test_id("layer-shape")).to_have_text(
            " × ".join(map(str, layer["output_shape"]))
        )
        expect(block.get_by_test_id("layer-params")).to_have_text(f"{layer['num_params']:,} params")
        expect(block.locator(".layer-body.is-empty")).to_have_count(0)
        if len(layer["output_shape"]) == 3:
            expect(block.locator(".map canvas")).to_have_count(layer["output_shape"][0])
            expect(block.get_by_test_id("legend")).to_contain_text("max")
    # How long from the end of the stroke to the maps on screen (measured by the page).
    wait_until(page, "performance.getEntriesByName('explorer:stroke-to-render').length > 0")
    ms = page.evaluate("performance.getEntriesByName('explorer:stroke-to-render')[0].duration")
    (artifacts / "timing.json").write_text(json.dumps({"stroke_end_to_maps_ms": ms}))
    page.screenshot(path=str(artifacts / "desktop-seven.png"))
    page.screenshot(path=str(artifacts / "desktop-seven-full.png"), full_page=True)


def test_undo_removes_the_last_stroke_and_clear_everything(desktop, server):
    page, _ = desktop
    open_explorer(page, server)
    undo, clear = page.get_by_test_id("undo"), page.get_by_test_id("clear")
    expect(undo).to_be_disabled()
    expect(clear).to_be_disabled()

    draw(page, ONE)
    one = ink(page)
    draw(page, DASH)
    both = ink(page)
    assert both > one > 0
    expect(page.get_by_test_id("prediction")).not_to_have_text("")

    before = renders(page)
    undo.click()
    # Redrawn in one path rather than segment by segment: the same ink up to anti-aliasing.
    assert abs(ink(page) - one) < 0.01 * one
    wait_for_render_after(page, before)  # the prediction follows the undo
    undo.click()
    assert ink(page) == 0
    expect(undo).to_be_disabled()
    expect(page.get_by_test_id("prediction")).to_have_text("")

    draw(page, SEVEN)
    expect(page.get_by_test_id("prediction")).not_to_have_text("")
    clear.click()
    assert ink(page) == 0
    expect(page.get_by_test_id("prediction")).to_have_text("")
    expect(clear).to_be_disabled()


def test_keyboard_shortcuts_undo_and_clear(desktop, server):
    page, _ = desktop
    open_explorer(page, server)
    draw(page, ONE)
    draw(page, DASH)
    one_and_dash = ink(page)
    page.keyboard.press("Backspace")
    assert 0 < ink(page) < one_and_dash
    page.keyboard.press("Control+z")
    assert ink(page) == 0

    draw(page, SEVEN)
    page.keyboard.press("c")
    assert ink(page) == 0
    draw(page, SEVEN)
    page.keyboard.press("Delete")
    assert ink(page) == 0
    expect(page.get_by_test_id("prediction")).to_have_text("")


def test_keyboard_reaches_the_controls_and_opens_the_inspector(desktop, server, artifacts):
    page, _ = desktop
    model = open_explorer(page, server)
    draw(page, SEVEN)
    expect(page.get_by_test_id("prediction")).not_to_have_text("")
    # Tab from the pad lands on the undo button, with a visible focus ring.
    page.get_by_test_id("draw-canvas").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("undo")).to_be_focused()
    outline = page.get_by_test_id("undo").evaluate("b => getComputedStyle(b).outlineStyle")
    assert outline != "none"
    # A map is a button: Enter opens the inspector, arrows move a unit cursor, Esc closes.
    conv = next(i for i in model["layers"] if i["type"] == "conv2d")
    first_map = page.get_by_test_id(f"layer-{conv['index']}").locator(".map").first
    first_map.focus()
    page.keyboard.press("Enter")
    inspector = page.get_by_test_id("inspector")
    expect(inspector).to_be_visible()
    expect(inspector.locator(".kernel")).to_have_count(conv["config"]["in_channels"])
    inspector.locator(".zoom-frame").focus()
    page.keyboard.press("ArrowRight")
    expect(inspector.locator(".zoom .readout")).to_have_text(re.compile(r"^\(\d+, \d+\) = -?\d"))
    page.screenshot(path=str(artifacts / "desktop-inspector.png"))
    page.keyboard.press("Escape")
    expect(inspector).to_have_count(0)
    expect(first_map).to_be_focused()
    # A layer's maps are one tab stop; the arrow keys move between them.
    page.keyboard.press("ArrowRight")
    maps = page.get_by_test_id(f"layer-{conv['index']}").locator(".map")
    expect(maps.nth(1)).to_be_focused()
    assert maps.evaluate_all("ms => ms.filter(m => m.tabIndex === 0).length") == 1


def _touch_stroke(page, cdp, path) -> None:
    box = page.get_by_test_id("draw-canvas").bounding_box()

    def point(p):
        return {"x": box["x"] + p[0] * box["width"], "y": box["y"] + p[1] * box["height"]}

    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [point(path[0])]})
    for p in along(path):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point(p)]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_phone_width_touch_drawing(phone, server, artifacts):
    page, _ = phone
    model = open_explorer(page, server)
    cdp = page.context.new_cdp_session(page)
    scroll_before = page.evaluate("window.scrollY")
    for path in SEVEN:
        _touch_stroke(page, cdp, path)
    expect(page.get_by_test_id("prediction")).not_to_have_text("")
    assert ink(page) > 0
    assert page.evaluate("window.scrollY") == scroll_before  # drawing does not scroll the page
    # Nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    last = model["layers"][-1]["index"]
    expect(page.get_by_test_id(f"layer-{last}")).to_be_attached()
    page.screenshot(path=str(artifacts / "phone-seven.png"))
    page.screenshot(path=str(artifacts / "phone-seven-full.png"), full_page=True)
