"""The anatomy page's pooling and parameter counts in a real browser: stepping through pooling
windows and their winners, a conv layer's parameters against a dense layer's. Screenshots go
to ``artifacts/e2e/``."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_pooling_steps_through_windows_and_winners(anatomy, artifacts):
    page = anatomy
    pool = page.get_by_test_id("pool-view")
    explain = pool.get_by_test_id("pool-explain")
    expect(explain).to_contain_text("y[0, 0] = largest of { 4, 5, 9, 2 } = 9")
    expect(pool.locator(".cell.is-winner")).to_have_count(1)
    expect(pool.locator(".cell.is-winner")).to_have_text("9")
    pool.get_by_test_id("step-next").click()
    expect(explain).to_contain_text("y[0, 1] = largest of { 1, 2, 7, 2 } = 7")
    pool.get_by_test_id("pool-mode").select_option("avg")
    expect(explain).to_contain_text("mean of")
    expect(pool.locator(".cell.is-winner")).to_have_count(0)
    page.locator('#pool-presets [data-preset="overlapping-3x3-stride-2"]').click()
    expect(pool.get_by_test_id("pool-formula")).to_contain_text("⌊(5 + 2·1 − 3) / 2⌋ + 1 = 3")
    expect(pool.locator(".pool-stage .cell.is-window")).to_have_count(9)  # 4 of them padding
    pool.screenshot(path=str(artifacts / "anatomy-pool-overlap.png"))
    page.locator('#pool-presets [data-preset="global-max"]').click()
    expect(pool.get_by_test_id("pool-formula")).to_contain_text("global pooling")
    expect(pool.get_by_label("padding p")).to_be_disabled()
    page.locator('#pool-presets [data-preset="max-2x2"]').click()
    pool.get_by_label("padding p").fill("2")
    expect(pool.locator(".problem")).to_contain_text("more than half the kernel")


def test_parameter_count_conv_against_dense(anatomy, artifacts):
    page = anatomy
    params = page.get_by_test_id("params-view")
    expect(params.get_by_test_id("params-dense")).to_have_text("25,165,824")
    expect(params.get_by_test_id("params-conv")).to_have_text("75")
    params.get_by_label("filters", exact=True).fill("6")
    expect(params.get_by_test_id("params-conv")).to_have_text("450")
    params.screenshot(path=str(artifacts / "anatomy-params.png"))
