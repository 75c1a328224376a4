"""Your own data on the Train page in a real browser: upload a small image-folder zip
(``data-testid="dataset-upload"``), see it listed and chosen as the data set, fit the network's
classifier to its classes, train on it, and find the trained model scored on its test split on
the Evaluate page.

This module's server has its own temporary models, uploads and data directories, so nothing is
written into the repository.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.helpers import serve_for_training
from tests.zips import make_zip

pytestmark = pytest.mark.e2e

TRAIN_TIMEOUT_MS = 180_000
CLASSES = ("reds", "blues")
PER_CLASS = 10


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from serve_for_training(tmp_path_factory.mktemp("e2e-upload"))


def folder_zip() -> bytes:
    """``<class>/<image>.png``: 16×16 reddish and bluish squares, 10 of each (a split is made)."""
    rng = np.random.default_rng(0)
    files = {}
    for k, name in enumerate(CLASSES):
        for i in range(PER_CLASS):
            rgb = rng.integers(0, 90, size=(16, 16, 3), dtype=np.uint8)
            rgb[..., 0 if k == 0 else 2] += 160  # red or blue
            png = io.BytesIO()
            Image.fromarray(rgb).save(png, format="PNG")
            files[f"{name}/{i:02d}.png"] = png.getvalue()
    return make_zip(files)


def test_upload_an_image_folder_and_train_on_it(desktop, server, artifacts):
    page, _ = desktop
    page.goto(server.url + "/train")
    page.wait_for_selector("[data-testid=arch-summary]:has-text('parameters')")
    upload = page.get_by_test_id("dataset-upload")
    upload.set_input_files(
        {"name": "squares.zip", "mimeType": "application/zip", "buffer": folder_zip()}
    )
    # listed, and chosen: the data set select holds it (its id is its name)
    dataset = page.locator("select[name=dataset]")
    expect(dataset).to_have_value("squares")
    expect(dataset.locator("option[value=squares]")).to_have_count(1)
    listed = server.get_json("/api/datasets/squares")
    assert listed["classes"] == sorted(CLASSES) and listed["image_shape"][0] == 3
    assert sum(listed["counts"].values()) == 2 * PER_CLASS
    page.screenshot(path=str(artifacts / "train-upload-listed.png"), full_page=True)

    # the editor knows the data set's images; the classifier must give one number per class
    expect(page.get_by_test_id("input-shape")).to_have_text("3 × 16 × 16")
    summary = page.locator("[data-testid=arch-summary]")
    expect(page.locator(".layer-row.invalid .layer-error")).to_contain_text("2 classes")
    expect(page.get_by_test_id("start-training")).to_be_disabled()
    page.fill("[aria-label='Layer 4 units']", "2")
    expect(page.locator(".layer-row.invalid")).to_have_count(0)
    expect(summary).to_contain_text("parameters")

    page.fill("input[name=name]", "Squares net")
    page.fill("input[name=epochs]", "1")
    page.fill("input[name=batch_size]", "4")
    page.uncheck("input[name=augment]")
    expect(page.get_by_test_id("start-training")).to_be_enabled()
    page.get_by_test_id("start-training").click()
    page.wait_for_selector(
        "[data-testid=training-progress][data-state=done]", timeout=TRAIN_TIMEOUT_MS
    )
    state = page.get_by_test_id("job-state").inner_text()
    assert "saved as model 'squares-net'" in state.lower(), state
    model = server.get_json("/api/models/squares-net")
    assert model["dataset"] == "squares" and model["classes"] == sorted(CLASSES)
    assert model["input_shape"] == [3, 16, 16]
    page.screenshot(path=str(artifacts / "train-upload-done.png"), full_page=True)

    # scored on the upload's test split, with its class names and its images in colour
    page.click("#job-links >> text=Evaluate")
    page.wait_for_url("**/evaluate?model=squares-net")
    matrix = page.get_by_test_id("confusion-matrix")
    matrix.locator(".cm-cell").first.wait_for()
    header = matrix.locator("th").all_inner_texts()
    assert all(name in header for name in CLASSES), header
    counts = [int(c) for c in matrix.locator(".cm-cell").evaluate_all(
        "cells => cells.map(c => c.dataset.count)"
    )]  # fmt: skip
    assert len(counts) == 4 and sum(counts) == listed["counts"]["test"]
    expect(page.locator("#wrong-title")).to_have_text("Misclassified images")
    page.screenshot(path=str(artifacts / "train-upload-evaluate.png"), full_page=True)
