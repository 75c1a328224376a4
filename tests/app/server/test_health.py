"""``GET /api/health``."""

import engine


def test_health_is_ok_and_lists_models(client):
    r = client.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["engine_version"] == engine.__version__
    assert body["models"] == ["tiny"]
    assert body["models_loaded"] == 1


def test_health_reports_files_that_did_not_load(client):
    errors = client.get("/api/health").json()["model_errors"]
    assert list(errors) == ["broken.npz"]
    assert "not a readable .npz" in errors["broken.npz"]


def test_health_with_no_models_dir_is_still_ok(make_client, tmp_path):
    r = make_client(models_dir=tmp_path / "missing").get("/api/health")
    assert r.status_code == 200
    assert r.json()["models_loaded"] == 0


def test_responses_carry_server_timing(client):
    timing = client.get("/api/health").headers["server-timing"]
    assert timing.startswith("app;dur=")
    assert float(timing.split("=")[1]) >= 0
