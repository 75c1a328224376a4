"""An installed wheel finds its pages and shipped models as ``cnn_explorer/share/<name>``."""

from __future__ import annotations

import ast
from pathlib import Path

from app.core import paths
from app.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_a_checkout_serves_its_own_folders():
    assert paths.in_checkout(ROOT) and paths.resources(ROOT) == ROOT
    settings = Settings()
    assert settings.static_dir == ROOT / "static" and settings.models_dir == ROOT / "models"


def test_an_installed_package_finds_its_share_folder(tmp_path):
    site = tmp_path / "site-packages"  # app/, engine/, cnn_explorer/ side by side
    share = site / "cnn_explorer" / "share"
    for name in paths.SHARED:
        (share / name).mkdir(parents=True)
    assert not paths.in_checkout(site)
    assert paths.resources(site) == share


def test_setup_copies_what_paths_reads():
    """setup.py's list of shipped folders is the one app/core/paths.py looks in."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    assigned = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and node.targets[0].id == "SHARED"
    }
    assert assigned["SHARED"] == paths.SHARED
    assert all((paths.RESOURCES / name).is_dir() for name in paths.SHARED)


def test_the_user_folder_can_be_moved(monkeypatch, tmp_path):
    monkeypatch.setenv(paths.USER_DIR_VARIABLE, str(tmp_path / "elsewhere"))
    assert paths.user_dir() == tmp_path / "elsewhere"
