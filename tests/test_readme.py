"""The README says what is true: its two commands first, its configuration table is the
settings, its curl example works against the app, its screenshot and links exist."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex

import pytest
from fastapi.testclient import TestClient

from app.core.settings import PREFIX, REPO_ROOT, Settings
from app.main import create_app

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
SHIPPED = REPO_ROOT / "models" / "mnist-cnn.npz"


def settings_table() -> str:
    spec = importlib.util.spec_from_file_location(
        "settings_table", REPO_ROOT / "scripts" / "settings_table.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.table()


def test_it_opens_with_the_two_commands():
    first_block = README.split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()]
    assert commands == ["bash scripts/run.sh", "bash scripts/test.sh"]


def test_ci_runs_exactly_the_test_command():
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert "exec bash scripts/test.sh" in ci.splitlines()
    assert README.index("```bash") < README.index("\n## ")  # before anything else


def test_the_configuration_table_is_the_settings():
    """Regenerate with ``python scripts/settings_table.py`` when a setting changes."""
    assert settings_table() in README


def test_every_variable_mentioned_exists():
    names = {PREFIX + f.upper() for f in Settings.model_fields}
    mentioned = set(re.findall(rf"{PREFIX}[A-Z_]+", README))
    assert mentioned <= names, mentioned - names


def curl_example() -> tuple[str, str, dict]:
    """``(method, path, body)`` of the README's curl command."""
    block = next(b for b in README.split("```bash\n")[1:] if b.lstrip().startswith("curl"))
    command = block.split("```", 1)[0].replace("\\\n", " ")
    args = shlex.split(command)
    url = next(a for a in args if a.startswith("http"))
    body = args[args.index("-d") + 1]
    method = "POST" if "-d" in args else "GET"
    return method, "/" + url.split("/", 3)[3], json.loads(body)


@pytest.fixture(scope="module")
def readme_client(tmp_path_factory):
    """The app as the README runs it: the shipped model (a small stand-in if it is not there)."""
    if SHIPPED.is_file():
        settings = Settings(log_level="warning")
    else:
        from tests.utils import tiny_model

        models = tmp_path_factory.mktemp("models")
        tiny_model().save(models / "mnist-cnn.npz")
        settings = Settings(models_dir=models, log_level="warning")
    with TestClient(create_app(settings)) as client:
        yield client


def test_the_curl_example_works(readme_client):
    method, path, body = curl_example()
    assert path == "/api/models/mnist-cnn/predict"
    r = readme_client.request(method, path, json=body)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert set(answer) == {"prediction", "label", "probabilities", "top", "input"}
    if SHIPPED.is_file():  # the trained model reads the example as the 7 it is
        assert answer["label"] == "7"
        shown = re.search(r'\{"prediction": (\d+), "label": "(\d+)"', README)
        assert shown.groups() == (str(answer["prediction"]), answer["label"])


def test_the_screenshot_is_there_and_small():
    assert "](docs/screenshot.png)" in README
    png = REPO_ROOT / "docs" / "screenshot.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size < 300 * 1024


def test_local_links_and_paths_exist():
    for target in re.findall(r"\]\(([^)#:]+)\)", README):
        assert (REPO_ROOT / target).exists(), target
    for path in re.findall(r"`((?:bench|scripts|docs|data)/[\w./-]+)`", README):
        assert (REPO_ROOT / path).exists(), path


def test_data_licences_are_named():
    for words in ("MNIST", "CC BY-SA 3.0", "Fashion-MNIST", "MIT"):
        assert words in README


def test_the_graph_example_builds_a_residual_block():
    from engine.model import Model

    section = README.split("### Networks that are not a chain", 1)[1]
    spec = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    model = Model.from_spec(spec["layers"], tuple(spec["input_shape"]))
    names = [layer.name for layer in model.layers]
    skip = names.index("skip")
    assert model.inputs[skip] == [names.index("bn2"), names.index("stem_relu")]
    assert model.shapes[-1] == (10,)
