"""Browser test of the architecture editor on a graph: the residual preset shows where its
skip connection joins, and re-wiring a join or branching a layer off an earlier one redraws
the connection and is checked by the engine."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def links(page) -> list[tuple[int, int]]:
    found = page.locator("[data-testid=skip-link]")
    return sorted(
        (int(found.nth(i).get_attribute("data-from")), int(found.nth(i).get_attribute("data-to")))
        for i in range(found.count())
    )


def test_the_editor_shows_and_rewires_a_residual_block(desktop, server, artifacts):
    page, watch = desktop
    page.goto(server.url + "/train")
    summary = page.locator("[data-testid=arch-summary]")
    summary.locator("text=parameters").wait_for()
    page.select_option("[data-testid=preset]", "residual")
    page.locator("[data-testid=skip-link]").first.wait_for(state="attached")
    summary.locator("text=16 layers").wait_for()
    # add1 (layer 9) sums bn3 (8) and the block's input pool1 (3): one skip connection, 3 → 9
    assert links(page) == [(3, 9)]
    join = page.locator("[data-testid=layer-row]").nth(9)
    assert "joins" in join.get_attribute("class")
    assert join.locator("[data-testid=layer-input]").nth(1).input_value() == "3"
    page.locator(".arch-card").screenshot(path=str(artifacts / "train-residual.png"))

    # join the network input instead: 1×28×28 does not add to 8×14×14, and the engine says so
    page.select_option("[aria-label='Layer 9 input 2']", "-1")
    error = page.locator(".layer-row.invalid .layer-error")
    error.wait_for()
    assert "layer 9" in error.inner_text() and "do not broadcast" in error.inner_text()
    assert links(page) == [(-1, 9)]
    assert page.locator("[data-testid=start-training]").is_disabled()
    page.select_option("[aria-label='Layer 9 input 2']", "3")
    summary.locator("text=5,226 parameters").wait_for()

    # branch pool2 (layer 11) off the add instead of the ReLU after it: a second connection
    page.click("[aria-label='Layer 11 reads an earlier layer (a branch)']")
    page.select_option("[aria-label='Layer 11 input 1']", "9")
    page.wait_for_function("document.querySelectorAll('[data-testid=skip-link]').length === 2")
    assert links(page) == [(3, 9), (9, 11)]
    summary.locator("text=5,226 parameters").wait_for()
    assert page.locator(".layer-row.invalid").count() == 0
    page.locator(".arch-card").screenshot(path=str(artifacts / "train-branch.png"))

    # removing the ReLU it skipped keeps the wiring: pool2 (now 10) still reads the add
    page.click("[aria-label='Remove layer 10']")
    page.wait_for_function("document.querySelectorAll('[data-testid=layer-row]').length === 15")
    assert links(page) == [(3, 9)]  # 9 → 10 is now the layer right above: no skip to draw
    assert page.locator("[aria-label='Layer 10 input 1']").input_value() == "9"


def test_batch_norm_momentum_none_is_the_cumulative_average(desktop, server):
    """Typing "none" as a batch norm's momentum sends PyTorch's ``momentum=None`` (the
    cumulative average), which the engine accepts; the field then reads "none"."""
    page, _ = desktop
    page.goto(server.url + "/train")
    summary = page.locator("[data-testid=arch-summary]")
    summary.locator("text=parameters").wait_for()
    page.select_option("[data-testid=preset]", "residual")
    summary.locator("text=16 layers").wait_for()
    field = page.locator("input[name=momentum]").first
    with page.expect_response(lambda r: r.url.endswith("/api/architectures/validate")) as answer:
        field.fill("none")
    specs = answer.value.request.post_data_json["architecture"]
    assert [s["config"].get("momentum", 0.1) for s in specs if s["type"] == "batchnorm2d"][
        0
    ] is None
    report = answer.value.json()
    assert report["valid"], report["error"]  # the engine's answer, not the page's last one
    summary.locator("text=5,226 parameters").wait_for()
    assert page.locator(".layer-row.invalid").count() == 0
    # the rows drawn again from the specs (the first layer moved down and back up): the
    # field shows the spec's null as "none", not only what was typed into it
    page.click("[aria-label='Move layer 0 down']")
    page.click("[aria-label='Move layer 1 up']")
    assert field.input_value() == "none"
