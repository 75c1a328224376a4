"""The anatomy's 5×5×3-on-32×32×3 preset opens the real thing in a real browser: cifar10-lenet's
first layer (six 5×5×3 filters) on a CIFAR-10 test photo, M·x + b checked, six maps; another
photo, another filter, the kernel stepped along; an uploaded photo, and uploads that are refused
with a message on the page. Screenshots go to ``artifacts/e2e/``."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.core.settings import REPO_ROOT

pytestmark = pytest.mark.e2e

LENET = REPO_ROOT / "models" / "cifar10-lenet.npz"
CAT = REPO_ROOT / "static" / "samples" / "photos" / "cat.jpg"
# a new answer carries the 784 × 3,072 matrix's 58,800 entries, drawn three ways: under load
# that takes seconds, so waits after a new input or filter use the suite's 30 s
NEW_ANSWER_MS = 30_000
SENTENCE = (
    "A 32×32×3 image convolved with a 5×5×3 filter gives a 28×28 map; six filters give six maps"
)


def renders(real) -> int:
    """How many answers the real layer has drawn."""
    return int(real.locator(".real-result").get_attribute("data-renders") or 0)


def drawn_after(real, n: int) -> None:
    """Wait until the real layer has drawn a new answer after ``n``."""
    expect(real.locator(".real-result")).not_to_have_attribute(
        "data-renders", str(n), timeout=NEW_ANSWER_MS
    )


def first_term(real) -> str:
    """The written-out equation's first product, e.g. ``w0 · x0:13,3 0.6549 × 0.02737 …``."""
    return real.get_by_test_id("real-equation").locator(".eq-terms li").first.inner_text()


@pytest.fixture
def real(anatomy, server):
    if not (server.models_dir / "cifar10-lenet.npz").is_file():
        pytest.skip("cifar10-lenet is not served (models/ is not the shipped one)")
    page = anatomy
    page.locator('#conv-presets [data-preset="5x5x3-on-32x32x3"]').click()
    page.get_by_test_id("preset-real-layer").click()
    real = page.get_by_test_id("real-layer")
    expect(real.locator(".real-title")).to_contain_text(
        "cifar10-lenet · layer 0 (conv1)", timeout=NEW_ANSWER_MS
    )
    return page, real


def test_the_preset_opens_cifar10_lenets_first_layer_on_a_photo(real, artifacts):
    page, real = real
    expect(real.get_by_test_id("real-volumes")).to_have_text(SENTENCE + ".")
    check = real.get_by_test_id("matrix-check")
    expect(check).to_have_class(re.compile(r"\bis-ok\b"))
    expect(check).to_contain_text("M × input + b = feature map")
    expect(check).to_contain_text("over all 784 outputs")
    expect(real.get_by_test_id("real-photo")).to_be_visible()
    expect(real.get_by_test_id("real-maps").locator(".grid-view")).to_have_count(6)
    photos = real.get_by_test_id("real-photos").locator("button")
    expect(photos.first).to_have_attribute("aria-pressed", "true")
    assert photos.count() == 20
    real.screenshot(path=str(artifacts / "anatomy-real-photo.png"))

    # another photo: the input's numbers change, the check still holds
    before, n = first_term(real), renders(real)
    photos.nth(6).click()
    expect(photos.nth(6)).to_have_attribute("aria-pressed", "true")
    drawn_after(real, n)
    assert first_term(real) != before  # the photo's own numbers
    expect(check).to_contain_text("✓")

    # a map clicked chooses its filter
    n = renders(real)
    real.get_by_test_id("real-maps").locator(".grid-view").nth(3).locator("canvas").click()
    drawn_after(real, n)
    expect(real.locator(".real-title")).to_contain_text("filter 3 of 6")
    expect(real.get_by_test_id("real-filter")).to_have_value("3")
    expect(check).to_contain_text("✓")

    # the kernel slides: the next output's 75 products are written out
    label = real.get_by_test_id("step-label")
    first = label.inner_text()
    real.get_by_test_id("step-next").click()
    expect(label).not_to_have_text(first, timeout=NEW_ANSWER_MS)
    expect(real.get_by_test_id("real-equation").locator(".eq-head")).to_contain_text(
        "the sum of 75 products"
    )
    real.screenshot(path=str(artifacts / "anatomy-real-photo-filter3.png"))


def test_an_uploaded_photo_and_refused_uploads(real, artifacts):
    page, real = real
    check = real.get_by_test_id("matrix-check")
    expect(check).to_contain_text("✓")
    upload = real.get_by_test_id("real-upload")
    problem = real.get_by_test_id("real-photo-problem")

    upload.set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"})
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("notes.txt is not a PNG, JPEG or WebP image")

    big = b"\x89PNG" + bytes(3 * 1024 * 1024)
    upload.set_input_files({"name": "huge.png", "mimeType": "image/png", "buffer": big})
    expect(problem).to_contain_text("more than the limit max_image_bytes")

    before, n = first_term(real), renders(real)
    upload.set_input_files(str(CAT))
    drawn_after(real, n)
    expect(problem).to_be_hidden()
    expect(real.get_by_test_id("real-photos").locator('[aria-pressed="true"]')).to_have_count(0)
    assert first_term(real) != before
    expect(check).to_contain_text("✓")
    expect(real.get_by_test_id("real-photo")).to_be_visible()
    real.screenshot(path=str(artifacts / "anatomy-real-photo-upload.png"))
