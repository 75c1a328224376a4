"""The training options beyond the basics, from the API: the one-cycle schedule and its warm-up,
weight decay, Nesterov momentum and label smoothing — bounded, refused naming the field and the
limit, recorded in the job, given to the engine (a tiny one-cycle job runs to done on the live
server and its steps follow the curve ``POST /api/train/schedule`` drew), and offered back as
the recipe of the model it made.
"""

from __future__ import annotations

import pytest

from app.core.registry import LoadedModel
from app.training.recipes import recipe
from app.training.schedule import MAX_POINTS
from app.training.schemas import TrainRequest
from engine.model import Model
from engine.train import TrainConfig, lr_at
from tests.app.trainset import JOB, ONECYCLE, TINY, events, start
from tests.utils import refused

NEW_FIELDS = ("lr_schedule", "warmup", "weight_decay", "nesterov", "label_smoothing")


def test_the_new_fields_take_good_values_and_default_to_the_old_behaviour():
    body = TrainRequest.model_validate({**JOB, **ONECYCLE})
    assert {k: getattr(body, k) for k in ONECYCLE} == ONECYCLE
    plain = TrainRequest.model_validate(JOB)  # what a client of the contract sends
    assert (plain.lr_schedule, plain.weight_decay, plain.nesterov) == ("cosine", 0.0, False)
    assert plain.label_smoothing == 0.0 and plain.warmup == 0.2
    for schedule in ("cosine", "onecycle", "constant"):
        assert TrainRequest.model_validate({**JOB, "lr_schedule": schedule})
    edges = {"warmup": 0.999, "weight_decay": 0.1, "label_smoothing": 0.0}
    assert TrainRequest.model_validate({**JOB, **edges}).weight_decay == 0.1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"lr_schedule": "step"}, ["lr_schedule", "'onecycle'"]),
        ({"warmup": 0}, ["warmup", "greater than 0"]),
        ({"warmup": 1}, ["warmup", "less than 1"]),
        ({"weight_decay": -1e-4}, ["weight_decay", "greater than or equal to 0"]),
        ({"weight_decay": 0.5}, ["weight_decay", "less than or equal to 0.1"]),
        ({"label_smoothing": 1.0}, ["label_smoothing", "less than 1"]),
        ({"label_smoothing": -0.1}, ["label_smoothing", "greater than or equal to 0"]),
        ({"nesterov": True}, ["nesterov", "'sgd' optimiser only, not 'adam'"]),
        ({"nesterov": True, "optimiser": "adam"}, ["nesterov", "not 'adam'"]),
    ],
)
def test_bad_values_are_refused_naming_the_field_and_the_limit(http, change, words):
    refused(http.post("/api/train", json={**JOB, **change}), 422, *words)
    shaping = {"lr_schedule", "warmup"} & set(change)  # the rest do not shape the curve
    r = http.post("/api/train/schedule", json={**JOB, **change})
    assert r.status_code == (422 if shaping else 200), r.text


def test_the_schedule_is_the_engines_step_by_step(http):
    body = {**JOB, **ONECYCLE, "epochs": 2}  # 300 images / 32: 10 steps an epoch, 20 in all
    curve = http.post("/api/train/schedule", json=body).json()
    assert (curve["train_images"], curve["steps_per_epoch"], curve["total_steps"]) == (300, 10, 20)
    assert curve["warmup_steps"] == 6  # 0.3 of 20 steps rise
    config = TrainConfig(lr=0.05, lr_schedule="onecycle", warmup=0.3)
    assert [p["step"] for p in curve["points"]] == list(range(20))
    assert [p["lr"] for p in curve["points"]] == [lr_at(config, s, 20) for s in range(20)]
    assert curve["points"][5]["lr"] == curve["peak_lr"] == pytest.approx(0.05)  # after 6 steps
    assert curve["final_lr"] == pytest.approx(0.05 / 14) and curve["points"][-1]["epoch"] == 2

    cosine = http.post("/api/train/schedule", json={**body, "lr_schedule": "cosine"}).json()
    lrs = [p["lr"] for p in cosine["points"]]
    assert cosine["warmup_steps"] is None and lrs == sorted(lrs, reverse=True)
    assert lrs[0] == 0.05 and lrs[-1] > 0.05 * 0.05
    flat = http.post("/api/train/schedule", json={**body, "lr_schedule": "constant"}).json()
    assert {p["lr"] for p in flat["points"]} == {0.05}


def test_a_long_runs_schedule_is_sampled_with_its_corners(http):
    limits = http.get("/api/limits").json()
    body = {**ONECYCLE, "epochs": limits["max_train_epochs"], "batch_size": 1}
    curve = http.post("/api/train/schedule", json={**body, "warmup": 0.1}).json()
    assert curve["total_steps"] == 50 * 60_000 and curve["train_images"] == 60_000
    steps = [p["step"] for p in curve["points"]]
    assert len(steps) <= MAX_POINTS + 4 and steps == sorted(set(steps))
    top = curve["warmup_steps"] - 1
    assert top in steps and curve["points"][steps.index(top)]["lr"] == pytest.approx(0.05)
    assert steps[0] == 0 and steps[-1] == curve["total_steps"] - 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"epochs": 10_000}, ["epochs", "max_train_epochs = 50"]),
        ({"limit": 10**9}, ["limit", "max_train_images"]),
        ({"dataset": "no-such-set"}, ["dataset", "no data set"]),
        ({"dataset": "cifar10", "limit": None}, ["dataset", "no training images here"]),
    ],
)
def test_the_schedule_refuses_what_training_would(http, change, words):
    refused(http.post("/api/train/schedule", json={**JOB, **change}), 422, *words)


def test_a_onecycle_nesterov_smoothed_job_runs_to_done_and_becomes_a_recipe(http, settings):
    job = start(http, name="tiny", epochs=2, **ONECYCLE)  # model id "tiny": the preset's name
    assert {k: job["request"][k] for k in ONECYCLE} == ONECYCLE  # the job's record
    seen = list(events(http, job["id"]))
    done = seen[-1][1]["job"]
    assert done["state"] == "done", done["message"]
    curve = http.post("/api/train/schedule", json=job["request"]).json()
    planned = {p["step"]: p["lr"] for p in curve["points"]}
    steps = [data for kind, data in seen if kind == "step"]
    assert len(steps) == 20 and all(s["lr"] == planned[s["step"] - 1] for s in steps)

    model = Model.load(settings.models_dir / "tiny.npz")
    config = model.meta["training"]["config"]  # what engine.train ran with
    assert {k: config[k] for k in ONECYCLE} == ONECYCLE
    assert {k: model.meta["settings"][k] for k in NEW_FIELDS} == {
        k: ONECYCLE[k] for k in NEW_FIELDS
    }
    offered = http.get("/api/train/options").json()["recipes"]["tiny"]
    assert offered["model_id"] == "tiny" and offered["settings"]["limit"] == 300
    assert {k: offered["settings"][k] for k in ONECYCLE} == ONECYCLE
    assert offered["settings"]["dataset"] == "mnist" and offered["command"] is None
    assert TrainRequest.model_validate({**offered["settings"], "architecture": TINY})


def test_a_recipe_comes_from_the_card_and_is_none_for_a_card_that_says_nothing():
    model = Model.from_spec(TINY, seed=0)
    command = "python -m engine train --optimiser sgd --nesterov ..."
    card = {"dataset": "cifar10", "command": command, "test_accuracy": 0.83}
    card["training"] = {"config": {**ONECYCLE, "epochs": 4, "crop": 4, "other": 1}}
    r = recipe(LoadedModel("cifar10-bn", model, card))
    assert r["command"] == command and r["test_accuracy"] == 0.83
    assert r["settings"] == {
        **ONECYCLE,
        "epochs": 4,
        "crop": 4,
        "dataset": "cifar10",
        "limit": None,
    }
    for odd in ({}, {"training": "edited by hand"}, {"training": {"config": [1]}}):
        assert recipe(LoadedModel("x", model, odd)) is None
