"""The API's workflows fuzzed as sequences, driven by the OpenAPI links the routes declare:
``POST /api/models/import`` → read / rename / delete the model it made, and ``POST /api/train``
→ the job's status, events, cancel and resume (schemathesis 4's ``as_state_machine()``).

The app runs at its DEFAULT limits with a data dir whose training set is the shipped test set.
Two things are not left to the generator, because random bytes are never a model and a random
architecture is never trainable: each import sends a real model file, each training request a
small trainable network (1 epoch, 200 images). Everything else — names, ids, the order of the
steps, the links followed — is generated. Every response must be no 5xx, match its schema, and
come within 10 s (schemathesis' request timeout; an event stream is read to its first event).
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.config import SchemathesisConfig

from app.core.settings import Settings
from app.main import create_app
from tests.app.trainset import TINY, mnist_dir
from tests.utils import TINY_ID, tiny_models

pytestmark = pytest.mark.slow

CONFIG = {"request-timeout": 10, "max-stream-events": 1}
SMALL_JOB = {"architecture": {"layers": TINY}, "epochs": 1, "limit": 200, "batch_size": 50}
OPERATIONS = r"^/api/(train(/.*)?|models/import|models/\{model_id\})$"
seen: list[tuple[str, str, int]] = []


@pytest.fixture(scope="module")
def workflow_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("stateful")
    models = tiny_models(root)
    weights = models / f"{TINY_ID}.npz"
    settings = Settings(models_dir=models, data_dir=mnist_dir(root / "data"), cache_dir=root / "c")
    app = create_app(settings)
    app.state.fuzz_weights = weights.read_bytes()
    with TestClient(app):
        yield app


def test_workflows_follow_the_links(workflow_app):
    config = SchemathesisConfig.from_dict(CONFIG)
    schema = schemathesis.openapi.from_asgi("/openapi.json", workflow_app, config=config)
    schema = schema.include(path_regex=OPERATIONS)
    weights = workflow_app.state.fuzz_weights

    class Workflow(schema.as_state_machine()):
        def before_call(self, case):
            if case.method == "POST" and case.path == "/api/models/import":
                body = case.body if isinstance(case.body, dict) else {}
                name = body.get("name") if isinstance(body.get("name"), str) else "fuzzed"
                case.body = {"weights": weights, "name": name or "fuzzed"}
            if case.method == "POST" and case.path == "/api/train":
                name = case.body.get("name") if isinstance(case.body, dict) else None
                case.body = {**SMALL_JOB, "name": name if isinstance(name, str) else "fuzzed"}

        def after_call(self, response, case):
            seen.append((case.method, case.path, response.status_code))

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                checks=[not_a_server_error, response_schema_conformance],
                transport_kwargs=kwargs,
            )

    Workflow.run(
        settings=hypothesis_settings(
            max_examples=12,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    counts: dict = {}
    for m, p, s in seen:
        counts[f"{m} {p} {s}"] = counts.get(f"{m} {p} {s}", 0) + 1
    print(f"\nstateful: {len(seen)} requests: {dict(sorted(counts.items()))}")  # noqa: T201
    steps = {(m, p, s) for m, p, s in seen}
    assert ("POST", "/api/models/import", 201) in steps, sorted(steps)
    assert ("POST", "/api/train", 202) in steps, sorted(steps)
    linked = {(m, p) for m, p, s in steps if s < 400 and "{" in p}
    assert linked & {("PATCH", "/api/models/{model_id}"), ("DELETE", "/api/models/{model_id}")}
    assert linked & {("GET", "/api/train/{job_id}"), ("DELETE", "/api/train/{job_id}"),
                     ("GET", "/api/train/{job_id}/events")}  # fmt: skip
