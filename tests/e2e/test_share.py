"""Sharing in a real browser: "Copy link" on every page, and a figure panel saved as SVG, PNG
and CSV with its caption (static/js/shared/share.js, figure-export.js)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PAGES = ["/", "/anatomy", "/train", "/evaluate", "/filters", "/color"]
SVG = "{http://www.w3.org/2000/svg}"


def test_every_page_copies_its_own_address(desktop, server):
    page, _ = desktop
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    for path in PAGES:
        page.goto(server.url + path)
        link = page.get_by_test_id("copy-link")
        link.click()
        expect(link).to_have_attribute("data-url", page.url)
        assert page.evaluate("navigator.clipboard.readText()") == page.url


def saved(page, locator) -> bytes:
    with page.expect_download() as info:
        locator.click()
    return open(info.value.path(), "rb").read()


def test_the_overview_saves_as_svg_and_print_resolution_png(desktop, server):
    page, _ = desktop
    page.goto(f"{server.url}/?gallery=3")
    expect(page.get_by_test_id("prediction")).not_to_have_text("")
    bar = page.locator('.export-bar[data-for="network-overview"]')
    expect(bar.get_by_test_id("export-png")).to_be_visible()

    root = ET.fromstring(saved(page, bar.get_by_test_id("export-svg")))
    assert root.tag == f"{SVG}svg"
    words = [t.text or "" for t in root.iter(f"{SVG}text")]
    model = page.get_by_test_id("model-select").input_value()
    (caption,) = [w for w in words if w.startswith("CNN Explorer")]
    assert f"model {model}" in caption and "input test digit #3" in caption
    assert "overview" in caption
    assert len(list(root.iter(f"{SVG}image"))) + len(list(root.iter(f"{SVG}svg"))) > 1

    png = Image.open(io.BytesIO(saved(page, bar.get_by_test_id("export-png"))))
    width = page.get_by_test_id("network-overview").bounding_box()["width"]
    assert png.format == "PNG" and png.width == pytest.approx(3 * width, abs=3)


def test_a_table_saves_as_csv(desktop, server):
    page, _ = desktop
    page.goto(f"{server.url}/evaluate")
    table = page.get_by_test_id("per-class")
    bar = page.locator('.export-bar[data-for="per-class"]')
    expect(table.locator("tr").nth(1)).to_be_visible(timeout=60_000)
    rows = saved(page, bar.get_by_test_id("export-csv")).decode().splitlines()
    cells = table.locator("tr").first.locator("th, td").all_inner_texts()
    assert rows[0] == ",".join(c.strip() for c in cells)
    assert len(rows) == table.locator("tr").count()
