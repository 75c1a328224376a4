"""The explanation views in a real browser: the "why did it say 7?" panel and the kernel
editor on the explorer, the filters page, the colour page. Screenshots go to artifacts/e2e/."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.helpers import DASH, PAINTED, SEVEN, draw, open_explorer, wait_until

pytestmark = pytest.mark.e2e

SLOW_MS = 180_000  # the first top-activations request classifies the 10,000 test digits


def explain_renders(page) -> int:
    return int(page.evaluate("Number(document.body.dataset.explainRenders || 0)"))


def wait_explained(page, count: int, method: str) -> None:
    wait_until(
        page,
        f"Number(document.body.dataset.explainRenders || 0) > {count} && "
        f"document.getElementById('explain').dataset.shown === '{method}'",
    )


def test_explain_panel_follows_the_drawing_and_the_chosen_class(desktop, server, artifacts):
    page, _ = desktop
    model = open_explorer(page, server)
    panel = page.get_by_test_id("explain-panel")
    expect(panel).to_contain_text("Draw a digit")

    draw(page, SEVEN)
    panel.scroll_into_view_if_needed()  # the panel follows the drawing while it is on screen
    wait_explained(page, 0, "saliency")
    predicted = page.get_by_test_id("prediction").inner_text()
    expect(page.get_by_test_id("explain-label")).to_have_text(predicted)
    expect(page.get_by_test_id("explain-caption")).to_contain_text(f"class {predicted}")
    canvas = page.get_by_test_id("explain-map")
    painted = canvas.evaluate(PAINTED)
    assert painted["width"] == painted["height"] == 28 and painted["coloured"] > 5

    for method, words in [
        ("gradcam", "Grad-CAM"),
        ("occlusion", "patch"),
        ("integrated-gradients", "sum to"),
    ]:
        count = explain_renders(page)
        page.get_by_test_id("explain-method").locator(f'[data-method="{method}"]').click()
        wait_explained(page, count, method)
        expect(page.get_by_test_id("explain-caption")).to_contain_text(words)
        page.get_by_test_id("explain-panel").screenshot(
            path=str(artifacts / f"explain-{method}.png")
        )

    # Any class, not only the predicted one.
    other = next(i for i, c in enumerate(model["classes"]) if c != predicted)
    count = explain_renders(page)
    page.get_by_test_id("explain-target").select_option(str(other))
    wait_until(
        page,
        f"Number(document.body.dataset.explainRenders || 0) > {count} && "
        f"document.getElementById('explain').dataset.target === '{other}'",
    )
    expect(page.get_by_test_id("explain-caption")).to_contain_text(
        f"class {model['classes'][other]}"
    )

    # Drawing more updates the map (throttled: one request at a time, the latest wins).
    count = explain_renders(page)
    draw(page, DASH)  # the pad scrolled into view; the panel catches up when scrolled back
    panel.scroll_into_view_if_needed()
    wait_until(page, f"Number(document.body.dataset.explainRenders || 0) > {count}")
    page.get_by_test_id("explain-panel").screenshot(path=str(artifacts / "explain-panel.png"))

    page.get_by_test_id("clear").click()
    panel.scroll_into_view_if_needed()
    expect(page.get_by_test_id("explain-caption")).to_contain_text("Draw a digit")


def test_the_panel_asks_nothing_while_off_screen_and_catches_up_when_scrolled_to(desktop, server):
    page, _ = desktop
    open_explorer(page, server)
    panel = page.get_by_test_id("explain-panel")
    asked = []
    page.on("request", lambda r: "/explain/" in r.url and asked.append(r.url))
    draw(page, SEVEN)  # the pad on screen, the panel below it
    wait_until(page, "performance.getEntriesByName('explorer:stroke-to-render').length > 0")
    assert panel.bounding_box()["y"] > page.viewport_size["height"] + 200
    assert asked == []
    with page.expect_request(lambda r: r.url.endswith("/explain/saliency")):
        panel.scroll_into_view_if_needed()
    wait_explained(page, 0, "saliency")


def test_kernel_editor_applies_presets_and_typed_weights(desktop, server, artifacts):
    page, _ = desktop
    open_explorer(page, server)
    editor = page.get_by_test_id("kernel-editor")
    expect(editor.get_by_test_id("kernel-preset")).to_have_count(6)
    draw(page, SEVEN)
    editor.scroll_into_view_if_needed()  # it follows the drawing while on screen
    wait_until(page, "Number(document.getElementById('kernel-editor').dataset.shown || 0) >= 1")
    output = page.get_by_test_id("kernel-output")
    assert output.evaluate(PAINTED)["coloured"] > 10  # the vertical-edge map of the 7

    shown = int(editor.get_attribute("data-shown"))
    editor.locator('[data-name="horizontal-edge"]').click()
    wait_until(page, f"Number(document.getElementById('kernel-editor').dataset.shown) > {shown}")
    expect(editor.locator('[data-name="horizontal-edge"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(editor.get_by_test_id("kernel-cell").first).to_have_value("1")

    shown = int(editor.get_attribute("data-shown"))
    editor.get_by_test_id("kernel-cell").nth(4).fill("5")
    wait_until(page, f"Number(document.getElementById('kernel-editor').dataset.shown) > {shown}")
    expect(editor.locator('[aria-pressed="true"]')).to_have_count(0)  # now the person's own kernel
    expect(editor.get_by_test_id("kernel-formula")).to_contain_text("28")
    editor.screenshot(path=str(artifacts / "kernel-editor.png"))


def test_filters_page_shows_weights_best_inputs_and_top_digits(desktop, server, artifacts):
    page, _ = desktop
    model = server.get_json(f"/api/models/{server.get_json('/api/models')['default']}")
    convs = [layer for layer in model["layers"] if layer["type"] == "conv2d"]
    page.goto(server.url + "/filters")
    cards = page.get_by_test_id("filter-card")
    expect(cards).to_have_count(convs[0]["output_shape"][0])
    wait_until(
        page,
        "document.body.dataset.topShown !== undefined"
        " && document.body.dataset.maximiseShown !== undefined",
        timeout=SLOW_MS,
    )
    first = cards.first
    expect(first.get_by_test_id("filter-weights").locator("canvas")).to_have_count(
        convs[0]["config"]["in_channels"]
    )
    expect(first.get_by_test_id("filter-maximise-image")).to_be_visible()
    expect(first.get_by_test_id("filter-top").locator("canvas")).to_have_count(6)
    page.screenshot(path=str(artifacts / "filters-conv1.png"))

    if len(convs) > 1:
        page.get_by_test_id("filters-layer").locator(f'[data-index="{convs[1]["index"]}"]').click()
        expect(cards).to_have_count(convs[1]["output_shape"][0])
        wait_until(
            page,
            f"document.body.dataset.topShown === '{convs[1]['index']}' && "
            f"document.body.dataset.maximiseShown === '{convs[1]['index']}'",
            timeout=SLOW_MS,
        )
        page.screenshot(path=str(artifacts / "filters-conv2.png"))


def test_colour_page_shows_three_channels_and_a_deep_filter(desktop, server, artifacts):
    page, watch = desktop
    page.goto(server.url + "/color")
    wait_until(page, "Number(document.body.dataset.colorRenders || 0) >= 1")
    expect(page.get_by_test_id("color-shape")).to_have_text("3 × 96 × 96")
    # The red disc of the "shapes" sample (centre at about row 28, column 26 of 96): strong in
    # the R channel, dark in G and B.
    pixel = """(c, [r, col]) =>
        Array.from(c.getContext("2d").getImageData(col, r, 1, 1).data.slice(0, 3))"""
    red = page.get_by_test_id("channel-r").evaluate(pixel, [28, 26])
    green = page.get_by_test_id("channel-g").evaluate(pixel, [28, 26])
    blue = page.get_by_test_id("channel-b").evaluate(pixel, [28, 26])
    assert red[0] > 150 and max(green) < 60 and max(blue) < 60, (red, green, blue)
    expect(page.get_by_test_id("color-slice")).to_have_count(3)
    expect(page.get_by_test_id("color-kernel-shape")).to_have_text("3 × 3 × 3")
    expect(page.get_by_test_id("color-explanation")).to_contain_text(
        "depth 3 matches the 3 channels"
    )
    assert page.get_by_test_id("color-output").evaluate(PAINTED)["coloured"] > 50
    page.screenshot(path=str(artifacts / "color-shapes.png"), full_page=True)

    # Another sample and another filter.
    count = int(page.evaluate("Number(document.body.dataset.colorRenders)"))
    page.get_by_test_id("color-sample").nth(2).click()
    page.get_by_test_id("color-preset").select_option("red")
    wait_until(page, f"Number(document.body.dataset.colorRenders) >= {count + 2}")

    # An uploaded photo: any size, shrunk to fit.
    rgb = np.zeros((40, 60, 3), dtype=np.uint8)
    rgb[:, :30, 1] = 255  # green left half
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    count = int(page.evaluate("Number(document.body.dataset.colorRenders)"))
    page.get_by_test_id("color-upload").set_input_files(
        files=[{"name": "halves.png", "mimeType": "image/png", "buffer": buf.getvalue()}]
    )
    wait_until(page, f"Number(document.body.dataset.colorRenders) > {count}")
    expect(page.get_by_test_id("color-shape")).to_have_text("3 × 40 × 60")

    # A filter only one slice deep does not fit a three-channel image: the API says why.
    watch.expect_error("status of 422")
    page.get_by_test_id("depth-demo").click()
    error = page.get_by_test_id("depth-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("depth 1 does not match")
    expect(error).to_contain_text("3 channels")
    page.screenshot(path=str(artifacts / "color-depth.png"), full_page=True)
