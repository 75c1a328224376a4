"""The overview of deep networks in Chromium: a ResNet-18-shaped (48 layers) and a
MobileNetV2-shaped (100 layers) ONNX model, imported through the API as a user would, their
residual blocks folded into one column each and opened in place, a page of a wide layer's
channels, the keyboard across folds, phone width, and no console errors (issue 21)."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import point_at, serve, wait_until
from tests.onnx_fixtures import FIXTURES

PHOTO = FIXTURES.parents[2] / "static" / "samples" / "cifar10" / "cat_0000.jpg"

pytestmark = pytest.mark.e2e

NETS = {"resnet18-narrow": "resnet18_narrow.onnx", "mobilenetv2-narrow": "mobilenetv2_narrow.onnx"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """This module's server (the conftest's page fixtures open it): the two deep imports."""
    directory = tmp_path_factory.mktemp("e2e-big-models")
    log = tmp_path_factory.mktemp("e2e-big-server") / "server.log"
    for live in serve(directory, False, log):
        for name, file in NETS.items():
            files = {"weights": (file, (FIXTURES / "big" / file).read_bytes())}
            form = {"name": name, "dataset": "cifar10", "input": json.dumps({"channels": "rgb"})}
            r = httpx.post(live.url + "/api/models/import", data=form, files=files, timeout=60)
            assert r.status_code == 201, r.text
        yield live


def explore(page, server, model_id: str) -> dict:
    """The explorer of colour model ``model_id`` with a photo chosen in its upload."""
    page.goto(f"{server.url}/?model={model_id}")
    page.get_by_test_id("image-upload").set_input_files(str(PHOTO))
    wait_until(page, "Number(document.body.dataset.renders || 0) > 0")
    return server.get_json(f"/api/models/{model_id}")


def wait_painted(page, index: int) -> None:
    """Until layer ``index``'s overview canvas holds a drawn pixel."""
    canvas = f"document.querySelector('.ov-node[data-layer=\"{index}\"] canvas')"
    alpha = "getImageData(0, 0, c.width, c.height).data.some((v, i) => i % 4 === 3 && v > 0)"
    wait_until(page, f"(c => c && c.getContext('2d').{alpha})({canvas})")


def test_a_block_folded_then_opened_in_place(wide, server, artifacts):
    page, _ = wide
    model = explore(page, server, "resnet18-narrow")
    overview = page.get_by_test_id("network-overview")
    blocks = model["blocks"]
    assert len(model["layers"]) == 48 and len(blocks) == 8
    # folded: each block is one column, its last layer's output; its inner layers are not drawn
    expect(overview.locator(".ov-node[data-fold]")).to_have_count(8)
    first = blocks[0]
    folded = overview.locator(f'.ov-node[data-layer="{first["last"]}"]')
    expect(folded).to_contain_text("residual block")
    expect(overview.locator(f'[data-layer="{first["first"]}"]')).to_have_count(0)
    page.screenshot(path=str(artifacts / "overview-big-folded.png"))
    # opened in place: its layers appear in a frame, painted from a request for the ones not
    # drawn yet (the last was the folded column)
    with page.expect_response(lambda r: "/activations" in r.url and "layers=" in r.url) as asked:
        folded.get_by_test_id("overview-fold").click()
    inner = "{}-{}".format(first["first"], first["last"] - 1)
    assert f"layers={inner}" in asked.value.url.replace("%2C", ",")
    frame = overview.locator('[data-testid="overview-block"][data-block="0"]')
    expect(frame).to_be_visible()
    for index in range(first["first"], first["last"] + 1):
        expect(frame.locator(f'.ov-node[data-layer="{index}"]')).to_be_visible()
    wait_painted(page, first["first"])
    # the skip connection is an arc from the block's input over the block to its merge
    arc = overview.locator(
        f'.ov-link.is-skip[data-from="{first["input"]}"][data-to="{first["merge"]}"]'
    )
    expect(arc).to_have_count(1)
    # pointing at the merge shows both its inputs joined to the unit
    answer = point_at(page, first["merge"], 0.4, 0.3)
    assert [r["layer"] for r in answer.json()["reads"]] == [first["merge"] - 1, first["input"]]
    edges = page.get_by_test_id("overview-edges")
    expect(edges).to_be_visible()
    expect(edges.locator(".ov-source")).to_have_count(2)
    page.screenshot(path=str(artifacts / "overview-big-open.png"))
    # folded again: one column, the fold's own button focused
    frame.get_by_test_id("overview-fold").click()
    expect(overview.locator('[data-testid="overview-block"]')).to_have_count(0)
    expect(
        overview.locator(f'.ov-node[data-layer="{first["last"]}"] [data-testid="overview-fold"]')
    ).to_be_focused()


def test_a_wide_layer_pages_through_its_channels(wide, server, artifacts):
    page, _ = wide
    model = explore(page, server, "mobilenetv2-narrow")
    inside = {i for b in model["blocks"] for i in range(b["first"], b["last"] + 1)}
    wide_layer = next(
        ly
        for ly in model["layers"]
        if ly["index"] not in inside and len(ly["output_shape"]) == 3 and ly["output_shape"][0] > 64
    )
    index, total = wide_layer["index"], wide_layer["output_shape"][0]
    node = page.get_by_test_id("network-overview").locator(f'.ov-node[data-layer="{index}"]')
    pager = node.get_by_test_id("overview-channels")
    expect(pager).to_contain_text(f"64 of {total} channels")
    with page.expect_response(lambda r: "/activations" in r.url and "first_channel=64" in r.url):
        pager.get_by_role("button", name="Channels 64").click()
    expect(pager).to_contain_text(f"{total - 64} of {total} channels")
    # channel 64 is painted where the page's first map sits: the top-left canvas pixel
    corner = f"document.querySelector('.ov-node[data-layer=\"{index}\"] canvas')"
    wait_until(page, f"{corner}.getContext('2d').getImageData(0, 0, 1, 1).data[3] > 0")
    node.scroll_into_view_if_needed()
    # the first map drawn on the second page is the engine's channel 64
    width, height = node.locator("canvas").evaluate("c => [c.width, c.height]")
    answer = point_at(page, index, 0.5 / width, 0.5 / height)
    assert answer.json()["unit"][0] == 64
    expect(page.get_by_test_id("overview-edges")).to_be_visible()
    page.screenshot(path=str(artifacts / "overview-big-page.png"))


def test_keyboard_across_folded_blocks(wide, server, artifacts):
    page, _ = wide
    model = explore(page, server, "resnet18-narrow")
    first = model["blocks"][0]
    overview = page.get_by_test_id("network-overview")
    overview.locator(f'.ov-node[data-layer="{first["input"]}"]').focus()
    page.keyboard.press("Tab")  # the folded block's column
    expect(overview.locator(f'.ov-node[data-layer="{first["last"]}"]')).to_be_focused()
    with page.expect_response(lambda r: "/connections" in r.url) as pointed:
        page.keyboard.press("ArrowDown")
    assert pointed.value.json()["index"] == first["last"]
    page.keyboard.press("Tab")  # its button
    page.keyboard.press("Enter")  # opens the block: focus on its first layer
    expect(overview.locator(f'.ov-node[data-layer="{first["first"]}"]')).to_be_focused()
    with page.expect_response(lambda r: "/connections" in r.url) as inner:
        page.keyboard.press("ArrowRight")
    assert inner.value.json()["index"] == first["first"]
    expect(page.get_by_test_id("overview-edges")).to_be_visible()
    page.keyboard.press("Tab")
    expect(overview.locator(f'.ov-node[data-layer="{first["first"] + 1}"]')).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")  # the frame's fold button
    page.keyboard.press("Enter")
    expect(
        overview.locator(f'.ov-node[data-layer="{first["last"]}"] [data-testid="overview-fold"]')
    ).to_be_focused()
    page.keyboard.press("Tab")  # on to the next folded block's column
    expect(overview.locator(f'.ov-node[data-layer="{model["blocks"][1]["last"]}"]')).to_be_focused()
    page.screenshot(path=str(artifacts / "overview-big-keyboard.png"))


def test_phone_width(phone, server, artifacts):
    page, _ = phone
    explore(page, server, "resnet18-narrow")
    overview = page.get_by_test_id("network-overview")
    overview.scroll_into_view_if_needed()
    expect(page.get_by_test_id("overview-more")).to_be_visible()  # swipe for the rest
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # the page stays put
    fold = overview.get_by_test_id("overview-fold").first
    fold.scroll_into_view_if_needed()
    fold.tap()
    expect(overview.locator('[data-testid="overview-block"]')).to_be_visible()
    page.screenshot(path=str(artifacts / "overview-big-phone.png"))


def test_the_open_blocks_are_in_the_link(wide, server):
    page, _ = wide
    model = explore(page, server, "resnet18-narrow")
    overview = page.get_by_test_id("network-overview")
    first = model["blocks"][0]
    frame = overview.locator('[data-testid="overview-block"][data-block="0"]')
    folded = overview.locator(f'.ov-node[data-layer="{first["last"]}"]')
    folded.get_by_test_id("overview-fold").click()
    expect(frame).to_be_visible()
    wait_until(page, "new URLSearchParams(location.hash.slice(1)).get('open') === '0'")
    link = page.url
    page.go_back()  # Back folds it again
    expect(overview.locator('[data-testid="overview-block"]')).to_have_count(0)
    page.goto("about:blank")
    page.goto(link)  # the link opens the same block on the same photo
    expect(frame).to_be_visible()
    wait_painted(page, first["first"])
