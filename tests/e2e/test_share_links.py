"""Every state a link (static/js/shared/url-state.js and the pages' link modules): the explorer's
open map and overview unit, the explanation's choice, the anatomy's edited example, the filters
page's filter, and a photo kept for a link — each reopened in a fresh browser with the same
numbers, Back and Forward stepping between them, and a link to what is not there saying so."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.helpers import elsewhere, wait_until

pytestmark = pytest.mark.e2e

UNIT = "0.1.5.6"  # conv1 channel 1, row 5, column 6: in the shipped model and the test one


def rendered(page) -> None:
    wait_until(page, "Number(document.body.dataset.renders || 0) > 0")
    expect(page.get_by_test_id("prediction")).not_to_have_text("")


def opened_unit(page) -> str:
    """The open unit's value, as the overview's anatomy sums it."""
    expect(page.get_by_test_id("unit-anatomy")).to_be_visible()
    value = page.get_by_test_id("unit-anatomy-sum")
    expect(value).not_to_have_text("")
    return value.inner_text()


def test_the_open_map_and_unit_are_in_the_link_and_reopen_elsewhere(browser, desktop, server):
    page, _ = desktop
    page.goto(f"{server.url}/?gallery=3")
    rendered(page)
    page.get_by_test_id("layer-0").locator("button.map").nth(2).click()
    expect(page).to_have_url(re.compile(r"#map=0\.2$"))
    overview = page.get_by_test_id("network-overview")
    canvas = overview.locator('[data-layer="0"] canvas')
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.3)
    expect(page).to_have_url(re.compile(r"#map=0\.2&unit=0\.\d+\.\d+\.\d+$"))
    value, prediction = opened_unit(page), page.get_by_test_id("prediction").inner_text()

    with elsewhere(browser, page.url, viewport={"width": 1000, "height": 800}) as other:
        rendered(other)
        assert other.get_by_test_id("prediction").inner_text() == prediction
        assert opened_unit(other) == value
        expect(other.get_by_test_id("inspector").locator(".inspector-title")).to_have_text(
            re.compile(r"channel 2$")
        )

    page.go_back()  # before the unit was opened: the map only
    expect(page).to_have_url(re.compile(r"#map=0\.2$"))
    expect(page.get_by_test_id("unit-anatomy")).to_be_hidden()
    page.go_forward()
    expect(page).to_have_url(re.compile(r"&unit="))
    assert opened_unit(page) == value


def test_a_link_naming_a_unit_or_map_the_model_lacks_says_so(desktop, server):
    page, _ = desktop
    page.goto(f"{server.url}/?gallery=3#map=99.0&unit=1.0.0.0")
    rendered(page)
    notice = page.get_by_test_id("link-notice")
    expect(notice).to_contain_text("map 99.0")
    expect(notice).to_contain_text("unit 1.0.0.0, which is not a convolution unit")
    expect(page.get_by_test_id("error")).to_be_hidden()


def test_the_explanation_choice_is_in_the_link(desktop, server):
    page, _ = desktop
    page.goto(f"{server.url}/?gallery=3#explain=occlusion.class7.patch8.stride4")
    rendered(page)
    panel = page.get_by_test_id("explain-panel")
    panel.scroll_into_view_if_needed()
    expect(panel).to_have_attribute("data-shown", "occlusion")
    expect(panel).to_have_attribute("data-target", "7")
    expect(panel.get_by_test_id("explain-patch")).to_have_value("8")
    expect(panel.get_by_test_id("explain-stride")).to_have_value("4")
    panel.get_by_test_id("explain-method").get_by_text("Saliency").click()
    expect(page).to_have_url(re.compile(r"#explain=saliency\.class7$"))
    page.go_back()
    expect(panel).to_have_attribute("data-method", "occlusion")


def test_the_anatomy_example_and_its_edited_numbers_are_in_the_link(browser, desktop, server):
    page, _ = desktop
    page.goto(f"{server.url}/anatomy")
    chips = page.locator("#conv-presets .chip")
    chips.nth(1).click()
    expect(page).to_have_url(re.compile(r"#conv=two-dot-products$"))
    page.locator('#conv-controls input[aria-label="bias b"]').fill("2.5")
    expect(page).to_have_url(re.compile(r"#conv=1\.4\.4\.2\.2_2\.5_2_0_1_"))
    output = page.get_by_test_id("conv-output")
    expect(output).to_contain_text("-31.5")  # the source's -34, plus the bias

    with elsewhere(browser, page.url) as other:
        expect(other.get_by_test_id("conv-output")).to_contain_text("-31.5")
        bias = other.locator('#conv-controls input[aria-label="bias b"]')
        expect(bias).to_have_value("2.5")
    page.go_back()  # the first example again
    expect(chips.nth(0)).to_have_attribute("aria-pressed", "true")


def test_the_filters_page_keeps_its_filter_and_says_what_is_missing(desktop, server):
    page, _ = desktop
    page.goto(f"{server.url}/filters?layer=0#filter=2")
    expect(page.locator(".filter-card.is-chosen")).to_have_attribute("data-filter", "2")
    page.locator('[data-testid="filter-card"][data-filter="3"]').click()
    expect(page).to_have_url(re.compile(r"#filter=3$"))
    page.go_back()
    expect(page.locator(".filter-card.is-chosen")).to_have_attribute("data-filter", "2")
    page.goto(f"{server.url}/filters?layer=77#filter=99")
    expect(page.get_by_test_id("link-notice")).to_contain_text("layer 77")
    expect(page.get_by_test_id("link-notice")).to_contain_text("filter 99")


def photo_bytes(side: int) -> bytes:
    rng = np.random.default_rng(side)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


PUT = """async (b64) => {
  const { putPhotoInLink } = await import("/static/js/shared/photo-link.js");
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return await putPhotoInLink(new Blob([bytes], { type: "image/png" }));
}"""
GET = """async () => {
  const { photoFromLink } = await import("/static/js/shared/photo-link.js");
  const blob = await photoFromLink();
  if (!blob) return null;
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}"""


def test_a_photo_goes_in_the_link_by_id_or_by_its_bytes(browser, desktop, server):
    page, watch = desktop
    page.goto(f"{server.url}/")
    big, small = photo_bytes(64), photo_bytes(8)
    kept = page.evaluate(PUT, base64.b64encode(big).decode())
    assert kept["id"] and kept["expires"] > 0
    expect(page).to_have_url(re.compile(rf"#photo={re.escape(kept['id'])}$"))
    with elsewhere(browser, page.url) as other:
        assert base64.b64decode(other.evaluate(GET)) == big  # the same file, so the same numbers
    assert page.evaluate(PUT, base64.b64encode(small).decode())["id"] is None
    expect(page).to_have_url(re.compile(r"#photopx=[A-Za-z0-9_-]+$"))
    assert base64.b64decode(page.evaluate(GET)) == small
    watch.expect_error("404")
    page.goto(f"{server.url}/#photo=AAAAAAAAAAAAAAAA")
    assert page.evaluate(GET) is None
    expect(page.get_by_test_id("link-notice")).to_contain_text("may have expired")


def test_a_chosen_photo_goes_in_the_link_and_opens_elsewhere(browser, desktop, server, tmp_path):
    if not server.trained:
        pytest.skip("the colour model ships with the trained models")
    page, _ = desktop
    page.goto(f"{server.url}/?model=cifar10-lenet")
    photo = tmp_path / "noise.png"
    photo.write_bytes(photo_bytes(96))  # over SMALL_PHOTO_BYTES: kept by the server
    page.get_by_test_id("image-upload").set_input_files(str(photo))
    expect(page).to_have_url(re.compile(r"#photo=[A-Za-z0-9_-]{16}$"))
    expect(page.get_by_test_id("prediction")).not_to_have_text("")
    prediction = page.get_by_test_id("prediction").inner_text()
    with elsewhere(browser, page.url) as other:
        expect(other.get_by_test_id("photo-source")).to_have_text("The photo in this link")
        expect(other.get_by_test_id("prediction")).to_have_text(prediction)


def test_a_sample_photo_goes_in_the_link_by_its_name(browser, desktop, server):
    if not server.trained:
        pytest.skip("the colour model ships with the trained models")
    page, watch = desktop
    page.goto(f"{server.url}/?model=cifar10-lenet")
    sample = page.get_by_test_id("sample-images").locator(".sample").nth(5)
    sample.click()
    name = sample.get_attribute("data-file")
    expect(page).to_have_url(re.compile(rf"#sample=cifar10%2F{re.escape(name)}$"))
    expect(page.get_by_test_id("prediction")).not_to_have_text("")
    prediction = page.get_by_test_id("prediction").inner_text()
    with elsewhere(browser, page.url) as other:
        expect(other.get_by_test_id("prediction")).to_have_text(prediction)
    watch.expect_error("404")
    page.goto("about:blank")  # a new document, not a change of this one's fragment
    page.goto(f"{server.url}/?model=cifar10-lenet#sample=cifar10/no_such.jpg")
    expect(page.get_by_test_id("link-notice")).to_contain_text("no_such.jpg is not here")
