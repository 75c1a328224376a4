"""Browser tests of training and evaluation: build a network in the editor, train it on a few
hundred digits, watch the bar and the charts move, find the model in the explorer's picker;
the confusion matrix adds up to the test set and its cells list their digits.

This module's server has its own temporary models directory (a small untrained stand-in for
the shipped model) and data directory (the shipped MNIST test set standing in for the training
set), so nothing is written into the repository.
"""

from __future__ import annotations

import pytest

from engine.model import Model
from tests.e2e.helpers import serve_for_training, wait_until

pytestmark = pytest.mark.e2e

TRAIN_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from serve_for_training(tmp_path_factory.mktemp("e2e-train"))


# Records every value an attribute takes, so a test can see a bar or a chart move.
WATCH_ATTRIBUTE = """([selector, name]) => {
  const el = document.querySelector(selector);
  window.__seen = window.__seen || {};
  const seen = (window.__seen[selector + "@" + name] = [el.getAttribute(name)]);
  new MutationObserver(() => seen.push(el.getAttribute(name))).observe(el, {
    attributes: true, attributeFilter: [name],
  });
}"""
SEEN = "([selector, name]) => window.__seen[selector + '@' + name]"


def test_build_train_and_find_the_model_in_the_explorer(desktop, server, artifacts):
    page, _ = desktop
    page.goto(server.url + "/train")
    rows = page.locator("[data-testid=layer-row]")
    page.wait_for_selector("[data-testid=arch-summary]:has-text('parameters')")
    assert rows.count() == 6  # the tiny preset: conv, relu, pool, flatten, dense, softmax

    # take off the classifier: the editor says which layer no longer fits, and why
    page.click("[aria-label='Remove layer 5']")
    page.click("[aria-label='Remove layer 4']")
    error = page.locator(".layer-row.invalid .layer-error")
    error.wait_for()
    assert "10 classes" in error.inner_text() and "layer 3" in error.inner_text()
    assert page.locator("[data-testid=start-training]").is_disabled()

    # a wider first layer, then a new dense classifier
    page.fill("[aria-label='Layer 0 filters']", "6")
    page.fill("[aria-label='Layer 0 kernel']", "5")
    page.select_option("#add-type", "dense")
    page.click("[data-testid=add-layer]")
    expected = Model.from_spec(
        [
            {"type": "conv2d", "config": {"out_channels": 6, "kernel_size": 5, "padding": 1}},
            {"type": "relu"},
            {"type": "maxpool2d", "config": {"kernel_size": 2}},
            {"type": "flatten"},
            {"type": "dense", "config": {"out_features": 10}},
        ]
    )
    summary = page.locator("[data-testid=arch-summary]")
    summary.locator(f"text={expected.num_params:,} parameters").wait_for()
    shapes = page.locator("[data-testid=layer-shape]").all_inner_texts()
    assert shapes[0].startswith("→ 6 × 26 × 26") and shapes[3] == "→ 1014"
    assert page.locator(".layer-row.invalid").count() == 0

    page.fill("input[name=name]", "E2E net")
    page.fill("input[name=epochs]", "1")
    page.fill("input[name=batch_size]", "16")
    page.fill("input[name=limit]", "400")
    page.uncheck("input[name=augment]")
    page.evaluate(WATCH_ATTRIBUTE, ["[data-testid=training-progress]", "aria-valuenow"])
    page.evaluate(WATCH_ATTRIBUTE, ["[data-testid=loss-chart]", "data-points"])
    page.screenshot(path=str(artifacts / "train-editor.png"))
    page.click("[data-testid=start-training]")
    page.wait_for_selector(
        "[data-testid=training-progress][data-state=done]", timeout=TRAIN_TIMEOUT_MS
    )

    progress = [
        float(v) for v in page.evaluate(SEEN, ["[data-testid=training-progress]", "aria-valuenow"])
    ]
    assert progress[-1] == 100 and len({v for v in progress if 0 < v < 100}) >= 2, progress
    assert progress == sorted(progress), progress
    # the bar fills its track once done (after its transition: retried until then)
    wait_until(
        page,
        "Math.abs(document.querySelector('.progress-bar').getBoundingClientRect().width"
        " - document.querySelector('[data-testid=training-progress]').clientWidth) < 1",
    )
    points = [int(v) for v in page.evaluate(SEEN, ["[data-testid=loss-chart]", "data-points"])]
    assert points[-1] >= 25 and len(set(points)) >= 3, points  # 25 steps + 1 validation point
    assert int(page.get_attribute("#kernels", "data-updates")) >= 1
    assert page.locator("#kernels canvas").count() == 6
    state = page.inner_text("[data-testid=job-state]")
    assert "saved as model 'e2e-net'" in state.lower(), state
    page.screenshot(path=str(artifacts / "train-done.png"), full_page=True)

    page.click("[data-testid=open-in-explorer]")
    page.wait_for_url("**/?model=e2e-net")
    picker = page.locator("[data-testid=model-select]")
    picker.locator("option[value='e2e-net']").wait_for(state="attached")
    wait_until(page, "document.querySelector('[data-testid=model-select]').value === 'e2e-net'")
    assert "E2E net" in picker.inner_text()
    page.screenshot(path=str(artifacts / "train-explorer-picker.png"))


def test_confusion_matrix_sums_to_the_test_set_and_cells_list_their_digits(
    desktop, server, artifacts
):
    page, _ = desktop
    page.goto(server.url + "/evaluate?model=mnist-cnn")
    matrix = page.locator("[data-testid=confusion-matrix]")
    matrix.locator(".cm-cell").first.wait_for()
    counts = [int(c) for c in matrix.locator(".cm-cell").evaluate_all(
        "cells => cells.map(c => c.dataset.count)"
    )]  # fmt: skip
    assert len(counts) == 100 and sum(counts) == 10_000
    assert "/ 10,000" in page.inner_text("#correct")

    cells = matrix.locator(".cm-cell:not(.diagonal):not([disabled])")
    cell = cells.first
    n = int(cell.get_attribute("data-count"))
    t, p = cell.get_attribute("data-true"), cell.get_attribute("data-predicted")
    cell.click()
    digits = page.locator("#cell-digits .digit-link")
    digits.first.wait_for()
    assert digits.count() == min(n, 120)
    assert f"{t} → {p}" in digits.first.inner_text()
    href = digits.first.get_attribute("href")
    assert href.startswith("/?model=mnist-cnn&gallery=")
    wait_until(page, "[...document.querySelectorAll('#cell-digits img')].every(i => i.complete)")
    page.screenshot(path=str(artifacts / "evaluate-matrix.png"), full_page=True)

    # the shipped model's row offers no delete
    row = page.locator("tr[data-model='mnist-cnn']")
    assert row.locator("[data-action=delete]").is_disabled()


def test_the_pages_api_errors_are_the_servers_words_json_and_form_bodies(desktop, server):
    """The one API client (shared/api.js) and its one request(): a refused JSON body and a refused
    multipart upload (FormData) both reach the page as an ApiError with the server's detail."""
    page, watch = desktop
    watch.expect_error("422")  # the console notes the refused requests
    page.goto(server.url + "/train")
    messages = page.evaluate(
        """async () => {
          const { api } = await import("/static/js/shared/api.js");
          const said = (e) => `${e.name} ${e.status}: ${e.message}`;
          const form = new FormData();
          form.append("name", "x");
          form.append("weights", new Blob(["not a zip"]), "w.npz");
          return [
            await api.startTraining({ epochs: "many" }).then(() => "no error", said),
            await api.importModel(form).then(() => "no error", said),
          ];
        }"""
    )
    assert messages[0].startswith("ApiError 422: ") and "epochs" in messages[0], messages
    assert messages[1].startswith("ApiError 422: weights: ") and ".npz" in messages[1], messages
