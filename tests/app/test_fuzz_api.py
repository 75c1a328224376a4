"""The whole API fuzzed from its own OpenAPI schema (schemathesis, in-process over ASGI).

Every operation gets generated requests — valid ones and, as schemathesis also makes them,
invalid ones — and each response must be no 5xx and must match the schema documented for its
status code, within 10 s. The app serves the small test model as ``tiny`` (path parameters
``model_id`` are set to it, so requests reach the layers, not just the 404) and the shipped MNIST
test set, at its DEFAULT limits: the schema states them (``app/server/openapi_limits.py``), so the
generated requests are mostly valid, and the bounds keep each one short. Training jobs never
start here (the training set is not there: a 422 naming the data set);
``test_fuzz_stateful.py`` follows the links through imports and training jobs.
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.config import SchemathesisConfig

from app.core.settings import REPO_ROOT, Settings
from app.main import create_app
from tests.utils import TINY_ID, tiny_models

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 15
REQUEST_SECONDS = 10.0  # every request, at the default limits


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    settings = Settings(  # the default limits: only where files go is changed
        models_dir=tiny_models(root),
        data_dir=REPO_ROOT / "data",  # the MNIST test set only: training is refused
        cache_dir=root / "cache",
    )
    app = create_app(settings)
    with TestClient(app):  # runs the lifespan: the models are loaded
        yield app


@pytest.fixture(scope="module")
def api_schema(fuzzed_app):
    config = SchemathesisConfig.from_dict({"request-timeout": REQUEST_SECONDS})
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app, config=config)


SETTINGS = hypothesis_settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,  # the same cases on every run: a failure here is reproducible
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def test_no_5xx_and_every_response_matches_its_schema(api_schema, fuzz_stats):
    """Each operation's generated cases, driven through Hypothesis directly.

    schemathesis's own pytest plugin (``schemathesis.pytest.from_fixture``) reads a private
    attribute of pytest's test items that pytest 9.2 no longer has; the per-operation strategies
    are its public API and need no plugin, so this runs under any pytest.
    """
    failures, operations = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @SETTINGS
        @given(case=operation.as_strategy())
        def check(case):
            if "model_id" in (case.path_parameters or {}) and case.method != "DELETE":
                case.path_parameters["model_id"] = TINY_ID
            t0 = time.perf_counter()
            case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
            seconds = time.perf_counter() - t0
            fuzz_stats["cases"] += 1
            fuzz_stats["seconds"] += seconds
            key = f"{case.method} {case.path}"
            fuzz_stats["slowest"] = max(fuzz_stats.get("slowest", (0, "")), (seconds, key))
            assert seconds <= REQUEST_SECONDS, f"{key} took {seconds:.1f} s"

        try:
            check()
        except Exception as e:  # noqa: BLE001 - report every operation's failure, not the first
            failures.append(f"{operation.method.upper()} {operation.path}: {e}")
    assert operations > 20, f"only {operations} operations in the schema"
    assert not failures, "\n\n".join(failures)
