"""The whole network at once, in a real browser: every layer visible at 1440×900, pointing at
a unit shows what it reads, a conv unit's anatomy carries the number `activations` gives, the
page and the PNGs share one palette, phone width, keyboard only."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from app.core import render
from tests.e2e.helpers import (
    SEVEN,
    activation,
    draw,
    open_explorer,
    open_page,
    overview_point,
    point_at,
    post,
    serve,
    wait_until,
)

pytestmark = pytest.mark.e2e


def convs(model) -> list[dict]:
    return [ly for ly in model["layers"] if ly["type"] == "conv2d"]


def drawn(page, server) -> dict:
    model = open_explorer(page, server)
    draw(page, SEVEN)
    wait_until(page, "Number(document.body.dataset.renders || 0) > 0")
    return model


def test_the_overview_shows_every_layer_and_fits_1440x900(wide, server, artifacts):
    page, _ = wide
    model = drawn(page, server)
    overview = page.get_by_test_id("network-overview")
    expect(overview).to_be_visible()
    for index in range(-1, len(model["layers"])):
        expect(overview.locator(f'[data-layer="{index}"]')).to_be_visible()
    expect(overview.get_by_test_id("overview-legend")).to_have_count(len(model["layers"]))
    box = overview.bounding_box()
    assert page.evaluate("() => window.scrollY") == 0
    if server.trained:  # the shipped model's whole overview is on the first screen
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1440
        assert box["y"] >= 0 and box["y"] + box["height"] <= 900
        fits = overview.locator(".ov-scroll").evaluate("e => e.scrollWidth <= e.clientWidth")
        assert fits, "the overview needs a sideways scroll at 1440×900"
    page.screenshot(path=str(artifacts / "overview-1440.png"))


def test_pointing_into_conv2_shows_a_window_in_every_input_channel(wide, server, artifacts):
    page, _ = wide
    model = drawn(page, server)
    conv2 = convs(model)[1]
    answer = point_at(page, conv2["index"])
    conn = answer.json()
    edges = page.get_by_test_id("overview-edges")
    expect(edges).to_be_visible()
    windows = edges.locator("[data-window]")
    expect(windows).to_have_count(conv2["config"]["in_channels"])  # 16 for the shipped model
    if server.trained:
        assert conv2["config"]["in_channels"] == 16
    sent = answer.request.post_data_json
    expected = activation(server, model, sent, conv2["index"], conn["unit"])
    assert conn["value"] == pytest.approx(expected, abs=1e-4)
    assert conn["reads"][0]["sum"] == pytest.approx(expected, abs=1e-4)
    expect(page.get_by_test_id("overview-detail").locator(".ov-share")).to_have_count(
        conv2["config"]["in_channels"]
    )
    page.screenshot(path=str(artifacts / "overview-conv2-edges.png"))
    # a dense unit: its strongest weights, with their signs
    dense = next(ly for ly in model["layers"] if ly["type"] == "dense")
    read = point_at(page, dense["index"], 0.5, 0.3).json()["reads"][0]
    assert read["kind"] == "dense"
    signs = {w["weight"] > 0 for w in read["strongest"]}
    detail = page.get_by_test_id("overview-detail")
    expect(detail.locator(".ov-weights li")).to_have_count(len(read["strongest"]))
    assert detail.locator(".ov-weights .is-positive").count() == sum(
        w["weight"] >= 0 for w in read["strongest"]
    )
    assert signs  # at least one sign shown
    page.mouse.move(5, 5)
    expect(edges).to_be_hidden()


def test_clicking_a_conv_unit_opens_its_anatomy_with_the_activations_number(
    wide, server, artifacts
):
    page, _ = wide
    model = drawn(page, server)
    conv2 = convs(model)[1]
    answer = point_at(page, conv2["index"], 0.6, 0.45)
    conn = answer.json()
    unit = overview_point(page, conv2["index"], 0.6, 0.45)
    with page.expect_response(lambda r: "/anatomy" in r.url):
        page.mouse.click(*unit)
    panel = page.get_by_test_id("unit-anatomy")
    expect(panel).to_be_visible()
    total = panel.get_by_test_id("unit-anatomy-sum")
    expect(total).to_be_visible()
    sent = answer.request.post_data_json
    expected = activation(server, model, sent, conv2["index"], conn["unit"])
    assert float(total.text_content()) == pytest.approx(expected, rel=1e-4, abs=1e-4)
    assert float(panel.get_by_test_id("equation-sum").text_content()) == pytest.approx(
        expected, rel=1e-4, abs=1e-4
    )
    f, i, j = conn["unit"]
    expect(panel.locator(".ov-share")).to_have_count(conv2["config"]["in_channels"])
    expect(panel.locator(".eq-term")).to_have_count(conv2["config"]["in_channels"] * 25)
    href = panel.get_by_test_id("unit-anatomy-link").get_attribute("href")
    assert f"layer={conv2['index']}" in href and f"filter={f}" in href
    assert f"output={i}%2C{j}" in href
    page.screenshot(path=str(artifacts / "overview-unit-anatomy.png"))
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    # the link opens the same unit, on the same network input, on the full anatomy page
    page.mouse.click(*unit)
    with page.expect_navigation():
        panel.get_by_test_id("unit-anatomy-link").click()
    real = page.get_by_test_id("real-layer")
    expect(real.get_by_test_id("real-layer-select")).to_have_value(str(conv2["index"]))
    expect(real.get_by_test_id("real-filter")).to_have_value(str(f))
    real_sum = real.get_by_test_id("real-equation").get_by_test_id("equation-sum")
    expect(real_sum).to_be_visible()
    expect(real.get_by_test_id("real-equation")).to_contain_text(f"y[{i}, {j}]")
    # the overview hands over the 28×28 network input (4 decimals): the same number, nearly
    assert float(real_sum.text_content()) == pytest.approx(expected, rel=1e-3, abs=1e-3)


def test_the_page_and_the_png_colour_a_layer_identically(wide, server):
    page, _ = wide
    model = open_explorer(page, server)
    conv1 = convs(model)[0]
    with page.expect_request(lambda r: "/activations" in r.url) as sent:
        page.goto(server.url + "/?gallery=0")  # a test digit: one request, exact pixels
    wait_until(page, "Number(document.body.dataset.renders || 0) > 0")
    body = sent.value.post_data_json
    png = post(server, f"/api/models/{model['id']}/layers/{conv1['index']}/feature-maps.png", body)
    tiles = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    C, H, W = conv1["output_shape"]
    atlas = (
        page.get_by_test_id("network-overview")
        .locator(f'[data-layer="{conv1["index"]}"] canvas')
        .evaluate(
            "c => [c.width, c.height, Array.from(c.getContext('2d').getImageData(0, 0, c.width, "
            "c.height).data)]"
        )
    )
    width, height, data = atlas
    atlas = np.asarray(data, dtype=np.uint8).reshape(height, width, 4)[..., :3]
    # render.grid_png's layout: tiles enlarged s times, ncols a row, a label line above each
    s = max(1, min(32, 64 // max(H, W)))
    ncols = min(C, max(1, math.ceil(math.sqrt(C))), 16)
    pitch_x, pitch_y = W * s + 6, H * s + render.LINE + 6
    top = render.MARGIN + render.LINE + 4 + render.LINE
    colours = set()
    for c in range(C):
        row, col = divmod(c, ncols)
        y, x = top + row * pitch_y, render.MARGIN + col * pitch_x
        png_tile = tiles[y : y + H * s : s, x : x + W * s : s]
        # the overview's atlas: maps in sub-columns of 16, 1 px apart
        ay, ax = (c % 16) * (H + 1), (c // 16) * (W + 1)
        np.testing.assert_array_equal(atlas[ay : ay + H, ax : ax + W], png_tile, f"channel {c}")
        colours |= {tuple(p) for p in png_tile.reshape(-1, 3).tolist()}
    assert len(colours) > 50  # real maps, not blank ones
    # weight colours: the anatomy views' weightColour(k) is the weight-matrix PNG's colour k
    colours = page.evaluate(
        "() => import('/static/js/shared/anatomy/weights.js').then(m => "
        "Array.from({ length: 64 }, (_, k) => m.weightColour(k)))"
    )
    assert colours == [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in render.kernel_colours(64).tolist()]


def test_keyboard_only(wide, server, artifacts):
    page, _ = wide
    model = open_explorer(page, server)
    page.goto(server.url + "/?gallery=0")  # a test digit as the input, without a pointer
    wait_until(page, "Number(document.body.dataset.renders || 0) > 0")
    conv2 = convs(model)[1]
    node = page.get_by_test_id("network-overview").locator(
        f'.ov-node[data-layer="{conv2["index"]}"]'
    )
    for _ in range(60):  # Tab until the conv2 column has focus
        page.keyboard.press("Tab")
        if node.evaluate("n => n === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the conv2 column of the overview")
    with page.expect_response(lambda r: "/connections" in r.url) as first:
        page.keyboard.press("ArrowDown")
    assert first.value.json()["unit"][0] == 0
    edges = page.get_by_test_id("overview-edges")
    expect(edges.locator("[data-window]")).to_have_count(conv2["config"]["in_channels"])
    with page.expect_response(lambda r: "/connections" in r.url) as moved:
        page.keyboard.press("Shift+ArrowDown")  # the next channel
    assert moved.value.json()["unit"][0] == 1
    with page.expect_response(lambda r: "/anatomy" in r.url):
        page.keyboard.press("Enter")
    expect(page.get_by_test_id("unit-anatomy")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("unit-anatomy")).to_be_hidden()
    assert node.evaluate("n => n === document.activeElement")  # focus back where it was
    page.screenshot(path=str(artifacts / "overview-keyboard.png"))


def test_phone_width_scrolls_the_overview_sideways_not_the_page(phone, server, artifacts):
    page, _ = phone
    model = drawn(page, server)
    overview = page.get_by_test_id("network-overview")
    overview.scroll_into_view_if_needed()
    scroller = overview.locator(".ov-scroll")
    assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")  # it scrolls sideways...
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    conv2 = convs(model)[1]
    canvas = page.get_by_test_id("network-overview").locator(
        f'[data-layer="{conv2["index"]}"] canvas'
    )
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    with page.expect_response(lambda r: "/connections" in r.url):
        page.touchscreen.tap(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    expect(page.get_by_test_id("overview-edges")).to_be_visible()
    page.screenshot(path=str(artifacts / "overview-phone.png"))


# A residual block of 64 channels: the overview's widest layers and a skip connection.
CONV64 = {"out_channels": 64, "kernel_size": 3, "padding": 1}
WIDE_RESIDUAL = [
    {"type": "conv2d", "name": "stem", "config": CONV64},
    {"type": "relu", "name": "stem_relu"},
    {"type": "conv2d", "name": "c1", "config": CONV64},
    {"type": "add", "name": "skip", "inputs": ["c1", "stem_relu"]},
    {"type": "relu", "name": "block_out"},
    {"type": "maxpool2d", "name": "pool", "config": {"kernel_size": 4}},
    {"type": "flatten", "name": "flatten"},
    {"type": "dense", "name": "fc", "config": {"out_features": 10}},
    {"type": "softmax", "name": "softmax"},
]  # fmt: skip


@pytest.fixture(scope="module")
def graph_server(tmp_path_factory):
    from engine.model import Model

    directory = tmp_path_factory.mktemp("e2e-graph-models")
    model = Model.from_spec(WIDE_RESIDUAL, seed=0, name="Wide residual")
    model.save(directory / "wide-residual.npz")
    log = tmp_path_factory.mktemp("e2e-graph-server") / "server.log"
    yield from serve(directory, False, log)


def test_a_graph_model_with_64_channels_shows_its_skip_connection(
    browser, graph_server, request, artifacts
):
    for page, _ in open_page(
        browser, graph_server, request, viewport={"width": 1440, "height": 900}
    ):
        page.goto(graph_server.url + "/?gallery=0")
        wait_until(page, "Number(document.body.dataset.renders || 0) > 0")
        overview = page.get_by_test_id("network-overview")
        model = graph_server.get_json("/api/models/wide-residual")
        names = [ly["name"] for ly in model["layers"]]
        for index in range(-1, len(names)):
            expect(overview.locator(f'[data-layer="{index}"]')).to_be_visible()
        stem = overview.locator(f'[data-layer="{names.index("stem")}"] canvas')
        assert stem.evaluate("c => c.width") == 4 * 28 + 3  # 64 maps: 4 sub-columns of 16
        skip_links = overview.locator(".ov-link.is-skip")
        expect(skip_links).to_have_count(1)  # stem_relu → skip, one arc over c1
        assert skip_links.get_attribute("data-from") == str(names.index("stem_relu"))
        # the add reads both branches: two sources joined to the unit
        answer = point_at(page, names.index("skip"), 0.4, 0.3)
        reads = answer.json()["reads"]
        assert [r["layer"] for r in reads] == [names.index("c1"), names.index("stem_relu")]
        expect(page.get_by_test_id("overview-edges").locator(".ov-source")).to_have_count(2)
        expect(page.get_by_test_id("overview-detail")).to_contain_text("add of c1")
        # a unit of the 64-channel conv reads its window in all 64 channels of the layer before
        point_at(page, names.index("c1"), 0.3, 0.3)
        expect(page.get_by_test_id("overview-edges").locator("[data-window]")).to_have_count(64)
        page.screenshot(path=str(artifacts / "overview-graph-64.png"))
