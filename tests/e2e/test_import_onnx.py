"""Import ONNX models through the Evaluate page, then explore them in the explorer.

A server of its own (a temporary, empty models directory: nothing is written into ``models/``)
and Chromium: the import form takes the .onnx, its external data and the Normalize preset; the
explorer then draws every layer of the import — batch norm with its numbers — for a drawn 7.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import SEVEN, draw, open_page, serve
from tests.onnx_fixtures import FIXTURES

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def import_server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("e2e-import-models")
    log = tmp_path_factory.mktemp("e2e-import-server") / "server.log"
    cache = tmp_path_factory.mktemp("e2e-import-cache")
    yield from serve(directory, False, log, cache_dir=cache)


@pytest.fixture
def page(browser, import_server, request):
    for page, watch in open_page(
        browser, import_server, request, viewport={"width": 1280, "height": 900}
    ):
        # leaving the Evaluate page cancels the thumbnails of mistakes still loading: not a fault
        watch.expect_error(r"request failed: .*/api/datasets/\S+\.png\S* net::ERR_ABORTED")
        yield page


def import_through_form(page, server, files, name, preset="totensor") -> dict:
    page.goto(server.url + "/evaluate")
    form = page.get_by_test_id("import-form")
    form.get_by_test_id("import-weights").set_input_files(str(files[0]))
    if len(files) > 1:
        form.get_by_test_id("import-external").set_input_files([str(f) for f in files[1:]])
    form.locator('input[name="name"]').fill(name)
    form.get_by_test_id("import-preset").select_option(preset)
    model_id = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")  # ids come from names
    # the page then evaluates the new model on the test set, with its input convention
    with page.expect_response(
        lambda r: r.url.endswith(f"/api/models/{model_id}/evaluation"), timeout=120_000
    ):
        form.get_by_role("button", name="Import").click()
        expect(page.locator("#import-note")).to_contain_text("Imported as", timeout=60_000)
    expect(page.locator("#import-note")).to_contain_text("(onnx)")
    expect(page.locator("#accuracy")).to_have_text(re.compile(r"\d%$"))
    models = server.get_json("/api/models")["models"]
    return next(m for m in models if m["name"] == name)


def test_import_lenet_with_normalize_then_draw(page, import_server, artifacts):
    info = import_through_form(page, import_server, [FIXTURES / "lenet.onnx"], "My LeNet", "mnist")
    assert info["input"]["mean"] == [0.1307] and info["input"]["std"] == [0.3081]
    accuracy = float(page.locator("#accuracy").inner_text().rstrip("%"))
    assert accuracy > 90  # with Normalize applied; the same file without it scores far lower
    expect(page.get_by_test_id("models-table")).to_contain_text("My LeNet")
    page.screenshot(path=str(artifacts / "import-form-done.png"), full_page=True)

    page.goto(f"{import_server.url}/?model={info['id']}")
    detail = import_server.get_json(f"/api/models/{info['id']}")
    expect(page.get_by_test_id(f"layer-{len(detail['layers']) - 1}")).to_be_attached()
    draw(page, SEVEN)
    expect(page.get_by_test_id("prediction")).to_have_text("7")
    for layer in detail["layers"]:
        block = page.get_by_test_id(f"layer-{layer['index']}")
        block.scroll_into_view_if_needed()  # a block is painted once it comes near the viewport
        expect(block.locator(".layer-body.is-empty")).to_have_count(0)
        if len(layer["output_shape"]) == 3:
            expect(block.locator(".map canvas")).to_have_count(layer["output_shape"][0])
    page.screenshot(path=str(artifacts / "import-lenet-seven.png"), full_page=True)


def test_import_dynamo_with_external_data_and_batchnorm_numbers(page, import_server, artifacts):
    dynamo = FIXTURES / "dynamo"
    info = import_through_form(
        page, import_server, [dynamo / "model.onnx", dynamo / "model.onnx.data"], "Dynamo twin"
    )
    assert info["source"] == "onnx"
    bn = import_through_form(page, import_server, [FIXTURES / "bn_dropout.onnx"], "BN net")
    page.goto(f"{import_server.url}/?model={bn['id']}")
    detail = import_server.get_json(f"/api/models/{bn['id']}")
    index = next(layer["index"] for layer in detail["layers"] if layer["type"] == "batchnorm2d")
    draw(page, SEVEN)
    expect(page.get_by_test_id("prediction")).not_to_have_text("")
    block = page.get_by_test_id(f"layer-{index}")
    block.get_by_test_id("layer-numbers").locator("summary").click()
    numbers = block.get_by_test_id("layer-numbers")
    expect(numbers.locator('tr[data-array="running_var"] td')).to_have_count(
        detail["layers"][index]["output_shape"][0]
    )
    expect(numbers).to_contain_text("running mean")
    block.screenshot(path=str(artifacts / "import-bn-numbers.png"))
