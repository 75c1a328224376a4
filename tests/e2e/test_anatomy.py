"""The convolution anatomy page in a real browser: every seed preset, the sliding-window
animation, the equation, matrix and dense views and their shared highlights, invalid
combinations explained, and a phone with touch. (A real layer: ``test_anatomy_real_layer.py``;
pooling and parameter counts: ``test_anatomy_pooling.py``.) Screenshots go to
``artifacts/e2e/``; the page must log no errors."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from engine.anatomy import PRESETS
from tests.e2e.helpers import expect_counts, open_anatomy

pytestmark = pytest.mark.e2e

# preset -> (matrix size as the page states it, output shape as the page states it)
SHAPES = {
    "filter-2x2-on-3x3": ("M is 4 × 9", "2 × 2 output"),
    "two-dot-products": ("M is 4 × 16", "2 × 2 output"),
    "same-padding": ("M is 9 × 9", "3 × 3 output"),
    "stride-2": ("M is 9 × 25", "3 × 3 output"),
    "1x1-across-channels": ("M is 16 × 48", "4 × 4 output"),
    "5x5x3-on-32x32x3": ("M is 784 × 3072", "28 × 28 output"),
}


def choose(page, preset: str) -> None:
    page.locator(f'#conv-presets [data-preset="{preset}"]').click()
    matrix, output = SHAPES[preset]
    summary = page.get_by_test_id("matrix-view").locator(".matrix-summary")
    expect(summary).to_contain_text(matrix, timeout=30_000)  # seed 003: 58,800 entries to draw
    expect(page.get_by_test_id("conv-output")).to_contain_text(output)


def window_cells(page) -> list[tuple[int, int]]:
    """The (r, s) of the input cells the sliding view marks as the current window."""
    cells = (
        page.get_by_test_id("sliding-view")
        .locator(".sliding-part")
        .first.locator(".cell.is-window")
    )
    return [(int(c.get_attribute("data-r")), int(c.get_attribute("data-s"))) for c in cells.all()]


def shot(page, testid: str, artifacts, name: str) -> None:
    page.get_by_test_id(testid).screenshot(path=str(artifacts / f"anatomy-{name}.png"))


# -- the presets ------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", list(PRESETS))
def test_each_preset_renders_every_view(anatomy, artifacts, preset):
    page = anatomy
    choose(page, preset)
    for testid in ("sliding-view", "equation-view", "conv-output", "matrix-view", "dense-view"):
        expect(page.get_by_test_id(testid)).to_be_visible()
    expect(page.get_by_test_id("dot-product")).to_contain_text("=")
    expect(page.get_by_test_id("equation-view").get_by_test_id("equation-sum")).not_to_be_empty()
    expect(page.get_by_test_id("conv-formula")).to_contain_text("H_out = ⌊(")
    page.screenshot(path=str(artifacts / f"anatomy-preset-{preset}.png"), full_page=True)


def test_seed000_four_results_and_a_4x9_matrix_with_16_shared_entries(anatomy, artifacts):
    page = anatomy
    matrix = page.get_by_test_id("matrix-view")
    cells = {"rect.m-cell": 36, "rect.m-cell.entry": 16, "rect.m-cell.zero": 20}
    expect_counts(matrix, {**cells, '[data-testid="weight-key"]': 4})
    expect(page.get_by_test_id("conv-output").locator(".cell")).to_have_text(
        ["38", "48", "68", "78"]
    )
    expect(page.get_by_test_id("equation-view")).to_contain_text("αA + βB + γD + δE + b")
    shot(page, "matrix-view", artifacts, "seed000-matrix")


def test_seed002_dot_products_are_minus_34_then_minus_16(anatomy, artifacts):
    page = anatomy
    choose(page, "two-dot-products")
    dot = page.get_by_test_id("dot-product")
    expect(dot).to_have_text("y[0, 0] = 4·1 + 5·(−5) + 9·(−3) + 2·7 + 0 = -34")
    page.get_by_test_id("sliding-view").get_by_test_id("step-next").click()
    expect(dot).to_have_text("y[0, 1] = 1·1 + 2·(−5) + 7·(−3) + 2·7 + 0 = -16")
    shot(page, "sliding-view", artifacts, "seed002-second-window")


def test_padding_keeps_3x3_and_a_padded_term_reads_zero(anatomy):
    page = anatomy
    choose(page, "same-padding")
    sliding = page.get_by_test_id("sliding-view")
    expect(sliding.locator(".cell.is-pad").first).to_be_visible()
    assert (-1, -1) in window_cells(page)  # the first window covers the padding corner
    expect(page.get_by_test_id("equation-view").locator(".eq-term.is-pad")).to_have_count(5)


def test_seed003_is_summarised_with_its_arithmetic(anatomy, artifacts):
    page = anatomy
    choose(page, "5x5x3-on-32x32x3")
    expect(page.get_by_test_id("conv-formula")).to_contain_text(
        "H_out = ⌊(32 + 2·0 − 1·(5 − 1) − 1) / 1⌋ + 1 = 28"
    )
    sliding = page.get_by_test_id("sliding-view")
    expect(sliding.locator("canvas.heat")).to_have_count(4)  # three input channels, the output
    expect(sliding.locator(".sliding-zoom .cell")).to_have_count(75)  # the numbers under it
    expect(page.get_by_test_id("equation-view").locator(".eq-term")).to_have_count(75)
    expect(page.get_by_test_id("matrix-view").locator("canvas")).to_be_visible()
    # a window further on is fetched on demand
    page.get_by_test_id("conv-output").locator(".output-frame").focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_test_id("dot-product")).to_contain_text("y[1, 0] =")
    shot(page, "sliding-view", artifacts, "seed003-sliding")


# -- the animation and the shared selection ---------------------------------------------------


def test_stepping_moves_the_window_and_the_equation(anatomy, artifacts):
    page = anatomy
    sliding = page.get_by_test_id("sliding-view")
    label = sliding.get_by_test_id("step-label")
    expect(label).to_have_text("output 1 of 4")
    first = window_cells(page)
    assert first == [(0, 0), (0, 1), (1, 0), (1, 1)]
    equation = page.get_by_test_id("equation-view")
    expect(equation.get_by_test_id("equation-sum")).to_have_text("38")

    sliding.get_by_test_id("step-next").click()
    expect(label).to_have_text("output 2 of 4")
    assert window_cells(page) == [(0, 1), (0, 2), (1, 1), (1, 2)]
    expect(equation.get_by_test_id("equation-sum")).to_have_text("48")
    expect(equation).to_contain_text("αB + βC + γE + δF + b")

    # keyboard: → and ← step, inside the sliding view
    sliding.get_by_test_id("step-next").focus()
    page.keyboard.press("ArrowRight")
    expect(label).to_have_text("output 3 of 4")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(label).to_have_text("output 1 of 4")
    assert window_cells(page) == first

    # play runs through the outputs by itself; pause stops it
    play = sliding.get_by_test_id("step-play")
    play.click()
    expect(play).to_have_attribute("aria-pressed", "true")
    expect(label).to_have_text("output 2 of 4", timeout=10_000)
    play.click()
    expect(play).to_have_text("Play")
    shot(page, "sliding-view", artifacts, "stepped")


def test_choosing_an_output_anywhere_selects_it_everywhere(anatomy):
    page = anatomy
    page.get_by_test_id("conv-output").locator('.cell[data-r="1"][data-s="0"]').click()
    expect(page.get_by_test_id("sliding-view").get_by_test_id("step-label")).to_have_text(
        "output 3 of 4"
    )
    expect(page.get_by_test_id("matrix-view").locator(".matrix-row.is-current")).to_have_attribute(
        "data-row", "2"
    )
    expect(page.get_by_test_id("dense-view").locator(".node-out.is-current")).to_have_attribute(
        "data-row", "2"
    )
    expect(page.get_by_test_id("equation-view").get_by_test_id("equation-sum")).to_have_text("68")
    page.get_by_test_id("dense-view").locator('.node-out[data-row="3"]').click()
    expect(page.get_by_test_id("conv-output").locator(".readout")).to_have_text("y[1, 1] = 78")


# -- the matrix and dense views ---------------------------------------------------------------


def test_matrix_and_dense_views_render_with_structural_zeros(anatomy, artifacts):
    page = anatomy
    dense = page.get_by_test_id("dense-view")
    edges = {"line.edge.entry": 16, "line.edge.zero": 20}
    expect_counts(dense, {**edges, "circle.node.in": 9, "circle.node.out": 4})
    shot(page, "dense-view", artifacts, "dense-with-zeros")
    dense.get_by_test_id("show-zeros").uncheck()
    expect(dense.locator("line.edge.zero")).to_have_count(0)
    expect(dense.locator("line.edge.entry")).to_have_count(16)


def test_hovering_a_weight_highlights_every_entry_sharing_it(anatomy, artifacts):
    page = anatomy
    matrix = page.get_by_test_id("matrix-view")
    matrix.locator('[data-testid="weight-key"][data-k="2"]').hover()  # γ
    lit = matrix.locator("rect.m-cell.is-lit")
    expect(lit).to_have_count(4)
    assert {r.get_attribute("data-k") for r in lit.all()} == {"2"}
    expect(page.get_by_test_id("dense-view").locator("line.edge.is-lit")).to_have_count(4)
    expect(page.get_by_test_id("equation-view").locator(".eq-term.is-lit")).to_have_attribute(
        "data-k", "2"
    )
    expect(page.get_by_test_id("sliding-view").locator(".cell.is-weight")).to_have_count(2)
    shot(page, "matrix-view", artifacts, "weight-gamma-lit")
    # hovering an entry of the matrix itself does the same
    matrix.locator('rect.m-cell.entry[data-k="0"]').first.hover()
    expect(matrix.locator("rect.m-cell.is-lit")).to_have_count(4)
    assert {r.get_attribute("data-k") for r in matrix.locator("rect.m-cell.is-lit").all()} == {"0"}


def test_hovering_a_matrix_row_shows_its_window_and_output(anatomy, artifacts):
    page = anatomy
    page.get_by_test_id("matrix-view").locator('.matrix-row[data-row="3"] .row-band').hover(
        position={"x": 4, "y": 4}  # the row's label, not one of its cells
    )
    hovered = (
        page.get_by_test_id("sliding-view").locator(".sliding-part").first.locator(".cell.is-hover")
    )
    expect(hovered).to_have_count(4)
    cells = {(c.get_attribute("data-r"), c.get_attribute("data-s")) for c in hovered.all()}
    assert cells == {("1", "1"), ("1", "2"), ("2", "1"), ("2", "2")}  # E F H I
    expect(page.get_by_test_id("conv-output").locator(".cell.is-hover")).to_have_attribute(
        "data-r", "1"
    )
    # the whole page, so the pointer stays on the row (an element shot would scroll)
    page.screenshot(path=str(artifacts / "anatomy-row-3-hovered.png"), full_page=True)


# -- arithmetic, editing and invalid combinations ---------------------------------------------


def test_editing_updates_the_numbers_and_the_arithmetic(anatomy):
    page = anatomy
    cell = page.get_by_label("kernel channel 0, row 0, column 0")
    cell.fill("10")  # α = 10: y[0, 0] = 10·1 + 2·2 + 3·4 + 4·5 + 1 = 47
    expect(page.get_by_test_id("equation-view").get_by_test_id("equation-sum")).to_have_text("47")
    page.locator("#conv-controls").get_by_label("padding p").fill("1")
    expect(page.get_by_test_id("conv-formula")).to_contain_text(
        "⌊(3 + 2·1 − 1·(2 − 1) − 1) / 1⌋ + 1 = 4"
    )
    expect(page.get_by_test_id("conv-output")).to_contain_text("4 × 4 output")


def test_an_impossible_combination_is_explained_not_broken(anatomy, artifacts):
    page = anatomy
    problem = page.get_by_test_id("conv-problem")
    page.locator("#conv-controls").get_by_label("stride s").fill("0")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("stride")
    expect(problem).to_contain_text("never move the window")
    page.locator("#conv-controls").get_by_label("stride s").fill("1")
    expect(problem).to_be_hidden()
    page.get_by_label("kernel height").fill("5")
    page.get_by_label("kernel height").press("Enter")
    expect(problem).to_contain_text("spans 5 rows, but the padded input has only 3 (3 + 2·0)")
    shot(page, "conv-arithmetic", artifacts, "kernel-too-big")
    page.locator("#conv-controls").get_by_label("padding p").fill("1")  # 3 + 2·1 = 5: fits again
    expect(problem).to_be_hidden()
    expect(page.get_by_test_id("conv-formula")).to_contain_text("= 1")
    page.get_by_label("kernel channel 0, row 0, column 0").fill("abc")
    expect(problem).to_contain_text('"abc" is not a number')


# -- a phone ----------------------------------------------------------------------------------


def test_phone_fits_and_works_by_touch(phone, server, artifacts):
    page, _ = phone
    open_anatomy(page, server)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width} px wide"
    page.get_by_test_id("conv-output").locator('.cell[data-r="1"][data-s="1"]').tap()
    expect(page.get_by_test_id("sliding-view").get_by_test_id("step-label")).to_have_text(
        "output 4 of 4"
    )
    page.get_by_test_id("sliding-view").get_by_test_id("step-prev").tap()
    expect(page.get_by_test_id("equation-view").get_by_test_id("equation-sum")).to_have_text("68")
    expect(page.get_by_test_id("matrix-check")).to_contain_text("✓")
    page.screenshot(path=str(artifacts / "anatomy-phone.png"), full_page=True)
