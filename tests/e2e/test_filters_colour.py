"""The filters page on the shipped CIFAR-10 LeNet in a real browser: the first layer's filters in
colour (an RGB composite and three channel slices per filter, with the legends), the
top-activating CIFAR-10 photos in colour, and a unit's feature visualisation asked for and
shown. Screenshots go to artifacts/e2e/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.core.settings import REPO_ROOT
from tests.e2e.helpers import PAINTED, wait_until

pytestmark = pytest.mark.e2e


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
    composite = first.get_by_test_id("filter-rgb-image").evaluate(PAINTED)
    assert (composite["width"], composite["height"]) == (5, 5) and composite["coloured"] > 3

    wait_until(
        page,
        "document.body.dataset.topShown === '0' && document.body.dataset.maximiseShown === '0'",
        timeout=120_000,
    )
    tops = first.get_by_test_id("filter-top-image")
    expect(tops).to_have_count(6)
    expect(first.get_by_test_id("filter-top")).to_contain_text("cifar10 test")
    every = page.get_by_test_id("filter-top-image")
    expect(every).to_have_count(6 * 6)
    painted = [every.nth(i).evaluate(PAINTED) for i in range(36)]
    assert all((p["width"], p["height"]) == (5, 5) for p in painted)  # what one unit sees
    assert sum(p["coloured"] for p in painted) > 0, painted  # photos, not grey ink
    liked = first.get_by_test_id("filter-maximise-image").evaluate(PAINTED)
    assert liked["coloured"] > 0, liked

    card = cards.nth(2)
    card.get_by_test_id("filter-visualise").click()
    wait_until(page, "document.body.dataset.visualised === '2'", timeout=60_000)
    shown = card.get_by_test_id("filter-visualisation")
    expect(shown).to_contain_text("activation")
    expect(shown).to_contain_text("TV")
    image = card.get_by_test_id("filter-visualisation-image").evaluate(PAINTED)
    assert (image["width"], image["height"]) == (32, 32) and image["coloured"] > 0, image
    page.screenshot(path=str(artifacts / "filters-colour-conv1.png"), full_page=True)
    card.screenshot(path=str(artifacts / "filters-colour-visualised.png"))

    # your own photos: the top images among them, then back to the data set's
    photos = sorted((REPO_ROOT / "static" / "samples" / "photos").glob("*.jpg"))[:5]
    page.get_by_test_id("filters-photos").set_input_files([str(p) for p in photos])
    wait_until(page, "document.body.dataset.photosShown === '0'")
    expect(first.get_by_test_id("filter-top")).to_contain_text("your photos")
    expect(first.get_by_test_id("filter-top-image")).to_have_count(5)
    expect(first.get_by_test_id("filter-top")).to_contain_text(".jpg")
    page.screenshot(path=str(artifacts / "filters-colour-your-photos.png"))
    page.get_by_test_id("filters-photos-reset").click()
    expect(first.get_by_test_id("filter-top")).to_contain_text("cifar10 test", timeout=60_000)
