"""Training from the API: validate, train (following the Server-Sent Events to the end), find
and use the new model, cancel, resume after a restart. (Evaluation and model management:
``test_evaluation.py``, ``test_manage.py``.)

The server runs for real (``python -m app``: uvicorn and the training consumer, ``tests.live``)
on a temporary models directory and a temporary data directory in which the shipped MNIST test
set stands in for the training set too. Jobs are tiny (a few hundred images, one epoch).
Nothing sleeps to wait: every wait is on the event stream or a thread, with a deadline.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.training.queue import make_queue
from engine.cli import main as cli_main
from engine.model import Model
from engine.train import TrainConfig, to_input, train
from tests.app.trainset import DEADLINE, JOB, TINY, events, start
from tests.utils import refused

# -- the editor's checks ------------------------------------------------------------------


def test_validate_gives_the_engines_shapes_and_parameter_counts(http):
    r = http.post("/api/architectures/validate", json={"architecture": TINY, "batch_size": 32})
    body = r.json()
    assert r.status_code == 200 and body["valid"] and body["error"] is None
    model = Model.from_spec(TINY)
    assert body["layers"] == model.layer_info()
    assert body["num_params"] == model.num_params == 4 * 9 + 4 + 676 * 10 + 10
    assert body["output_shape"] == [10] and body["step_megabytes"] > 0


def test_validate_says_which_layer_does_not_fit_and_why(http):
    no_flatten = [TINY[0], TINY[1], TINY[4]]
    body = http.post("/api/architectures/validate", json={"architecture": no_flatten}).json()
    assert not body["valid"] and body["error_layer"] == 2
    assert body["error"].startswith("layer 2 ('dense')") and "flatten" in body["error"]
    assert [layer["type"] for layer in body["layers"]] == ["conv2d", "relu"]  # the part that fits
    too_small = [{"type": "conv2d", "config": {"out_channels": 2, "kernel_size": 5}}] * 7
    body = http.post("/api/architectures/validate", json={"architecture": too_small}).json()
    assert body["error_layer"] == 6 and "kernel spans 5" in body["error"]


# -- training end to end ------------------------------------------------------------------


def test_train_follow_events_to_done_then_use_the_model(http, settings):
    job = start(http)
    assert job["state"] in ("queued", "running") and job["model_id"] == "tiny-net"
    seen = list(events(http, job["id"]))
    kinds = [kind for kind, _ in seen]
    assert kinds[0] == "state" and kinds[-1] == "end"
    steps = [data for kind, data in seen if kind == "step"]
    assert len(steps) == 10  # 300 images / 32 per batch, every step reported at this size
    assert [s["progress"] for s in steps] == sorted(s["progress"] for s in steps)
    assert steps[-1]["progress"] == 1.0 and all(np.isfinite(s["loss"]) for s in steps)
    epoch = next(data for kind, data in seen if kind == "epoch")
    assert epoch["epoch"] == 1 and 0 <= epoch["val_accuracy"] <= 1
    filters = [data for kind, data in seen if kind == "filters"]
    assert filters and filters[-1]["shape"] == [4, 1, 3, 3] and filters[-1]["name"] == "conv1"
    done = seen[-1][1]["job"]
    assert done["state"] == "done", done["message"]
    assert done["history"][0]["epoch"] == 1 and len(done["steps_history"]) == 10

    record = http.get(f"/api/train/{job['id']}").json()
    assert record["state"] == "done" and record["progress"] == 1.0
    assert record["model_id"] == "tiny-net" and record["test_accuracy"] > 0.15
    assert job["id"] in [j["id"] for j in http.get("/api/train").json()["jobs"]]

    models = {m["id"]: m for m in http.get("/api/models").json()["models"]}
    assert models["tiny-net"]["name"] == "Tiny net"
    assert models["tiny-net"]["test_accuracy"] == pytest.approx(record["test_accuracy"])
    card = http.get("/api/models/tiny-net").json()["card"]
    assert card["settings"]["limit"] == 300 and card["train_images"] == 300
    assert card["training"]["epochs_done"] == 1 and card["job_id"] == job["id"]
    pixels = np.eye(28).tolist()
    r = http.post("/api/models/tiny-net/predict", json={"pixels": pixels, "preprocess": False})
    assert r.status_code == 200 and len(r.json()["probabilities"]) == 10

    saved = Model.load(settings.models_dir / "tiny-net.npz")  # on disk, for a restart
    assert saved.meta["test_accuracy"] == pytest.approx(record["test_accuracy"])
    assert make_queue(settings).record(job["id"])["state"] == "done"  # the queue's record
    assert not list((settings.models_dir / ".jobs").glob("*.npz"))  # no checkpoint left


def test_cancel_a_running_job(http, settings):
    job = start(http, name="to cancel", epochs=5, limit=2000, batch_size=16)
    cancelled = False
    for kind, data in events(http, job["id"]):
        if kind == "step" and not cancelled:
            r = http.delete(f"/api/train/{job['id']}")
            assert r.status_code == 200, r.text
            cancelled = True
        last = (kind, data)
    assert cancelled and last[0] == "end"
    final = last[1]["job"]
    assert final["state"] == "cancelled" and final["epochs_done"] < 5, final["message"]
    assert "to-cancel" not in [m["id"] for m in http.get("/api/models").json()["models"]]
    refused(http.delete(f"/api/train/{job['id']}"), 409, "already cancelled")
    refused(http.get("/api/train/000000000000"), 404, "no training job")


def test_one_job_at_a_time_the_next_waits_and_its_stream_sends_heartbeats(http):
    first = start(http, name="first", epochs=50, limit=10_000, batch_size=16)  # hours: it waits
    for kind, data in events(http, first["id"]):  # until the consumer has taken it
        if kind == "state" and data["job"]["state"] == "running":
            break
    second = start(http, name="second")
    assert second["state"] == "queued" and second["position"] == 0, second
    now = http.get(f"/api/train/{first['id']}").json()
    assert now["state"] in ("queued", "running"), now["message"]
    deadline = time.monotonic() + DEADLINE
    with http.stream("GET", f"/api/train/{second['id']}/events", timeout=10) as r:
        lines = r.iter_lines()
        while next(lines) != ": heartbeat":  # heartbeats every second here
            assert time.monotonic() < deadline
        cancelled = http.delete(f"/api/train/{second['id']}").json()
        assert cancelled["state"] == "cancelled", http.get(f"/api/train/{first['id']}").json()
        rest = [line for line in lines if line.startswith("data: ")]
    assert json.loads(rest[-1][6:])["job"]["message"] == "cancelled before it started"
    r = http.delete(f"/api/train/{first['id']}")
    assert r.status_code == 200, r.text
    final = list(events(http, first["id"]))[-1][1]["job"]
    assert final["state"] == "cancelled", final["message"]


# -- refusals before any work -------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"architecture": [TINY[0], TINY[1], TINY[4]]}, ["layer 2 ('dense')", "flatten"]),
        ({"architecture": TINY[:4] + [{"type": "dense", "config": {"out_features": 7}}]},
         ["layer 4", "10 classes"]),
        ({"architecture": [{"type": "conv2d", "config": {"out_channels": 999}}]},
         ["layer 0 ('conv2d')", "max_train_channels = 256"]),
        ({"architecture": [{"type": "flatten"}, {"type": "dense", "config":
          {"out_features": 4000}}]}, ["layer 1", "max_train_params"]),
        ({"architecture": [TINY[0], {"type": "swish"}]}, ["architecture.layers[1].type"]),
        ({"architecture": []}, ["architecture.layers"]),
        ({"epochs": 10_000}, ["epochs", "max_train_epochs = 50"]),
        ({"batch_size": 0}, ["batch_size"]),
        ({"limit": 10**9}, ["limit", "max_train_images"]),
        ({"lr": 5.0}, ["lr"]),
        ({"optimiser": "rmsprop"}, ["optimiser"]),
        ({"dataset": "cifar10"}, ["dataset"]),
    ],
)  # fmt: skip
def test_bad_requests_are_refused_naming_the_field(http, change, words):
    refused(http.post("/api/train", json={**JOB, **change}), 422, *words)


def test_missing_dataset_says_how_to_get_it(settings, tmp_path):
    empty = settings.model_copy(update={"data_dir": tmp_path, "models_dir": tmp_path / "models"})
    with TestClient(create_app(empty)) as c:
        detail = refused(c.post("/api/train", json=JOB), 422, "dataset: mnist")
        assert "python -m engine download --dataset mnist" in detail
        assert c.get("/api/train/options").json()["available"]["mnist"] is False
    assert not (tmp_path / "models" / ".jobs").exists()  # refused before any work


def test_limits_report_the_training_bounds(http):
    limits = http.get("/api/limits").json()
    assert limits["max_train_epochs"] == 50 and limits["max_running_jobs"] == 1
    assert limits["max_import_bytes"] > 0
    options = http.get("/api/train/options").json()
    assert options["available"]["mnist"] and options["bounds"]["epochs"] == [1, 50]
    assert "tiny" in options["presets"]


# -- a restart loses at most the epoch in progress ----------------------------------------


def test_restart_marks_the_running_job_failed_and_resume_finishes_it(settings, tmp_path):
    models = tmp_path / "models"
    jobs = models / ".jobs"
    jobs.mkdir(parents=True)
    job_id = "0123456789ab"
    ckpt = jobs / f"{job_id}.ckpt.npz"
    request = {
        **JOB,
        "name": "interrupted",
        "epochs": 2,
        "dataset": "mnist",
        "optimiser": "adam",
        "lr_schedule": "cosine",
        "seed": 0,
    }
    # what the server had done before it stopped: epoch 1 trained and checkpointed
    model = Model.from_spec(TINY, seed=0)
    config = TrainConfig(epochs=2, batch_size=32, augment=False)
    x = to_input(np.random.default_rng(0).integers(0, 255, (64, 28, 28), dtype=np.uint8))
    y = np.arange(64) % 10
    train(model, x, y, config, checkpoint=ckpt, should_stop=lambda: bool(ckpt.exists()))
    assert Model.load(ckpt).meta["training"]["epochs_done"] == 1
    record = {
        "id": job_id, "name": "interrupted", "state": "running", "message": None,
        "model_id": "interrupted", "request": request, "created": 1.0, "started": 2.0,
        "finished": None, "epoch": 2, "epochs": 2, "step": 3, "steps": 10, "progress": 0.6,
        "loss": 1.0, "accuracy": 0.5, "elapsed": 5.0, "eta": 3.0, "history": [],
        "steps_history": [], "test_accuracy": None, "train_images": 300,
        "checkpoint": str(ckpt), "epochs_done": 1, "resumable": False,
    }  # fmt: skip
    restarted = settings.model_copy(update={"models_dir": models, "training_mode": "thread"})
    make_queue(restarted).save(record)  # as the stopped server left it: running, no runner

    with TestClient(create_app(restarted)) as c:
        job = c.get(f"/api/train/{job_id}").json()
        assert job["state"] == "failed" and job["resumable"]
        assert job["message"].startswith(
            f"the server stopped during epoch 2; the checkpoint after epoch 1 is at {ckpt}"
        )
        assert make_queue(restarted).record(job_id)["state"] == "failed"
        assert c.post(f"/api/train/{job_id}/resume").status_code == 202
        with c.stream("GET", f"/api/train/{job_id}/events") as r:
            lines = [line for line in r.iter_lines() if line.startswith("data: ")]
        final = json.loads(lines[-1][6:])["job"]
        assert final["state"] == "done", final["message"]
        assert [h["epoch"] for h in final["history"]] == [2]  # only epoch 2 was trained again
        card = c.get("/api/models/interrupted").json()["card"]
        assert card["training"]["epochs_done"] == 2
        refused(c.post(f"/api/train/{job_id}/resume"), 409, "only a failed or cancelled")


# -- a finished job's events are pruned once others have finished after it ---------------


def test_finishing_jobs_prune_the_events_of_older_ones(settings, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    kept = settings.model_copy(
        update={"models_dir": models, "training_mode": "thread", "kept_job_event_logs": 1}
    )
    with TestClient(create_app(kept)) as c:
        ids = []
        for name in ("first", "second"):
            ids.append(c.post("/api/train", json={**JOB, "name": name}).json()["id"])
            with c.stream("GET", f"/api/train/{ids[-1]}/events") as r:
                assert [line for line in r.iter_lines() if line == "event: end"]
    # the app has stopped its consumer, which waited for the second run and its pruning
    other_worker = make_queue(kept)
    first, second = (other_worker.events_after(i, 0) for i in ids)
    assert first == [] and other_worker.record(ids[0])["state"] == "done"
    assert second and second[-1][1]["event"] == "end"
    assert [n for n, _ in second] == list(range(1, other_worker.record(ids[1])["seq"] + 1))
    with TestClient(create_app(kept)) as c:  # another process still streams the kept one
        with c.stream("GET", f"/api/train/{ids[1]}/events") as r:
            kinds = [line[7:] for line in r.iter_lines() if line.startswith("event: ")]
        assert kinds[0] == "state" and kinds[-1] == "end"


# -- the CLI reads the JSON the API takes -------------------------------------------------


@pytest.mark.parametrize("form", ["object", "list"])
def test_cli_and_api_take_the_same_architecture_json(http, settings, tmp_path, form, capsys):
    arch = {"layers": TINY} if form == "object" else TINY
    path = tmp_path / "arch.json"
    path.write_text(json.dumps(arch))
    body = http.post("/api/architectures/validate", json={"architecture": arch}).json()
    assert body["valid"], body["error"]
    out = tmp_path / "cli.npz"
    argv = ["train", "--arch", str(path), "--data-dir", str(settings.data_dir), "--epochs", "1"]
    assert cli_main([*argv, "--limit", "100", "--no-augment", "--out", str(out)]) == 0
    assert Model.load(out).layer_info() == body["layers"]
    capsys.readouterr()


def test_a_models_layer_info_is_an_architecture_the_api_and_cli_take(http, tmp_path, capsys):
    layers = http.get("/api/models/mnist-cnn").json()["layers"]  # index, shapes, num_params too
    body = http.post("/api/architectures/validate", json={"architecture": layers}).json()
    assert body["valid"] and body["layers"] == layers
    path = tmp_path / "layers.json"
    path.write_text(json.dumps(layers))
    assert cli_main(["summary", str(path)]) == 0
    assert f"Total params: {body['num_params']:,}" in capsys.readouterr().out
