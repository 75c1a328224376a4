"""The per-layer cards below the overview paint their maps only near the viewport, and a card
scrolled into view shows the latest drawing's maps at once — the same pixels as the overview's
(always painted) column of that layer."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    ONE,
    SEVEN,
    draw,
    open_explorer,
    renders,
    wait_for_render_after,
    wait_until,
)

pytestmark = pytest.mark.e2e

# Channel 0 of layer `index` as RGB rows: in its card's first map, and in the overview's atlas
# (channel 0 is the atlas's top-left tile).
CHANNEL0 = """([index, H, W]) => {
  const rgb = (c, w, h) => {
    const d = c.getContext('2d').getImageData(0, 0, w, h).data;
    return Array.from({ length: w * h }, (_, p) => [d[4 * p], d[4 * p + 1], d[4 * p + 2]]);
  };
  const card = document.querySelector(`[data-testid="layer-${index}"] .map canvas`);
  const overview = document.querySelector('[data-testid="network-overview"]');
  const atlas = overview.querySelector(`[data-layer="${index}"] canvas`);
  return { card: rgb(card, W, H), overview: rgb(atlas, W, H) };
}"""


def channel0(page, layer):
    _, H, W = layer["output_shape"]
    return page.evaluate(CHANNEL0, [layer["index"], H, W])


def test_an_off_screen_card_paints_when_scrolled_to_with_the_latest_drawing(desktop, server):
    page, _ = desktop
    model = open_explorer(page, server)
    layer = [lay for lay in model["layers"] if len(lay["output_shape"]) == 3][-1]
    block = page.get_by_test_id(f"layer-{layer['index']}")
    assert block.bounding_box()["y"] > page.viewport_size["height"] + 200  # below the screen

    count = renders(page)
    draw(page, SEVEN)
    wait_for_render_after(page, count)
    wait_until(page, "performance.getEntriesByName('explorer:stroke-to-render').length > 0")
    expect(block.locator(".layer-body.is-empty")).to_have_count(1)  # drawn off screen: not painted

    block.scroll_into_view_if_needed()
    expect(block.locator(".layer-body.is-empty")).to_have_count(0)
    expect(block.get_by_test_id("legend")).to_contain_text("max")
    seven = channel0(page, layer)
    assert seven["card"] == seven["overview"]
    assert len({tuple(p) for p in seven["card"]}) > 1  # a real map, not one colour

    # Redrawn while the card is off screen (drawing scrolls the pad into view): it catches up
    # with the new drawing when it is scrolled to again.
    page.get_by_test_id("clear").click()
    count = renders(page)
    draw(page, ONE)
    wait_for_render_after(page, count)
    block.scroll_into_view_if_needed()
    same = f"({CHANNEL0})(%s)" % [layer["index"], *layer["output_shape"][1:]]
    wait_until(page, f"JSON.stringify({same}.card) === JSON.stringify({same}.overview)")
    one = channel0(page, layer)
    assert one["card"] == one["overview"]
    assert one["card"] != seven["card"]


HEIGHTS = "() => [...document.querySelectorAll('.section')].map(s => s.offsetHeight)"


def test_sections_off_screen_are_skipped_while_drawing_and_keep_their_size(desktop, server):
    """During a stroke Chromium skips the sections off screen (content-visibility), each at
    its real size — nothing below the pad moves — and the page is whole again after it."""
    page, _ = desktop
    open_explorer(page, server)
    draw(page, ONE)
    wait_until(page, "!document.body.classList.contains('skip-offscreen')")  # a second later
    whole = page.evaluate(HEIGHTS)
    pad = page.get_by_test_id("draw-canvas").bounding_box()
    page.mouse.move(pad["x"] + pad["width"] * 0.3, pad["y"] + pad["height"] * 0.5)
    page.mouse.down()
    page.mouse.move(pad["x"] + pad["width"] * 0.7, pad["y"] + pad["height"] * 0.5, steps=8)
    assert page.evaluate("document.body.classList.contains('skip-offscreen')")
    skipped = page.evaluate(
        "() => [...document.querySelectorAll('.section')].filter(s => "
        "getComputedStyle(s).contentVisibility === 'auto').length"
    )
    assert skipped == len(whole)
    assert page.evaluate(HEIGHTS) == whole
    page.mouse.up()
    wait_until(page, "!document.body.classList.contains('skip-offscreen')")
    assert page.evaluate(HEIGHTS) == whole
