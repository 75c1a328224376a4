"""A server a class can share: reads stay open, writes need the write token when there is one,
a read-only server refuses every write, the token is never logged or repeated, and one client
cannot take every heavy slot or fill the training queue."""

from __future__ import annotations

import fcntl
import logging
import os

import pytest

from app.core.access import NO_TOKEN, READ_ONLY, WRONG_TOKEN, exposure_warning
from app.core.bounds import hashed
from app.core.settings import Settings
from app.main import create_app
from tests.app.trainset import JOB, directories
from tests.utils import TINY_ID, tiny_model

TOKEN = "class-2026-secret-token"
WRITES = [
    ("PATCH", f"/api/models/{TINY_ID}", {"json": {"name": "renamed"}}),
    ("DELETE", f"/api/models/{TINY_ID}", {}),
    ("POST", "/api/models/import", {"files": {"weights": ("m.npz", b"not a model")}}),
    ("POST", "/api/train", {"json": JOB}),
    ("DELETE", "/api/train/0123456789ab", {}),
    ("POST", "/api/train/0123456789ab/resume", {}),
    ("POST", "/api/datasets", {"files": {"archive": ("a.zip", b"x")}, "data": {"name": "a"}}),
    ("DELETE", "/api/datasets/nope", {}),
]
READS = [
    ("GET", "/api/models", {}),
    ("GET", f"/api/models/{TINY_ID}", {}),
    ("POST", f"/api/models/{TINY_ID}/predict", {"json": {"pixels": [[0.0] * 8] * 8}}),
    ("GET", "/api/limits", {}),
    ("GET", "/api/train", {}),
    ("GET", "/", {}),
]


@pytest.fixture
def own_models(tmp_path):
    """A models directory of this test's own (writes here touch no other test's models)."""
    models, data = directories(tmp_path)
    tiny_model().save(models / f"{TINY_ID}.npz")
    return models, data


@pytest.mark.parametrize(("method", "path", "kwargs"), WRITES)
def test_with_a_token_every_write_needs_it(make_client, own_models, method, path, kwargs):
    models, data = own_models
    client = make_client(models_dir=models, data_dir=data, write_token=TOKEN, training_mode="none")
    missing = client.request(method, path, **kwargs)
    assert missing.status_code == 401, missing.text
    assert missing.json()["detail"] == NO_TOKEN and missing.headers["WWW-Authenticate"] == "Bearer"
    wrong = client.request(method, path, headers={"Authorization": "Bearer nope"}, **kwargs)
    assert wrong.status_code == 403 and wrong.json()["detail"] == WRONG_TOKEN
    right = client.request(method, path, headers={"Authorization": f"Bearer {TOKEN}"}, **kwargs)
    assert right.status_code not in (401, 403), right.text  # past the door: the route's answer


@pytest.mark.parametrize(("method", "path", "kwargs"), READS)
def test_with_a_token_reads_stay_open(make_client, method, path, kwargs):
    client = make_client(write_token=TOKEN, training_mode="none")
    assert client.request(method, path, **kwargs).status_code == 200


@pytest.mark.parametrize(("method", "path", "kwargs"), WRITES)
def test_a_read_only_server_refuses_every_write(make_client, own_models, method, path, kwargs):
    models, data = own_models
    client = make_client(models_dir=models, data_dir=data, read_only=True, write_token=TOKEN)
    r = client.request(method, path, headers={"Authorization": f"Bearer {TOKEN}"}, **kwargs)
    assert r.status_code == 403 and r.json()["detail"] == READ_ONLY
    assert (models / f"{TINY_ID}.npz").is_file()


def test_access_tells_the_pages_why_not(make_client):
    open_server = make_client().get("/api/access").json()
    assert open_server == {
        "read_only": False,
        "token_required": False,
        "can_write": True,
        "why": None,
    }
    tokened = make_client(write_token=TOKEN)
    assert tokened.get("/api/access").json()["why"] == NO_TOKEN
    ok = tokened.get("/api/access", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert ok["can_write"] and ok["token_required"]
    read_only = make_client(read_only=True).get("/api/access").json()
    assert read_only["read_only"] and not read_only["can_write"] and read_only["why"] == READ_ONLY


def test_the_token_is_in_no_log_line_and_no_answer(make_client, own_models, caplog):
    models, data = own_models
    caplog.set_level(logging.DEBUG)
    client = make_client(models_dir=models, data_dir=data, write_token=TOKEN, training_mode="none")
    answers = []
    for token in (TOKEN, TOKEN + "x", TOKEN[:-1]):
        for method, path, kwargs in WRITES + READS:
            r = client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)
            answers.append(r.text + str(r.headers))
    assert caplog.records, "the requests were logged"
    assert TOKEN[:-1] not in caplog.text
    assert not any(TOKEN[:-1] in a for a in answers)


def test_a_server_others_can_reach_without_a_token_warns_at_start(settings, caplog):
    exposed = Settings(host="0.0.0.0", models_dir=settings.models_dir)
    assert "CNN_EXPLORER_WRITE_TOKEN" in exposure_warning(exposed)
    for safe in (
        Settings(host="127.0.0.1"),
        Settings(host="0.0.0.0", write_token=TOKEN),
        Settings(host="0.0.0.0", read_only=True),
    ):
        assert exposure_warning(safe) is None
    from fastapi.testclient import TestClient

    with caplog.at_level(logging.WARNING), TestClient(create_app(exposed)):
        pass
    assert any("CNN_EXPLORER_WRITE_TOKEN" in r.getMessage() for r in caplog.records)


def test_one_client_holds_at_most_its_share_of_heavy_requests(make_client, tmp_path):
    client = make_client(cache_dir=tmp_path / "cache")
    slots = tmp_path / "cache" / "slots"
    slots.mkdir(parents=True)
    # The test client's share (1 slot) is taken, as by a heavy request of its own in flight.
    fd = os.open(slots / f"client-{hashed('testclient')}-0.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        r = client.post("/api/conv", json={"input": [[1.0, 2.0], [3.0, 4.0]], "kernel": [[1.0]]})
    finally:
        os.close(fd)
    assert r.status_code == 429, r.text
    assert "max_heavy_requests_per_client = 1" in r.json()["detail"]
    assert r.headers["Retry-After"] == "1"
    again = client.post("/api/conv", json={"input": [[1.0, 2.0], [3.0, 4.0]], "kernel": [[1.0]]})
    assert again.status_code == 200, again.text


def test_one_client_cannot_fill_the_training_queue(make_client, own_models):
    models, data = own_models
    client = make_client(models_dir=models, data_dir=data, training_mode="none")
    share = client.get("/api/limits").json()["max_jobs_per_client"]
    for i in range(share):
        assert client.post("/api/train", json={**JOB, "name": f"job {i}"}).status_code == 202
    r = client.post("/api/train", json={**JOB, "name": "one too many"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert f"max_jobs_per_client = {share}" in r.json()["detail"]
