"""What the Train page says before Start when a data set is not on this server: the files that
are missing, the folder this server reads (``CNN_EXPLORER_DATA_DIR``), and the one command that
fetches them there, with this server's own Python."""

from __future__ import annotations

import sys
from pathlib import Path

from app.core.settings import REPO_ROOT, Settings
from engine.data import FILES, DatasetNotFound, find_file, search_dirs

DATA_DIR_SETTING = "CNN_EXPLORER_DATA_DIR"


def shown(path: Path) -> str:
    """``path`` relative to the project folder when inside it: what a person types there."""
    try:
        return str(Path(path).absolute().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def missing_data(name: str, settings: Settings) -> dict | None:
    """``None`` when ``name`` can be trained on here, else what is missing and how to get it."""
    missing = []
    for filename in (*FILES["train"], *FILES["test"]):
        try:
            find_file(name, filename, settings.data_dir)
        except DatasetNotFound:
            missing.append(filename)
    if not missing:
        return None
    folder = shown(search_dirs(name, settings.data_dir)[0])
    python = shown(Path(sys.executable))
    return {
        "files": missing,
        "folder": folder,
        "setting": DATA_DIR_SETTING,
        "command": f"{python} -m engine download --dataset {name} --data-dir {folder}",
    }
