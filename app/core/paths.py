"""Where the app's files are: in a checkout, or installed by ``pip install .``.

In a checkout the pages (``templates/``, ``static/``), the shipped ``models/`` and ``data/``
sit beside ``app/``. An installed wheel carries them as ``cnn_explorer/share/<name>`` (setup.py
copies them there), since only packages are installed. What the app writes (the
``cnn-explorer`` command's models, cached tables when installed) goes in a per-user folder,
never into the checkout or site-packages.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

REPO_ROOT = Path(__file__).resolve().parents[2]  # the checkout, or site-packages when installed
SHARED = ("templates", "static", "models", "data")  # what the wheel carries as package data
USER_DIR_VARIABLE = "CNN_EXPLORER_USER_DIR"


def in_checkout(root: Path = REPO_ROOT) -> bool:
    """Whether ``root`` is a source checkout (its pages beside the code) rather than an install."""
    return (root / "pyproject.toml").is_file() and (root / "templates").is_dir()


def resources(root: Path = REPO_ROOT) -> Path:
    """The folder holding ``templates/``, ``static/``, ``models/`` and ``data/``."""
    return root if in_checkout(root) else root / "cnn_explorer" / "share"


def user_dir() -> Path:
    """The per-user folder (``~/.local/share/cnn-explorer`` on Linux); ``CNN_EXPLORER_USER_DIR``
    moves it."""
    chosen = os.environ.get(USER_DIR_VARIABLE)
    if chosen:
        return Path(chosen).expanduser()
    return Path(platformdirs.user_data_dir("cnn-explorer", appauthor=False))


RESOURCES = resources()
