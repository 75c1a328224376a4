"""Every request's cost is bounded at the DEFAULT settings, with the shipped model: the work a
request asks for is estimated before it starts and refused with a 4xx naming the fields and the
limit; heavy requests past ``max_heavy_requests`` get a 503 with ``Retry-After``; whole-set
tables run in the background; memoised results keep to a byte budget; an .npz bomb is refused
before it is decompressed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
import time
import tracemalloc

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.core.memo import ByteLRU, nbytes
from app.core.settings import REPO_ROOT, Settings
from app.datasets.tables import Cancelled, Tables
from app.explain.filters import STEP_PASSES
from app.main import create_app
from engine.cost import pass_cost
from engine.model import Model
from tests.utils import TINY_ID, bomb, refused, reported_limits, tiny_model

SHIPPED = REPO_ROOT / "models" / "mnist-cnn.npz"
pytestmark = pytest.mark.skipif(not SHIPPED.exists(), reason="needs models/mnist-cnn.npz")
BLANK = {"pixels": [[0.0] * 28 for _ in range(28)]}
MAXIMISE = "/api/models/mnist-cnn/explain/layers/{}/maximise"


@pytest.fixture(scope="module")
def defaults(tmp_path_factory) -> Settings:
    """The defaults, but models and caches in temporary directories (imports write there)."""
    root = tmp_path_factory.mktemp("bounds")
    (root / "models").mkdir()
    shutil.copy(SHIPPED, root / "models" / "mnist-cnn.npz")
    tiny_model().save(root / "models" / f"{TINY_ID}.npz")
    return Settings(models_dir=root / "models", cache_dir=root / "cache")


@pytest.fixture(scope="module")
def client(defaults):
    with TestClient(create_app(defaults)) as c:
        yield c


def test_the_defaults_are_the_settings_defaults(defaults):
    for name, value in Settings().limits().items():
        assert getattr(defaults, name) == value


def test_the_new_limits_are_listed(client):
    names = (
        "max_request_megamacs", "max_maximise_units", "max_model_megamacs",
        "max_train_step_megamacs", "max_cache_bytes", "max_heavy_requests",
    )  # fmt: skip
    assert reported_limits(client, names) == {name: getattr(Settings(), name) for name in names}


# -- activation maximisation: units × steps × a pass -------------------------------------------


def test_maximise_of_the_flatten_layer_needs_a_range(client, monkeypatch):
    """The issue's request: 1,568 units with no filter was 127 s of CPU."""

    def never(*args, **kwargs):
        raise AssertionError("the maximisation ran: the request was not refused before the work")

    monkeypatch.setattr("app.explain.filters.explain.maximise_activation", never)
    detail = refused(client.get(MAXIMISE.format(6)), 422, "filter", "1,568 units")
    assert "max_maximise_units = 64" in detail and "first=0&count=" in detail
    refused(client.get(MAXIMISE.format(6) + ".png?objective=mean"), 422, "max_maximise_units")


def test_maximise_cost_is_units_times_steps_and_the_hint_fits(client, defaults):
    detail = refused(client.get(MAXIMISE.format(3)), 422, "max_request_megamacs = 12,000")
    assert "32 units × 48 steps × 4 passes" in detail  # forward + backward, and the measure
    count = int(re.search(r"count=(\d+)", detail).group(1))
    model = Model.load(SHIPPED)
    per_unit = 48 * STEP_PASSES * pass_cost(model, 4)
    assert count * per_unit <= defaults.max_request_megamacs * 1e6 < (count + 1) * per_unit
    r = client.get(MAXIMISE.format(3) + f"?first=0&count={count}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert [f["filter"] for f in body["filters"]] == list(range(count)) and body["units"] == 32
    refused(client.get(MAXIMISE.format(3) + f"?first=0&count={count + 1}"), 422, "count/steps")
    rest = client.get(MAXIMISE.format(3) + f"?first={count}&count={count}")  # the next page
    assert [f["filter"] for f in rest.json()["filters"]] == list(range(count, 32))


def test_maximise_range_limits(client):
    refused(client.get(MAXIMISE.format(0) + "?first=0&count=65"), 422, "max_maximise_units = 64")
    refused(client.get(MAXIMISE.format(0) + "?first=16"), 422, "first", "0 to 15")
    refused(client.get(MAXIMISE.format(0) + "?filter=1&count=2"), 422, "filter/first/count")
    refused(client.get(MAXIMISE.format(0) + "?steps=257"), 422, "max_maximise_steps = 256")
    one = client.get(MAXIMISE.format(7) + "?filter=5&steps=256")  # one unit, the most steps
    assert one.status_code == 200 and one.json()["filters"][0]["filter"] == 5


# -- attributions: patches and path points ---------------------------------------------------


def test_the_worst_legal_attributions_are_accepted_at_the_defaults(client):
    base = "/api/models/mnist-cnn/explain"
    r = client.post(f"{base}/occlusion", json={**BLANK, "patch": 1, "stride": 1})
    assert r.status_code == 200 and r.json()["drops"] and len(r.json()["rows"]) == 28
    r = client.post(f"{base}/integrated-gradients", json={**BLANK, "steps": 256})
    assert r.status_code == 200, r.text
    refused(client.post(f"{base}/integrated-gradients", json={**BLANK, "steps": 257}), 422,
            "max_ig_steps = 256")  # fmt: skip


def test_a_lower_cost_limit_is_named_for_occlusion_and_integrated_gradients(defaults):
    small = Settings(**{**defaults.__dict__, "max_request_megamacs": 100})
    with TestClient(create_app(small)) as c:
        base = "/api/models/mnist-cnn/explain"
        refused(c.post(f"{base}/occlusion", json={**BLANK, "patch": 1, "stride": 1}), 422,
                "patch/stride", "max_request_megamacs = 100")  # fmt: skip
        detail = refused(c.post(f"{base}/integrated-gradients", json={**BLANK, "steps": 64}),
                         422, "steps", "max_request_megamacs = 100")  # fmt: skip
        fits = int(re.search(r"at most (\d+) steps", detail).group(1))
        ok = c.post(f"{base}/integrated-gradients", json={**BLANK, "steps": fits})
        assert ok.status_code == 200, ok.text


# -- heavy requests: a separate, small limit -------------------------------------------------


def test_heavy_requests_past_the_limit_get_503_with_retry_after_and_predictions_go_on(client):
    heavy = client.app.state.heavy
    assert heavy.size == 1
    held = heavy.acquire()  # as if a heavy request were running, in this or another worker
    assert held is not None and heavy.acquire() is None
    try:
        r = client.post("/api/models/mnist-cnn/explain/occlusion", json=BLANK)
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        assert "max_heavy_requests" in r.json()["detail"]
        assert client.get(MAXIMISE.format(0) + "?filter=0").status_code == 503
        assert client.post("/api/models/mnist-cnn/predict", json=BLANK).status_code == 200
        assert client.post("/api/models/mnist-cnn/explain/saliency", json=BLANK).status_code == 200
    finally:
        heavy.release(held)
    assert client.post("/api/models/mnist-cnn/explain/occlusion", json=BLANK).status_code == 200
    again = heavy.acquire()  # released after each request
    assert again is not None
    heavy.release(again)


# -- whole-test-set tables: in the background, once ------------------------------------------


def test_tables_answer_503_while_computing_then_the_result(tmp_path):
    tables = Tables(Settings(table_wait_seconds=1))
    tables.wait_seconds = 0.05
    release = threading.Event()

    def compute():
        release.wait(10)
        return np.arange(10)

    with pytest.raises(Exception) as e:
        tables.get("t", compute, "the table")
    assert e.value.status_code == 503 and e.value.headers["Retry-After"] == "2"
    assert "being computed" in e.value.detail
    release.set()
    tables.wait_seconds = 5
    value, cached = tables.get("t", compute, "the table")
    assert value.tolist() == list(range(10))
    assert tables.get("t", compute, "the table") == (value, True)
    tables.shutdown()


def test_tables_stop_at_the_next_batch_on_shutdown():
    tables = Tables(Settings())
    batches = []
    started = threading.Event()

    def compute():
        for i in range(10_000):
            tables.progress()  # raises Cancelled once shutdown is called
            batches.append(i)
            started.set()
            time.sleep(0.001)  # a batch's work
        return "done"

    future = tables._pool.submit(compute)
    started.wait(5)
    tables.shutdown()
    with pytest.raises(Cancelled):
        future.result(timeout=5)
    assert len(batches) < 10_000


def test_top_activations_and_evaluation_at_the_defaults(client):
    for _ in range(20):  # each try waits up to table_wait_seconds for the background table
        r = client.get("/api/models/mnist-cnn/explain/layers/0/top-activations?k=2")
        if r.status_code != 503:
            break
        assert r.headers["retry-after"] == "2" and "being computed" in r.json()["detail"]
    assert r.status_code == 200, r.text
    t0 = time.perf_counter()
    again = client.get("/api/models/mnist-cnn/explain/layers/3/top-activations?k=16")
    assert again.status_code == 200 and time.perf_counter() - t0 < 2.0  # from memory


# -- memoised results: a byte budget ---------------------------------------------------------


def test_byte_lru_keeps_to_its_budget():
    memo = ByteLRU(max_bytes=10_000)
    for i in range(20):
        memo.put(i, np.zeros(1000, np.uint8))  # ~1.1 kB each
    assert memo.bytes <= 10_000 and 5 <= len(memo) < 10
    assert memo.get(0) is None and memo.get(19) is not None
    memo.put("big", np.zeros(20_000, np.uint8))  # larger than the budget: not kept
    assert memo.get("big") is None and memo.bytes <= 10_000
    assert nbytes({"a": np.zeros(100, np.float64)}) > 800


# -- archives and training ----------------------------------------------------------------------


def test_an_npz_bomb_import_is_refused_fast_in_little_memory(client):
    data = bomb()
    warm = client.post(  # the first upload imports the multipart parser: not the bomb's cost
        "/api/models/import", data={"name": "x"}, files={"weights": ("x.npz", b"not a zip")}
    )
    assert warm.status_code == 422
    tracemalloc.start()
    t0 = time.perf_counter()
    r = client.post(
        "/api/models/import",
        data={
            "name": "bomb",
            "architecture": '{"layers": [{"type": "flatten"}, '
            '{"type": "dense", "config": {"out_features": 10}}]}',
        },  # fmt: skip
        files={"weights": ("bomb.npz", data, "application/zip")},
    )
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    refused(r, 422, "weights", "more than the limit")
    assert seconds < 5.0, seconds  # inflating it would take minutes; 5 s is for a loaded machine
    assert peak < 50 * 1024 * 1024 + 3 * len(data), peak  # the upload itself is held, no more


def test_training_requests_are_bounded_by_their_cost(make_client):
    client = make_client(max_model_megamacs=200)  # the default admits a ResNet-50 (~4,100 M)
    wide = [
        {"type": "conv2d", "config": {"out_channels": 64, "kernel_size": 11, "padding": 5}},
        {"type": "conv2d", "config": {"out_channels": 64, "kernel_size": 11, "padding": 5}},
        {"type": "globalavgpool"},
        {"type": "flatten"},
        {"type": "dense", "config": {"out_features": 10}},
    ]
    r = client.post("/api/architectures/validate", json={"architecture": wide})
    assert r.json()["valid"] is False and "max_model_megamacs = 200" in r.json()["error"]
    r = client.post("/api/train", json={"architecture": wide, "epochs": 1})
    refused(r, 422, "max_model_megamacs")
    mid = [
        {"type": "conv2d", "config": {"out_channels": 32, "kernel_size": 5, "padding": 2}},
        {"type": "conv2d", "config": {"out_channels": 32, "kernel_size": 5, "padding": 2}},
        {"type": "maxpool2d", "config": {"kernel_size": 4}},
        {"type": "flatten"},
        {"type": "dense", "config": {"out_features": 10}},
    ]
    r = client.post("/api/train", json={"architecture": mid, "batch_size": 1024})
    refused(r, 422, "batch_size", "max_train_step_megamacs = 60,000")


EXIT_MARGIN_S = 30.0  # far below the 60 s job, far above a loaded machine's start-up


def test_a_heavy_computation_in_flight_does_not_hold_the_process_exit():
    """The heavy threads are daemons: a server stopping with one running exits at once (a
    ThreadPoolExecutor's threads are joined at exit: this script would take 60 s)."""
    script = """
import asyncio, threading, time
from app.core.bounds import HeavyPool

started = threading.Event()

def slow():
    started.set()
    time.sleep(60)

async def main():
    asyncio.ensure_future(HeavyPool(1, 0).run(slow))
    await asyncio.to_thread(started.wait)

asyncio.run(main())
"""
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, check=True, timeout=EXIT_MARGIN_S)
    assert time.monotonic() - t0 < EXIT_MARGIN_S
