"""A new user's first minutes (issue 27), in Chromium, on a server of its own: two models
copied from the shipped one (so both may be changed), and a data folder holding a small slice
of MNIST as both its training and its test set (so scoring and training take a moment).

The chosen model follows the person from page to page; the answer is on screen right after a
stroke; the input convention is changed after import and the score follows; training scrolls
to its progress; every panel rounds a probability the same way."""

from __future__ import annotations

import gzip
import shutil

import pytest
from playwright.sync_api import expect

from app.core.settings import REPO_ROOT
from tests.e2e.helpers import SEVEN, SHIPPED, Server, draw, wait_until
from tests.live import LiveServer, app_env

pytestmark = pytest.mark.e2e

IMAGES = 300  # the slice of MNIST's test set standing in for both sets


def small_mnist(folder) -> None:
    """The first ``IMAGES`` of MNIST's test set as ``folder``'s training and test IDX files."""
    source = REPO_ROOT / "data" / "mnist"
    images = gzip.decompress((source / "t10k-images-idx3-ubyte.gz").read_bytes())
    labels = gzip.decompress((source / "t10k-labels-idx1-ubyte.gz").read_bytes())
    count = IMAGES.to_bytes(4, "big")
    images = images[:4] + count + images[8:16] + images[16 : 16 + IMAGES * 784]
    labels = labels[:4] + count + labels[8 : 8 + IMAGES]
    for split in ("train", "t10k"):
        (folder / f"{split}-images-idx3-ubyte").write_bytes(images)
        (folder / f"{split}-labels-idx1-ubyte").write_bytes(labels)


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    if not SHIPPED.is_file():
        pytest.skip("needs the shipped model")
    models = tmp_path_factory.mktemp("first-models")
    for model_id in ("mine", "other"):
        shutil.copy(SHIPPED, models / f"{model_id}.npz")
    data = tmp_path_factory.mktemp("first-data")
    small_mnist(data)
    root = tmp_path_factory.mktemp("first-server")
    env = app_env(models_dir=models, data_dir=data, cache_dir=root, log_level="warning")
    with LiveServer(root / "server.log", env) as live:
        yield Server(live.url, models, True)


@pytest.fixture
def open_page(browser, own):
    """``open_page(path, width, height)``: a fresh context (its own localStorage)."""
    contexts = []

    def open_(path: str, width: int = 1440, height: int = 900, **more):
        context = browser.new_context(viewport={"width": width, "height": height}, **more)
        contexts.append(context)
        page = context.new_page()
        page.goto(own.url + path)
        return page

    yield open_
    for c in contexts:
        c.close()


def test_the_chosen_model_follows_from_page_to_page(open_page, own):
    page = open_page("/?model=other")
    expect(page.get_by_test_id("model-select")).to_have_value("other")
    evaluate = page.locator(".site-nav a", has_text="Evaluate")
    assert "model=other" in evaluate.get_attribute("href")
    page.goto(own.url + "/filters")  # no ?model=: remembered
    expect(page.locator("#filters-model, select").first).to_have_value("other")
    page.goto(own.url + "/evaluate")
    expect(page.get_by_test_id("eval-model-select")).to_have_value("other")
    assert "model=other" in page.url
    page.get_by_test_id("eval-model-select").select_option("mine")
    page.goto(own.url + "/")
    expect(page.get_by_test_id("model-select")).to_have_value("mine")


@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["laptop", "phone"])
def test_the_answer_is_on_screen_right_after_a_stroke(open_page, size):
    page = open_page("/?model=mine", *size)
    expect(page.get_by_test_id("model-select")).to_have_value("mine")
    draw(page, SEVEN)
    expect(page.get_by_test_id("prediction")).not_to_have_text("")
    label = page.get_by_test_id("prediction").text_content()
    answer = page.get_by_test_id("pad-answer")
    expect(answer).to_contain_text(label)
    box = answer.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= size[1], box
    assert box["x"] >= 0 and box["x"] + box["width"] <= size[0], box


def test_every_panel_rounds_a_probability_the_same_way(open_page):
    page = open_page("/?model=mine")
    draw(page, SEVEN)
    wait_until(page, "Number(document.body.dataset.renders || 0) > 0")
    card = page.locator('[data-testid="probabilities"] .prob-value').all_text_contents()
    softmax = page.get_by_test_id("network-overview").locator("[data-layer]").last
    overview = softmax.locator(".ov-value").all_text_contents()
    assert card == overview, (card, overview)
    assert not any(t in ("0%", "100%") for t in card), card  # a softmax is never exactly either


def test_the_convention_changes_after_import_and_the_score_follows(open_page, own):
    page = open_page("/evaluate?model=mine")
    form = page.get_by_test_id("convention-form")
    expect(form).to_be_visible()
    expect(page.locator("#accuracy")).not_to_have_text("–")
    before = page.locator("#accuracy").text_content()
    form.get_by_test_id("convention-invert").check()  # white ink on black read as black on white
    with page.expect_response(lambda r: r.url.endswith("/api/models/mine/evaluation")):
        form.get_by_test_id("convention-save").click()
    expect(page.locator("#convention-note")).to_contain_text("scored again")
    assert page.locator("#accuracy").text_content() != before
    assert own.get_json("/api/models/mine")["input"]["invert"] is True


def test_starting_training_brings_the_progress_on_screen(open_page):
    page = open_page("/train")
    start = page.get_by_test_id("start-training")
    expect(start).to_be_enabled()
    page.locator('#settings input[name="limit"]').fill("64")
    page.locator('#settings input[name="epochs"]').fill("1")
    start.click()
    wait_until(page, "document.querySelector('.progress-card').getBoundingClientRect().top < 200")
    expect(page.get_by_test_id("training-progress")).to_be_in_viewport()


def test_anatomy_says_what_was_typed_and_marks_the_views_out_of_date(open_page):
    page = open_page("/anatomy")
    expect(page.get_by_test_id("conv-formula")).not_to_be_empty()
    playground = page.locator("#playground")
    problem = page.get_by_test_id("field-problem")
    height = page.locator("#conv-controls").get_by_label("height H", exact=True)
    height.fill("-3")
    expect(problem).to_contain_text("you typed −3")
    expect(problem).to_contain_text("from 1 to")
    expect(height).to_have_value("-3")  # kept as typed, not turned into 1
    expect(playground).to_have_class("section is-stale")
    expect(page.get_by_test_id("conv-problem")).not_to_contain_text("kernel")
    height.fill("5")
    expect(playground).not_to_have_class("section is-stale")
    width = page.locator("#conv-controls").get_by_label("width W", exact=True)
    width.fill("100000")
    expect(problem).to_contain_text("you typed 100000")
    expect(width).to_have_value("100000")
    assert "max_conv_input_side" not in page.locator("main").inner_text()
    page.locator("#conv-controls").get_by_label("stride s", exact=True).fill("0")
    width.fill("5")
    page.locator("#conv-controls").get_by_label("padding p", exact=True).fill("1.5")
    expect(page.get_by_test_id("conv-problem")).to_contain_text("you typed 1.5")
    page.locator("#conv-controls").get_by_label("padding p", exact=True).fill("0")
    expect(page.get_by_test_id("conv-problem")).to_contain_text("never move the window")


def test_missing_training_data_is_said_before_start_with_the_command(browser, server):
    """The shared server has MNIST's test set only: the Train page says so before Start."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(server.url + "/train")
    note = page.get_by_test_id("data-missing")
    expect(note).to_be_visible()
    expect(page.get_by_test_id("start-training")).to_be_disabled()
    command = page.get_by_test_id("data-command").text_content()
    assert command.startswith(".venv/bin/python -m engine download --dataset mnist"), command
    expect(note).to_contain_text("CNN_EXPLORER_DATA_DIR")
    assert "`" not in note.inner_text()
    start, said = page.get_by_test_id("start-training").bounding_box(), note.bounding_box()
    assert 0 <= said["y"] - (start["y"] + start["height"]) < 120  # beside the button
    page.get_by_test_id("data-recheck").click()
    expect(note).to_be_visible()
    context.close()


def test_every_heatmap_has_a_colour_scale(open_page, own):
    page = open_page("/anatomy?model=mine")
    real = page.get_by_test_id("real-layer")
    real.scroll_into_view_if_needed()
    expect(real.get_by_test_id("matrix-check")).to_contain_text("feature map", timeout=30_000)
    for part in (real.locator(".real-part").nth(0), real.locator(".real-part").nth(1)):
        expect(part.get_by_test_id("legend")).to_contain_text("max")
    expect(real.get_by_test_id("real-feature-map").get_by_test_id("legend")).to_be_visible()
    page.goto(own.url + "/filters?model=mine")
    legends = page.get_by_test_id("filters-legends").get_by_test_id("legend")
    expect(legends.first).to_contain_text("weights")
    expect(legends.nth(1)).to_contain_text("ink")
    page.goto(own.url + "/?model=mine")
    page.locator('[data-testid="gallery"] .digit').first.click()
    shift = page.get_by_test_id("shift-view")
    shift.scroll_into_view_if_needed()
    expect(shift.locator(".shift-layer").first.get_by_test_id("legend")).to_be_visible()
    backprop = page.get_by_test_id("backprop-view")
    backprop.scroll_into_view_if_needed()
    backprop.locator('[data-target="3"]').click()
    layers = backprop.locator(".bp-layer")
    expect(layers.last.get_by_test_id("legend")).to_be_visible(timeout=30_000)
    for k in range(layers.count()):
        assert layers.nth(k).get_by_test_id("legend").count() >= 1, layers.nth(k).inner_text()


def test_import_and_export_are_reachable_from_the_picker_and_the_nav(open_page, own):
    page = open_page("/?model=other")
    expect(page.get_by_test_id("model-select")).to_have_value("other")
    assert page.get_by_test_id("picker-onnx").get_attribute("href").endswith("/other/model.onnx")
    assert page.get_by_test_id("picker-npz").get_attribute("href").endswith("/other/weights.npz")
    onnx = page.request.get(own.url + page.get_by_test_id("picker-onnx").get_attribute("href"))
    assert onnx.ok and len(onnx.body()) > 1000
    page.get_by_test_id("picker-import").click()
    expect(page.get_by_test_id("import-form")).to_be_in_viewport()
    page.locator(".site-nav a", has_text="Models").click()
    row = page.locator('tr[data-model="other"]')
    expect(row.get_by_test_id("export-onnx")).to_be_visible()
    page.goto(own.url + "/docs")
    page.get_by_test_id("back-to-app").click()
    expect(page.get_by_test_id("draw-canvas")).to_be_visible()


def test_the_polish(open_page, own):
    """Ordinals in words, the real layer's arrow beside the map it points at, a long list of
    terms that says it scrolls, the picker's names whole."""
    page = open_page("/anatomy?model=mine", 900, 900)
    said = page.evaluate(
        """async () => {
          const { ordinal } = await import('/static/js/shared/format.js');
          return [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101].map(ordinal);
        }"""
    )
    assert said == ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd"] + [
        "101st"
    ]
    real = page.get_by_test_id("real-layer")
    real.scroll_into_view_if_needed()
    real.locator("select").nth(1).select_option(index=1)  # conv2: a long list of products
    expect(real.get_by_test_id("matrix-check")).to_contain_text("196 outputs", timeout=30_000)
    for step in real.locator(".real-step").all():
        op, part = step.locator(".op").bounding_box(), step.locator(".real-part").bounding_box()
        assert part["y"] <= op["y"] <= part["y"] + part["height"]  # on the row it points along
        assert 0 <= part["x"] - (op["x"] + op["width"]) < 40
    expect(real.get_by_test_id("equation-more")).to_contain_text("Scroll the list for all")
