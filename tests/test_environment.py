"""The packages the tests run on are the ones uv.lock pins: no drift, nothing missing.

``scripts/test.sh`` syncs ``.venv/`` to the lock before every run; this test is the guard for any
other way of starting pytest (an old virtual environment, a machine's own site-packages).
"""

from __future__ import annotations

import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name as canonical
from packaging.version import Version

from app.core.settings import REPO_ROOT


def locked_versions() -> dict[str, set[Version]]:
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    versions: dict[str, set[Version]] = {}
    for package in lock["package"]:
        versions.setdefault(canonical(package["name"]), set()).add(Version(package["version"]))
    return versions


def requirement_names(requirements: list[str]) -> set[str]:
    """The names of the requirements whose markers hold on this machine."""
    parsed = [Requirement(req) for req in requirements]
    return {canonical(r.name) for r in parsed if r.marker is None or r.marker.evaluate()}


def test_every_installed_package_has_its_locked_version():
    locked = locked_versions()
    drifted = []
    for dist in metadata.distributions():
        name = canonical(dist.metadata["Name"] or "")
        if name in locked and Version(dist.version) not in locked[name] and name != "cnn-explorer":
            pinned = ", ".join(map(str, sorted(locked[name])))
            drifted.append(f"{name} {dist.version} (uv.lock: {pinned})")
    assert not drifted, (
        "installed packages differ from uv.lock — run 'bash scripts/test.sh' (it syncs .venv/): "
        + "; ".join(sorted(drifted))
    )


def test_every_direct_dependency_is_locked_and_installed():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    wanted = requirement_names(project["dependencies"] + project["optional-dependencies"]["test"])
    locked = locked_versions()
    installed = {canonical(d.metadata["Name"] or "") for d in metadata.distributions()}
    assert not wanted - locked.keys(), f"not in uv.lock: {sorted(wanted - locked.keys())}"
    assert not wanted - installed, f"not installed: {sorted(wanted - installed)}"
