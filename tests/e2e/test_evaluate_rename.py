"""A rename in progress on the Evaluate page's models table survives the table being redrawn:
an evaluation that finishes while someone types (slow on a busy server) used to rebuild every
row, and took the half-typed name and its Save button away."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from engine.model import Model
from tests.live import LiveServer, app_env
from tests.specs import TWO_CONVS

pytestmark = pytest.mark.e2e

SCORING_MS = 120_000  # an evaluation scores every test image


def open_evaluate(browser, server):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{server.url}/evaluate?model=lesson-cnn")
    settled(page)
    return page


def settled(page) -> None:
    """Wait for the evaluation the page runs (and its redraw of the rows) to end."""
    body = page.locator("body")
    expect(body).not_to_have_attribute("data-evaluating", "true", timeout=SCORING_MS)


def serve(tmp_path) -> LiveServer:
    models = tmp_path / "models"
    models.mkdir()
    for i, name in enumerate(["Lesson CNN", "Spare CNN"]):
        Model.from_spec(TWO_CONVS, seed=i, name=name, meta={"dataset": "mnist"}).save(
            models / f"{name.lower().replace(' ', '-')}.npz"
        )
    env = app_env(models_dir=models, default_model="lesson-cnn", log_level="warning")
    return LiveServer(tmp_path / "rename.log", env)


def test_a_half_typed_name_outlives_an_evaluation_that_redraws_the_table(browser, tmp_path):
    with serve(tmp_path) as server:
        page = open_evaluate(browser, server)
        spare = page.locator('[data-model="spare-cnn"]')
        spare.get_by_role("button", name="Rename").click()
        page.keyboard.type("Half typed")  # the editor has the focus, its old name selected
        page.get_by_test_id("eval-model-select").select_option("spare-cnn")  # redraws the rows
        settled(page)
        box = spare.get_by_label("New name for spare-cnn")
        expect(box).to_have_value("Half typed")
        box.focus()  # the caret is where typing stopped
        page.keyboard.type(" name")
        page.keyboard.press("Enter")
        expect(spare).to_contain_text("Half typed name")
        expect(spare.get_by_label("New name for spare-cnn")).to_have_count(0)
        page.context.close()


def test_a_redraw_leaves_the_focus_where_it_was(browser, tmp_path):
    """Typing goes on in an editor that had the focus when the rows were redrawn; an editor
    that did not have it never takes it from the control the person is using."""
    with serve(tmp_path) as server:
        page = open_evaluate(browser, server)
        spare = page.locator('[data-model="spare-cnn"]')
        choice = page.get_by_test_id("eval-model-select")
        spare.get_by_role("button", name="Rename").click()
        page.keyboard.type("Half")
        choice.select_option("spare-cnn")  # an evaluation starts: it redraws when it ends
        box = spare.get_by_label("New name for spare-cnn")
        box.focus()
        page.keyboard.type(" typed")
        settled(page)
        expect(box).to_be_focused()
        page.keyboard.type(" on")
        expect(box).to_have_value("Half typed on")
        for other in ("lesson-cnn", "spare-cnn"):  # two redraws with the focus on the choice
            choice.focus()
            choice.select_option(other)
            settled(page)
            expect(choice).to_be_focused()
        expect(box).to_have_value("Half typed on")
        page.context.close()
