"""The teaching views in a real browser: convolution vs cross-correlation and lines → square on
the anatomy page; the flattened digit, translation and backprop on the explorer. Every number
checked here is the one the API gives for the same input."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import open_anatomy, post_json, wait_until

SEED_LABEL = re.compile(r"seed\s*\d{3}", re.IGNORECASE)


def unstick(page) -> None:
    page.evaluate("() => { document.querySelector('.site-header').style.position = 'static'; }")


# -- anatomy: flip and square -----------------------------------------------------------------


def test_flip_view_shows_both_operations_on_the_playground_numbers(anatomy, server, artifacts):
    page = anatomy
    page.locator('#conv-presets [data-preset="two-dot-products"]').click()
    flip = page.get_by_test_id("flip-view")
    conv = post_json(
        server,
        "/api/conv",
        {
            "input": [[4, 5, 1, 2], [9, 2, 7, 2], [3, 8, 6, 1], [0, 4, 2, 5]],
            "kernel": [[1, -5], [-3, 7]],
            "stride": 2,
            "mode": "convolution",
        },
    )
    expect(flip.locator('[data-mode="cross-correlation"]')).to_contain_text("-34")
    expect(flip.locator('[data-mode="convolution"]')).to_contain_text(f"{conv['output'][0][0]:g}")
    flipped = flip.locator('[data-mode="convolution"] .t-numbers').first
    expect(flipped).to_have_text(re.compile(r"7\s*-3\s*-5\s*1"))  # [[1, -5], [-3, 7]] turned
    expect(flip.get_by_test_id("flip-relation")).to_have_text(conv["relation"])
    flip.scroll_into_view_if_needed()
    flip.screenshot(path=str(artifacts / "teach-flip.png"))


def test_square_detector_finds_only_the_square_and_follows_its_weights(anatomy, artifacts):
    page = anatomy
    view = page.get_by_test_id("square-detector")
    found = view.get_by_test_id("square-found")
    expect(found).to_contain_text("Square found")
    for shape in ("rectangle", "triangle", "L", "line"):
        view.locator(f'[data-shape="{shape}"]').click()
        expect(found).to_contain_text("No square")
        expect(view.locator('[data-layer="corners"] canvas')).to_have_count(4)
    view.locator('[data-shape="square"]').click()
    expect(found).to_contain_text("Square found")
    view.locator("summary").click()
    bias = view.get_by_label("square filter 0 bias")
    bias.fill("-5")  # now four corners are not enough
    expect(found).to_contain_text("No square")
    bias.fill("-3")
    expect(found).to_contain_text("Square found")
    pad = view.get_by_test_id("square-pad")  # erase the top-left corner pixel: no square
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    cell = box["width"] / 14
    page.mouse.click(box["x"] + 3.5 * cell, box["y"] + 3.5 * cell)
    expect(found).to_contain_text("No square")
    view.scroll_into_view_if_needed()
    view.screenshot(path=str(artifacts / "teach-square.png"))


def test_presets_are_named_and_cite_their_sources_with_no_seed_numbers(desktop, server):
    page, watch = desktop
    watch.expect_error(r"net::ERR_ABORTED")  # leaving a page while it still loads
    open_anatomy(page, server)
    chip = page.locator('#conv-presets [data-preset="filter-2x2-on-3x3"]')
    expect(chip).to_have_text("2×2 filter on a 3×3 image")
    assert "Kleinsmith" in chip.get_attribute("title")
    expect(page.locator("#conv-preset-description")).to_contain_text("Matthew Kleinsmith")
    page.locator('#conv-presets [data-preset="1x1-across-channels"]').click()
    expect(page.locator("#conv-preset-description cite")).to_contain_text("Mukul Rathi")
    for path in ("/anatomy", "/", "/color"):
        page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
        text = page.locator("body").inner_text()
        titles = " ".join(page.eval_on_selector_all("[title]", "els => els.map(e => e.title)"))
        assert not SEED_LABEL.search(text + titles), path


# -- explorer: flatten, shift, backprop --------------------------------------------------------


def open_digit(page, server) -> None:
    """The explorer with the gallery's first test digit as its input."""
    page.goto(server.url + "/")
    unstick(page)
    page.get_by_test_id("gallery").locator("button").first.click()
    expect(page.get_by_test_id("prediction")).not_to_have_text("")


def test_a_section_scrolled_to_catches_up_with_the_drawing(desktop, server, trained):
    """Sections off screen are not computed on every stroke; scrolling to one brings it up
    to date with the latest drawing at once."""
    page, _ = desktop
    open_digit(page, server)
    view = page.get_by_test_id("shift-view")
    with page.expect_request(lambda r: r.url.endswith("/shift"), timeout=30_000):
        view.scroll_into_view_if_needed()


def network_input(server) -> list:
    item = server.get_json("/api/gallery?count=1&offset=0")["items"][0]
    return post_json(
        server, "/api/models/mnist-cnn/predict", {"pixels": item["pixels"], "preprocess": False}
    )["input"]


def on_the_digit(server, view: str, **fields) -> dict:
    """What ``POST /api/models/mnist-cnn/<view>`` answers for the gallery's first digit, as the
    page sends it (its network input), with the view's ``fields``."""
    body = {"pixels": network_input(server), "preprocess": False, **fields}
    return post_json(server, f"/api/models/mnist-cnn/{view}", body)


def open_section(desktop, server, testid: str):
    """``(page, section)``: the explorer on the gallery's first digit, scrolled to a teaching
    section (a section follows the drawing while it is on screen)."""
    page, _ = desktop
    open_digit(page, server)
    view = page.get_by_test_id(testid)
    view.scroll_into_view_if_needed()
    return page, view


@pytest.fixture
def trained(server):
    if not server.trained:
        pytest.skip("needs the shipped models (mnist-cnn and mnist-mlp)")


def test_flatten_view_measures_both_networks(desktop, server, artifacts, trained):
    page, view = open_section(desktop, server, "flatten-view")
    table = view.get_by_test_id("flatten-table")
    expect(table).to_be_visible(timeout=120_000)
    dense = server.get_json("/api/models/mnist-mlp/permutation-test")
    cnn = server.get_json("/api/models/mnist-cnn/permutation-test")
    assert dense["twin_same_predictions"] == dense["images"] and cnn["scrambled_accuracy"] < 0.3
    expect(table.locator('[data-network="dense"]')).to_contain_text("101,770")
    expect(table.locator('[data-network="cnn"]')).to_contain_text("215,370")
    expect(view.get_by_test_id("scrambled-cnn")).to_have_text(
        f"{cnn['scrambled_accuracy'] * 100:.1f}%"
    )
    expect(view.get_by_test_id("flatten-predictions")).to_contain_text("MNIST dense")
    expect(view.locator(".flat-strip")).to_have_count(2)
    view.scroll_into_view_if_needed()
    view.screenshot(path=str(artifacts / "teach-flatten.png"))


def test_shift_view_moves_the_maps_and_plots_confidence(desktop, server, artifacts, trained):
    page, view = open_section(desktop, server, "shift-view")
    expect(view.get_by_test_id("equivariance-0")).to_contain_text("1", timeout=60_000)
    view.locator('[data-control="dx"]').fill("3")
    expect(view.get_by_test_id("shift-readout")).to_contain_text("dx 3")
    want = on_the_digit(server, "shift", dx=3)
    pool1 = next(e for e in want["layers"] if e["name"] == "pool1")
    assert pool1["shift_in_map"] == [0.0, 1.5]
    expect(view.locator('[data-layer="2"]')).to_contain_text("1.5 right, 0 down")
    pad = view.get_by_test_id("shift-input")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(
        box["x"] + box["width"] / 2 - 5 * box["width"] / 28, box["y"] + box["height"] / 2, steps=5
    )
    page.mouse.up()
    expect(view.locator('[data-control="dx"]')).to_have_value("-2")
    wait_until(page, "document.querySelector('[data-testid=\"shift-chart\"]').width > 0")
    expect(view.locator(".t-legend")).to_contain_text("MNIST dense")
    view.scroll_into_view_if_needed()
    view.screenshot(path=str(artifacts / "teach-shift.png"))


def test_backprop_view_shows_every_layer_and_one_step(desktop, server, artifacts, trained):
    page, view = open_section(desktop, server, "backprop-view")
    view.locator('[data-target="3"]').click()
    loss = view.get_by_test_id("backprop-loss")
    want = on_the_digit(server, "backprop", target=3, learning_rate=0.001)
    expect(loss).to_contain_text("p[3] = ", timeout=60_000)  # the loss for target 3
    # shown to 4 significant digits; compared as a number, since a value near a rounding
    # boundary (12.855) may round either way for the page's float32 input and the test's
    shown = float(re.search(r"p\[3\] = ([0-9.]+)", loss.text_content()).group(1))
    assert shown == pytest.approx(want["loss"], rel=1e-3)
    expect(view.locator(".bp-layer")).to_have_count(len(want["layers"]) + 1)
    expect(view.locator('[data-type="maxpool2d"]').first).to_contain_text("Max-pool routing")
    expect(view.get_by_test_id("backprop-probabilities")).to_contain_text("after one step")
    view.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "teach-backprop.png"))
