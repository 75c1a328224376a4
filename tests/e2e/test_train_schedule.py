"""The Train page's schedule in a real browser: pick one-cycle with the keyboard, see the warm-up
appear and the learning-rate curve the server computed, choose sgd with Nesterov momentum, weight
decay and label smoothing, train a tiny job to the end; and fill the form with an installed
model's recipe in one click.

This module's server has its own temporary models and data directories (``serve_for_training``)
plus a model ``tiny`` whose card records a one-cycle recipe, so the ``tiny`` architecture offers it.
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from engine import architectures
from engine.model import Model
from tests.app.trainset import ONECYCLE
from tests.e2e.helpers import serve_for_training

pytestmark = pytest.mark.e2e

TRAIN_TIMEOUT_MS = 180_000
RECIPE = {**ONECYCLE, "epochs": 1, "batch_size": 32, "augment": False, "seed": 3}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    for served in serve_for_training(tmp_path_factory.mktemp("e2e-schedule")):
        card = {"dataset": "mnist", "test_accuracy": 0.5, "training": {"config": RECIPE}}
        card["command"] = "python -m engine train --arch tiny --optimiser sgd --nesterov ..."
        layers = architectures.load_spec("tiny")["layers"]
        Model.from_spec(layers, seed=0, name="Tiny recipe", meta=card).save(
            served.models_dir / "tiny.npz"
        )  # the server's registry picks it up at its next look
        yield served


def schedule_of(server, body: dict) -> dict:
    """What ``POST /api/train/schedule`` says for ``body``: the numbers the page must show."""
    request = urllib.request.Request(
        server.url + "/api/train/schedule",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.load(r)


def test_pick_one_cycle_with_the_keyboard_and_train_to_the_end(desktop, server, artifacts):
    page, _ = desktop
    page.goto(server.url + "/train")
    page.wait_for_selector("[data-testid=arch-summary]:has-text('parameters')")
    chart = page.locator("[data-testid=lr-chart]")
    expect(chart).to_have_attribute("data-schedule", "cosine")  # the default, drawn at once
    warmup = page.get_by_label("Warm-up (fraction of the steps)")
    nesterov = page.get_by_label("Nesterov momentum", exact=False)
    expect(warmup).to_be_hidden()
    expect(nesterov).to_be_hidden()  # adam

    schedule = page.get_by_label("Schedule")
    schedule.focus()
    page.keyboard.press("ArrowDown")  # cosine → one-cycle, as a keyboard user would
    expect(schedule).to_have_value("onecycle")
    expect(warmup).to_be_visible()
    page.get_by_label("Optimiser").select_option("sgd")
    expect(nesterov).to_be_visible()
    nesterov.check()
    page.get_by_label("Learning rate (peak)").fill("0.05")
    page.get_by_label("Weight decay").fill("0.0005")
    page.get_by_label("Label smoothing").fill("0.1")
    page.fill("input[name=name]", "One cycle net")
    page.fill("input[name=epochs]", "1")
    page.fill("input[name=batch_size]", "16")
    page.fill("input[name=limit]", "400")
    page.uncheck("input[name=augment]")

    # the curve is the server's: 400 images / 16 = 25 steps, a fifth of them rising
    body = {"epochs": 1, "batch_size": 16, "limit": 400, "lr": 0.05, "lr_schedule": "onecycle"}
    curve = schedule_of(server, body)
    caption = page.locator("#lr-caption")
    expect(caption).to_contain_text(f"One-cycle over {curve['total_steps']} steps")
    expect(caption).to_contain_text(f"to its peak 0.05 in the first {curve['warmup_steps']} steps")
    expect(chart).to_have_attribute("data-points", str(len(curve["points"])))
    page.locator(".settings-card").screenshot(path=str(artifacts / "train-schedule-onecycle.png"))

    page.click("[data-testid=start-training]")
    page.wait_for_selector(
        "[data-testid=training-progress][data-state=done]", timeout=TRAIN_TIMEOUT_MS
    )
    assert "saved as model 'one-cycle-net'" in page.inner_text("[data-testid=job-state]").lower()
    job = server.get_json("/api/train")["jobs"][0]
    assert job["state"] == "done" and job["model_id"] == "one-cycle-net"
    sent = {k: job["request"][k] for k in ONECYCLE}
    assert sent == {**ONECYCLE, "warmup": 0.2}  # the page's default warm-up
    assert [p["lr"] for p in job["steps_history"]] == [p["lr"] for p in curve["points"]]
    page.screenshot(path=str(artifacts / "train-schedule-done.png"), full_page=True)


def test_a_models_recipe_fills_the_form_and_other_architectures_have_none(desktop, server):
    page, _ = desktop
    page.goto(server.url + "/train")
    box = page.locator("[data-testid=recipe]")
    expect(box).to_be_visible()  # the tiny preset: the model "tiny" says how it was trained
    expect(box).to_contain_text("How Tiny recipe was trained (50.0% on its test set)")
    page.click("[data-testid=use-recipe]")
    expect(page.get_by_label("Schedule")).to_have_value("onecycle")
    expect(page.get_by_label("Warm-up (fraction of the steps)")).to_have_value("0.3")
    expect(page.get_by_label("Optimiser")).to_have_value("sgd")
    expect(page.get_by_label("Nesterov momentum", exact=False)).to_be_checked()
    expect(page.get_by_label("Label smoothing")).to_have_value("0.1")
    expect(page.locator("input[name=batch_size]")).to_have_value("32")
    expect(page.locator("input[name=augment]")).not_to_be_checked()
    curve = schedule_of(server, RECIPE)  # every training image: the data set's size
    expect(page.locator("#lr-caption")).to_contain_text(
        f"in the first {curve['warmup_steps']:,} steps"
    )

    page.select_option("#preset", "mnist-cnn")  # its model's card records no training
    expect(box).to_be_hidden()
