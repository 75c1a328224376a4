"""The filters page on the shipped CIFAR-10 LeNet in a real browser: the first layer's filters in
colour (an RGB composite and three channel slices per filter, with the legends), the
top-activating CIFAR-10 photos in colour, and a unit's feature visualisation asked for and
shown. Screenshots go to artifacts/e2e/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import wait_until

pytestmark = pytest.mark.e2e

COLOURED = """c => {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let coloured = 0;
    for (let i = 0; i < d.length; i += 4) {
        const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
        if (Math.max(r, g, b) - Math.min(r, g, b) > 24) coloured++;
    }
    return { pixels: d.length / 4, coloured };
}"""


def test_filters_page_shows_a_colour_model_in_colour(desktop, server, artifacts):
    page, _ = desktop
    ids = [m["id"] for m in server.get_json("/api/models")["models"]]
    if "cifar10-lenet" not in ids:
        pytest.skip("the shipped CIFAR-10 LeNet is not installed")
    page.goto(server.url + "/filters?model=cifar10-lenet")
    cards = page.get_by_test_id("filter-card")
    expect(cards).to_have_count(6)  # conv1: six 5×5×3 filters
    first = cards.first
    expect(first.get_by_test_id("filter-rgb-image")).to_be_visible()
    expect(first.get_by_test_id("filter-channel")).to_have_count(3)
    expect(first.get_by_test_id("filter-channel")).to_have_text(["R", "G", "B"])
    expect(page.get_by_test_id("filters-rgb-legend")).to_contain_text("max |w|")
    expect(page.get_by_test_id("filters-legends")).to_contain_text("conv1 weights")
    composite = first.get_by_test_id("filter-rgb-image").evaluate(COLOURED)
    assert composite["pixels"] == 25 and composite["coloured"] > 5, composite

    wait_until(
        page,
        "document.body.dataset.topShown === '0' && document.body.dataset.maximiseShown === '0'",
        timeout=120_000,
    )
    tops = first.get_by_test_id("filter-top-image")
    expect(tops).to_have_count(6)
    expect(first.get_by_test_id("filter-top")).to_contain_text("cifar10 test")
    painted = [tops.nth(i).evaluate(COLOURED) for i in range(6)]
    assert all(p["pixels"] == 25 for p in painted)  # the 5×5 patch each unit sees
    assert sum(p["coloured"] for p in painted) > 0, painted  # photos, not grey ink
    liked = first.get_by_test_id("filter-maximise-image").evaluate(COLOURED)
    assert liked["coloured"] > 0, liked

    card = cards.nth(2)
    card.get_by_test_id("filter-visualise").click()
    wait_until(page, "document.body.dataset.visualised === '2'", timeout=60_000)
    shown = card.get_by_test_id("filter-visualisation")
    expect(shown).to_contain_text("activation")
    expect(shown).to_contain_text("TV")
    image = card.get_by_test_id("filter-visualisation-image").evaluate(COLOURED)
    assert image["pixels"] == 32 * 32 and image["coloured"] > 0, image
    page.screenshot(path=str(artifacts / "filters-colour-conv1.png"), full_page=True)
    card.screenshot(path=str(artifacts / "filters-colour-visualised.png"))
