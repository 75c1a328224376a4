"""The explorer on a phone (390×844, touch): a swipe on the overview's maps scrolls the page
up and down and pans the overview sideways, a finger that slides off a map never asks for a
unit outside it, and no refusal reaches the page as raw validation text."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import wait_until

pytestmark = pytest.mark.e2e

# What a refusal must never show a person: FastAPI's locations, pydantic's wording, paths.
RAW = re.compile(r"\((body|query|path)\)|Input should|Field required|\w\[\d+\]")

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture
def touch(browser, server):
    """A phone page with a real digit from the gallery on the explorer, and a CDP session to
    send touches with."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(server.url + "/")
    page.locator('[data-testid="gallery"] .digit').first.click()
    wait_until(page, "Number(document.body.dataset.renders || 0) > 0")
    yield page, context.new_cdp_session(page)
    context.close()


def map_box(page, which: int = 1) -> dict:
    """The bounding box of the overview's ``which``-th map picture, on screen."""
    canvas = page.get_by_test_id("network-overview").locator("canvas.ov-atlas").nth(which)
    canvas.scroll_into_view_if_needed()
    return canvas.bounding_box()


def swipe(cdp, x: float, y: float, dx: float, dy: float) -> None:
    """A finger put down at (x, y) and moved by (dx, dy) in ten steps, then lifted."""

    def touches(kind: str, k: int = 0) -> None:
        points = [] if kind == "touchEnd" else [{"x": x + dx * k / 10, "y": y + dy * k / 10}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touches("touchStart")
    for k in range(1, 11):
        touches("touchMove", k)
    touches("touchEnd")


def test_swiping_up_on_a_map_scrolls_the_page(touch):
    page, cdp = touch
    box = map_box(page)
    before = page.evaluate("scrollY")
    swipe(cdp, box["x"] + box["width"] / 2, box["y"] + min(box["height"], 300) / 2, 0, -200)
    assert page.evaluate("scrollY") > before + 50


def test_swiping_sideways_on_a_map_pans_the_overview(touch):
    page, cdp = touch
    box = map_box(page)
    scroller = page.get_by_test_id("network-overview").locator(".ov-scroll")
    before = scroller.evaluate("e => e.scrollLeft")
    swipe(cdp, box["x"] + box["width"] / 2, box["y"] + min(box["height"], 300) / 2, -200, 0)
    assert scroller.evaluate("e => e.scrollLeft") > before + 50


def test_the_overview_says_more_layers_are_to_the_right(touch):
    page, cdp = touch
    more = page.get_by_test_id("overview-more")
    expect(more).to_contain_text("more layers to the right")
    box = map_box(page)
    swipe(cdp, box["x"] + box["width"] / 2, box["y"] + 100, -3000, 0)  # to the far right
    expect(more).to_be_hidden()


def test_a_finger_sliding_off_a_map_asks_for_no_unit_outside_it(touch):
    page, cdp = touch
    asked: list[list[int]] = []
    page.on(
        "request",
        lambda r: "/connections" in r.url and asked.append(json.loads(r.post_data)["unit"]),
    )
    box = map_box(page, 1)
    swipe(cdp, box["x"] + 5, box["y"] + 5, -140, -40)  # off the map, up and to the left
    page.get_by_test_id("network-overview").click(position={"x": 1, "y": 1})  # a round trip
    assert all(min(unit) >= 0 for unit in asked), asked
    expect(page.get_by_test_id("error")).to_be_hidden()


def test_a_refusal_reaches_the_page_in_words_not_validation_text(touch):
    """Whatever the API refuses, the page says it without pydantic's or FastAPI's wording."""
    page, _ = touch
    said = page.evaluate(
        """async () => {
          const { api } = await import('/static/js/shared/api.js');
          const out = [];
          for (const call of [
            () => api.connections('mnist-cnn', 0, { pixels: [[0]], unit: [0, -117, 3] }),
            () => api.gallery(-1, 0),
            () => api.conv({}),
            () => api.model('no-such-model'),
          ]) {
            try { await call(); out.push('answered'); } catch (e) { out.push(e.message); }
          }
          return out;
        }"""
    )
    for text in said:
        assert text != "answered"
        assert not RAW.search(text), text
    assert "or more" in said[1], said  # the rule in words: "count must be 1 or more"
