"""Package data that lives outside the packages: the wheel carries ``templates/``, ``static/``,
``models/`` and ``data/`` as ``cnn_explorer/share/<name>`` (``app/core/paths.py`` finds them).

Everything else is in pyproject.toml; this file only adds that copy to ``build_py``.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHARED = ("templates", "static", "models", "data")  # as app/core/paths.py SHARED
SKIP = (".jobs", "__pycache__")  # a server's state, not the package's


def shipped(path: Path) -> bool:
    """Not a hidden file or state, a checkpoint, or a downloaded training set."""
    hidden = any(p in SKIP or p.startswith(".") for p in path.parts)
    return not (hidden or path.name.endswith(".ckpt.npz") or path.name.startswith("train-"))


class BuildWithShare(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads them from the checkout
            return
        share = Path(self.build_lib) / "cnn_explorer" / "share"
        for name in SHARED:
            for src in sorted(Path(name).rglob("*")):
                if src.is_file() and shipped(src):
                    dst = share / src
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    self.copy_file(str(src), str(dst))


setup(cmdclass={"build_py": BuildWithShare})
