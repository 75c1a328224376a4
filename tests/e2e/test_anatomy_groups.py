"""A grouped convolution on the anatomy page, in Chromium: the committed depthwise (groups 8) +
grouped (groups 2) ONNX fixture, imported and served; the real-layer view takes it apart one
group at a time, the group chosen by keyboard, and the numbers on screen are the API's. The
overview's click-to-anatomy on a grouped unit opens the unit's own group.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from engine.onnx_import import import_onnx
from tests.e2e.helpers import (
    activation,
    open_page,
    overview_point,
    point_at,
    post_json,
    serve,
    wait_until,
)
from tests.onnx_fixtures import fixture_bytes

pytestmark = pytest.mark.e2e

MODEL = "depthwise"
DEPTHWISE, GROUPED = 2, 4  # the fixture's grouped conv layers


@pytest.fixture(scope="module")
def grouped_server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("e2e-grouped-models")
    model = import_onnx(*fixture_bytes("depthwise_elu.onnx"), name="Depthwise + grouped")
    model.meta["dataset"] = "mnist"
    model.save(directory / f"{MODEL}.npz")
    log = tmp_path_factory.mktemp("e2e-grouped-server") / "server.log"
    yield from serve(directory, False, log)


@pytest.fixture
def page(browser, grouped_server, request):
    for page, _ in open_page(
        browser, grouped_server, request, viewport={"width": 1280, "height": 900}
    ):
        yield page


def anatomy_of(server, layer: int, group: int, body: dict) -> dict:
    path = f"/api/models/{MODEL}/layers/{layer}/anatomy?group={group}"
    return post_json(server, path, body)


def test_switching_group_by_keyboard_shows_the_apis_numbers(page, grouped_server, artifacts):
    page.goto(f"{grouped_server.url}/anatomy?model={MODEL}&layer={GROUPED}#real-layer")
    real = page.get_by_test_id("real-layer")
    group = real.get_by_test_id("real-group")
    expect(group).to_be_visible()
    expect(group.locator("option")).to_have_count(2)
    expect(group).to_have_value("0")
    filters = real.get_by_test_id("real-filter")
    expect(filters.locator("option")).to_have_count(8)  # 16 filters, 8 per group
    check, group_check = page.get_by_test_id("matrix-check"), page.get_by_test_id("group-check")
    expect(group_check).to_contain_text("✓")

    with page.expect_response(lambda r: f"/layers/{GROUPED}/anatomy?group=1" in r.url) as sent:
        group.focus()
        page.keyboard.press("ArrowDown")  # a <select>: the keyboard changes the group
    expect(group).to_have_value("1")
    expect(real.locator(".real-title")).to_contain_text("group 1 of 2")
    expect(real.locator(".real-title")).to_contain_text("filter 8 of 16")
    expect(real.locator(".inputs-title")).to_contain_text("channels 4–7 of 8")
    expect(filters.locator("option").first).to_have_attribute("value", "8")
    expect(real.locator(".channel-grid").first.locator("figcaption")).to_have_text(
        ["4", "5", "6", "7"]
    )
    expect(check).to_contain_text("✓")
    expect(group_check).to_contain_text("✓")

    # the same drawing, asked of the API directly: the numbers on screen are its numbers
    api = anatomy_of(grouped_server, GROUPED, 1, sent.value.request.post_data_json)
    assert api["group_in_channels"] == [4, 5, 6, 7] and api["filter"] == 8
    total = real.get_by_test_id("real-equation").get_by_test_id("equation-sum")
    expect(total).to_be_visible()
    assert float(total.text_content()) == pytest.approx(api["step"]["sum"], rel=1e-5, abs=1e-6)
    g = api["group_check"]
    expect(group_check).to_contain_text(f"M_1 ({g['rows']:,} × {g['cols']:,})")
    expect(real.get_by_test_id("real-equation").locator(".eq-term")).to_have_count(4)  # 4·1·1
    expect(real.get_by_test_id("real-equation").locator(".eq-term").first).to_contain_text("x4:")
    # the dense view of the same M: the group's 4 × 13 × 13 inputs, one filter's 169 outputs
    dense = real.get_by_test_id("real-dense")
    summary = dense.locator(".dense-summary")
    expect(summary).to_contain_text("676 inputs → 169 outputs")
    expect(summary).to_contain_text(f"keeps {len(api['matrix']['entries'])}")
    real.screenshot(path=str(artifacts / "anatomy-grouped-group1.png"))


def test_a_depthwise_filter_from_the_url_opens_in_its_group(page, grouped_server, artifacts):
    url = f"{grouped_server.url}/anatomy?model={MODEL}&layer={DEPTHWISE}&filter=6#real-layer"
    page.goto(url)
    real = page.get_by_test_id("real-layer")
    expect(real.get_by_test_id("real-group")).to_have_value("6")
    expect(real.get_by_test_id("real-filter")).to_have_value("6")
    expect(real.get_by_test_id("real-filter").locator("option")).to_have_count(1)
    expect(real.locator(".real-title")).to_contain_text("group 6 of 8 (input channel 6")
    expect(page.get_by_test_id("matrix-check")).to_contain_text("✓")
    expect(real.get_by_test_id("real-equation").locator(".eq-term")).to_have_count(9)  # 1·3·3
    real.screenshot(path=str(artifacts / "anatomy-depthwise-group6.png"))


def test_the_overviews_click_to_anatomy_picks_the_units_group(page, grouped_server, artifacts):
    page.goto(grouped_server.url + "/?gallery=0")
    wait_until(page, "Number(document.body.dataset.renders || 0) > 0")
    model = grouped_server.get_json(f"/api/models/{MODEL}")
    answer = point_at(page, GROUPED, 0.8, 0.7)  # a unit in the lower half: group 1 likely
    conn = answer.json()
    f, i, j = conn["unit"]
    with page.expect_response(lambda r: "/anatomy" in r.url):
        page.mouse.click(*overview_point(page, GROUPED, 0.8, 0.7))
    panel = page.get_by_test_id("unit-anatomy")
    total = panel.get_by_test_id("unit-anatomy-sum")
    expect(total).to_be_visible()
    expected = activation(grouped_server, model, answer.request.post_data_json, GROUPED, [f, i, j])
    # activations keep 4 significant digits
    assert float(total.text_content()) == pytest.approx(expected, rel=1e-3, abs=1e-4)
    expect(panel.locator(".eq-term")).to_have_count(4)  # the group's 4 channels, not all 8
    href = panel.get_by_test_id("unit-anatomy-link").get_attribute("href")
    assert f"filter={f}" in href and f"group={f // 8}" in href
    with page.expect_navigation():
        panel.get_by_test_id("unit-anatomy-link").click()
    real = page.get_by_test_id("real-layer")
    expect(real.get_by_test_id("real-group")).to_have_value(str(f // 8))
    expect(real.get_by_test_id("real-filter")).to_have_value(str(f))
    expect(real.get_by_test_id("real-equation")).to_contain_text(f"y[{i}, {j}]")
    page.screenshot(path=str(artifacts / "overview-grouped-to-anatomy.png"))
