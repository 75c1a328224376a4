"""The tests keep their own floor plan: a test module imports plain helpers from the helper
modules (``tests/utils.py``, ``tests/specs.py``, ``tests/live.py``, ``tests/e2e/helpers.py``,
``tests/engine/gradcheck.py`` …) and gets fixtures from a ``conftest.py`` — never imports from
another test module or from a conftest, where pytest, not Python, should load it."""

from __future__ import annotations

import ast
from pathlib import Path

from app.core.settings import REPO_ROOT

TESTS = REPO_ROOT / "tests"


def imported_modules(path: Path) -> list[str]:
    """Every module ``path`` imports by absolute name (``from a.b import c`` gives ``a.b``)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return names


def test_no_test_module_imports_a_test_module_or_a_conftest():
    wrong = [
        f"{path.relative_to(REPO_ROOT)} imports {name}"
        for path in sorted(TESTS.rglob("*.py"))
        for name in imported_modules(path)
        if name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith(("test_", "conftest"))
    ]
    assert wrong == [], "\n".join(wrong)
