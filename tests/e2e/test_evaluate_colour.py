"""The Evaluate page on colour data in a real browser: cifar10-lenet's confusion matrix with
CIFAR-10's class names, adding up to the test images scored (the full test set, or the 150
photos that ship), and its mistakes as colour pictures — not inverted as the digits are, and
not links (the explorer's photo input has no test-set gallery to open them in)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from engine.cifar10 import CLASSES
from tests.e2e.helpers import wait_until

pytestmark = pytest.mark.e2e

SCORING_MS = 120_000  # the first evaluation scores every test image


def test_cifar10_lenets_confusion_matrix_and_mistakes_as_photos(desktop, server, artifacts):
    if not (server.models_dir / "cifar10-lenet.npz").is_file():
        pytest.skip("cifar10-lenet is not served (models/ is not the shipped one)")
    page, _ = desktop
    page.goto(server.url + "/evaluate?model=cifar10-lenet")
    matrix = page.get_by_test_id("confusion-matrix")
    matrix.locator(".cm-cell").first.wait_for(timeout=SCORING_MS)
    want = server.get_json("/api/models/cifar10-lenet/evaluation")
    header = matrix.locator("th").all_inner_texts()
    assert all(name in header for name in CLASSES), header
    counts = [int(c) for c in matrix.locator(".cm-cell").evaluate_all(
        "cells => cells.map(c => c.dataset.count)"
    )]  # fmt: skip
    assert len(counts) == 100 and sum(counts) == want["total"]
    expect(page.locator("#correct")).to_have_text(f"{want['correct']:,} / {want['total']:,}")
    expect(page.locator("#eval-note")).to_contain_text(want["source"])
    expect(page.locator("#wrong-title")).to_have_text("Misclassified photos")
    expect(page.get_by_test_id("per-class").locator("thead")).to_contain_text("Photos")

    # the mistakes as pictures: as many as the API lists, in colour, loaded
    mistakes = page.get_by_test_id("confident-mistakes").locator(".digit-link")
    expect(mistakes).to_have_count(len(want["confident_mistakes"]))
    first = want["confident_mistakes"][0]
    expect(mistakes.first).to_contain_text(f"{first['label']} → {first['predicted_label']}")
    assert mistakes.first.evaluate("el => el.tagName") == "SPAN"  # not a link
    wait_until(
        page,
        "[...document.querySelectorAll('#confident img')].every(i => i.complete && i.naturalWidth)",
    )
    img = mistakes.first.locator("img")
    assert img.evaluate("i => getComputedStyle(i).filter") == "none"
    assert img.evaluate("i => i.naturalWidth") == 64  # 32 × 32 at scale 2
    colour = img.evaluate(
        """i => {
          const c = document.createElement("canvas");
          [c.width, c.height] = [i.naturalWidth, i.naturalHeight];
          const ctx = c.getContext("2d");
          ctx.drawImage(i, 0, 0);
          const d = ctx.getImageData(0, 0, c.width, c.height).data;
          let spread = 0;
          for (let k = 0; k < d.length; k += 4) {
            const [r, g, b] = [d[k], d[k + 1], d[k + 2]];
            spread = Math.max(spread, Math.max(r, g, b) - Math.min(r, g, b));
          }
          return spread;
        }"""
    )
    assert colour > 30  # a colour photo, not grey

    # a cell of the matrix lists its photos
    cell = matrix.locator(".cm-cell:not(.diagonal):not([disabled])").first
    n = int(cell.get_attribute("data-count"))
    t, p = (int(cell.get_attribute(a)) for a in ("data-true", "data-predicted"))
    cell.click()
    noun = "photo" if n == 1 else "photos"
    expect(page.locator("#cell-title")).to_have_text(
        f"{CLASSES[t]} read as {CLASSES[p]}: {n} {noun}"
    )
    expect(page.locator("#cell-digits .digit-link")).to_have_count(min(n, 120))
    wait_until(page, "[...document.querySelectorAll('#cell-digits img')].every(i => i.complete)")
    page.screenshot(path=str(artifacts / "evaluate-cifar10.png"), full_page=True)
