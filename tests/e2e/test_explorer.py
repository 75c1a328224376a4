"""The explorer page in a real browser: draw, predict, every layer, undo/clear, keyboard,
the gallery, receptive fields, the inspector, phone width and touch."""

from __future__ import annotations

import json
import re
from itertools import pairwise

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import wait_until

pytestmark = pytest.mark.e2e

# Strokes in pad coordinates (0..1), shaped like the digits.
SEVEN = [[(0.25, 0.2), (0.75, 0.2), (0.6, 0.5), (0.45, 0.85)]]
ONE = [[(0.5, 0.15), (0.5, 0.85)]]
DASH = [[(0.3, 0.5), (0.7, 0.5)]]
STEPS = 12  # pointer moves per straight segment


def along(path):
    """The points of a polyline, ``STEPS`` per segment, after the first."""
    for (x0, y0), (x1, y1) in pairwise(path):
        for t in range(1, STEPS + 1):
            yield x0 + (x1 - x0) * t / STEPS, y0 + (y1 - y0) * t / STEPS


def draw(page, strokes) -> None:
    """Draw ``strokes`` on the pad with the mouse: down, moves along each path, up."""
    pad = page.get_by_test_id("draw-canvas")
    pad.scroll_into_view_if_needed()  # as a person would: the pad must be on screen
    box = pad.bounding_box()

    def at(p):
        return box["x"] + p[0] * box["width"], box["y"] + p[1] * box["height"]

    for path in strokes:
        page.mouse.move(*at(path[0]))
        page.mouse.down()
        for p in along(path):
            page.mouse.move(*at(p))
        page.mouse.up()


def ink(page) -> int:
    """How many pixels of the drawing pad hold ink."""
    return page.get_by_test_id("draw-canvas").evaluate(
        """c => {
            const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
            return n;
        }"""
    )


def renders(page) -> int:
    return int(page.evaluate("Number(document.body.dataset.renders || 0)"))


def wait_for_render_after(page, count: int) -> None:
    wait_until(page, f"Number(document.body.dataset.renders || 0) > {count}")


def model_detail(server) -> dict:
    models = server.get_json("/api/models")
    return server.get_json(f"/api/models/{models['default'] or models['models'][0]['id']}")


def open_explorer(page, server) -> dict:
    model = model_detail(server)
    page.goto(server.url + "/")
    expect(page.get_by_test_id(f"layer-{len(model['layers']) - 1}")).to_be_attached()
    expect(page.locator('[data-testid="gallery"] .digit').first).to_be_visible()
    return model


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
    other = next(m for m in models if m["id"] != select.input_value())
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
