"""Many predictions at once while a training job runs and models are added, replaced and
removed: no errors, and no torn reads — every answer comes from one whole model.

A real server (``python -m app``, ``tests.live``) serves a temporary models directory.
``swap.npz`` is rewritten over and over with one of two different networks (as another worker
installing a model would), and every prediction made on ``swap`` must be exactly network A's
or exactly network B's. Models are imported and deleted through the API meanwhile, a training
job runs, and explanations (which back-propagate) run beside the predictions. Bounded in
requests and in time.
"""

from __future__ import annotations

import threading
import time

import httpx
import numpy as np
import pytest

from app.core.imaging import network_input
from app.core.schemas import ImageInput
from app.core.settings import Settings
from app.models import inference
from engine.model import Model
from tests.app.trainset import JOB, mnist_dir
from tests.live import LiveServer, app_env

pytestmark = pytest.mark.slow

CLIENTS = 8
REQUESTS_PER_CLIENT = 60
SWAPS = 30
DEADLINE_S = 90

NET_A = [
    {"type": "conv2d", "config": {"out_channels": 2, "kernel_size": 3}},
    {"type": "relu"},
    {"type": "flatten"},
    {"type": "dense", "config": {"out_features": 10}},
    {"type": "softmax"},
]
NET_B = [
    {"type": "conv2d", "config": {"out_channels": 3, "kernel_size": 5, "padding": 2}},
    {"type": "maxpool2d", "config": {"kernel_size": 2}},
    {"type": "flatten"},
    {"type": "dense", "config": {"out_features": 10}},
]
rng = np.random.default_rng(0)
PIXELS = (rng.random((28, 28)) < 0.15).astype(float).tolist()


def expected(model: Model) -> list[float]:
    """What the server answers for ``PIXELS`` with this model (its own code path)."""
    x, image = network_input(ImageInput(pixels=PIXELS), model.input_shape, Settings())
    return inference.predict(model, x, image)["probabilities"]


@pytest.fixture
def server(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    a = Model.from_spec(NET_A, seed=1, name="A")
    b = Model.from_spec(NET_B, seed=2, name="B")
    a.save(models / "swap.npz")
    a.save(models / "mnist-cnn.npz")
    env = app_env(models_dir=models, data_dir=mnist_dir(tmp_path / "data"), log_level="warning")
    with LiveServer(tmp_path / "server.log", env) as s:  # python -m app: a consumer trains
        yield s, models, a, b


def test_predictions_during_training_and_model_swaps(server, tmp_path):
    live, models, a, b = server
    answers = {"A": expected(a), "B": expected(b)}
    assert answers["A"] != answers["B"]
    failures: list[str] = []
    seen = {"A": 0, "B": 0, "removed": 0}
    stop = threading.Event()
    deadline = time.monotonic() + DEADLINE_S

    def predictor(n: int) -> None:
        with httpx.Client(base_url=live.url, timeout=30) as http:
            for i in range(REQUESTS_PER_CLIENT):
                if time.monotonic() > deadline:
                    failures.append(f"client {n}: out of time")
                    return
                if n == 0 and i % 4 == 0:  # back-propagation beside the predictions
                    r = http.post("/api/models/swap/explain/saliency", json={"pixels": PIXELS})
                    if r.status_code != 200:
                        failures.append(f"saliency {r.status_code}: {r.text[:200]}")
                    continue
                model = "swap" if i % 3 else f"extra-{i % 5}"
                r = http.post(f"/api/models/{model}/predict", json={"pixels": PIXELS})
                if model != "swap":
                    if r.status_code not in (200, 404):
                        failures.append(f"{model}: {r.status_code} {r.text[:200]}")
                    continue
                if r.status_code != 200:
                    failures.append(f"swap: {r.status_code} {r.text[:200]}")
                    continue
                probs = r.json()["probabilities"]
                which = next((k for k, v in answers.items() if v == probs), None)
                if which is None:
                    failures.append(f"swap: a torn answer {probs}")
                else:
                    seen[which] += 1

    def swapper() -> None:
        for i in range(SWAPS):
            if stop.is_set():
                return
            (b if i % 2 == 0 else a).save(models / "swap.npz")  # atomic, as install does
            time.sleep(0.02)  # let some predictions see each version

    def adder_remover() -> None:
        upload = tmp_path / "upload.npz"
        a.save(upload)
        data = upload.read_bytes()
        with httpx.Client(base_url=live.url, timeout=30) as http:
            for i in range(10):
                if stop.is_set():
                    return
                r = http.post(
                    "/api/models/import",
                    files={"weights": ("a.npz", data)},
                    data={"name": f"extra {i % 5}"},
                )
                if r.status_code != 201:
                    failures.append(f"import: {r.status_code} {r.text[:200]}")
                    continue
                r = http.delete(f"/api/models/{r.json()['id']}")
                if r.status_code != 204:
                    failures.append(f"delete: {r.status_code} {r.text[:200]}")
                seen["removed"] += 1

    with httpx.Client(base_url=live.url, timeout=30) as http:
        job = http.post("/api/train", json={**JOB, "epochs": 2, "limit": 2000})
        assert job.status_code == 202, job.text
        job_id = job.json()["id"]
        threads = [threading.Thread(target=predictor, args=(n,)) for n in range(CLIENTS)]
        threads += [threading.Thread(target=swapper), threading.Thread(target=adder_remover)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=DEADLINE_S)
        stop.set()
        assert not any(t.is_alive() for t in threads), "a client hung"
        state = http.get(f"/api/train/{job_id}").json()
        assert state["state"] in ("queued", "running", "done"), state["message"]
        http.delete(f"/api/train/{job_id}")

    assert failures == [], failures[:10]
    assert seen["A"] > 0 and seen["B"] > 0, seen  # both versions were really served
    assert seen["removed"] == 10
