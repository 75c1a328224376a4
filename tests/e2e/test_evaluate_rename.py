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


def test_a_half_typed_name_outlives_an_evaluation_that_redraws_the_table(browser, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    for i, name in enumerate(["Lesson CNN", "Spare CNN"]):
        Model.from_spec(TWO_CONVS, seed=i, name=name, meta={"dataset": "mnist"}).save(
            models / f"{name.lower().replace(' ', '-')}.npz"
        )
    env = app_env(models_dir=models, default_model="lesson-cnn", log_level="warning")
    with LiveServer(tmp_path / "rename.log", env) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{server.url}/evaluate?model=lesson-cnn")
        spare = page.locator('[data-model="spare-cnn"]')
        expect(page.locator("body")).not_to_have_attribute(
            "data-evaluating", "true", timeout=SCORING_MS
        )
        spare.get_by_role("button", name="Rename").click()
        page.keyboard.type("Half typed")  # the editor has the focus, its old name selected
        page.get_by_test_id("eval-model-select").select_option("spare-cnn")  # redraws the rows
        expect(page.locator("body")).not_to_have_attribute(
            "data-evaluating", "true", timeout=SCORING_MS
        )
        box = spare.get_by_label("New name for spare-cnn")
        expect(box).to_have_value("Half typed")
        box.focus()
        page.keyboard.type(" name")
        page.keyboard.press("Enter")
        expect(spare).to_contain_text("Half typed name")
        expect(spare.get_by_label("New name for spare-cnn")).to_have_count(0)
        context.close()
