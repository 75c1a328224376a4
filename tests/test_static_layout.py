"""The pages' scripts keep their floor plan: ``static/js/pages/<page>/`` (the page's entry
``main.js`` and what only that page uses) and ``static/js/shared/`` (what several pages use).
Every relative import names a file that is there; shared code imports no page; a page imports
no other page; every ``/static/js/...`` the templates and the app name exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.core.settings import REPO_ROOT

JS = REPO_ROOT / "static" / "js"
MODULES = sorted(JS.rglob("*.js"))
IMPORT = re.compile(r"""(?:from|import)\s*\(?\s*["'](\.{1,2}/[^"']+)["']""")
STATIC_URL = re.compile(r"""/static/js/[^"'\s)]+\.js""")


def imports(module: Path) -> list[Path]:
    """The modules ``module`` imports by relative path, resolved."""
    return [(module.parent / spec).resolve() for spec in IMPORT.findall(module.read_text())]


def place(module: Path) -> tuple[str, ...]:
    """``("shared",)`` or ``("pages", "<page>")`` for a module under static/js."""
    parts = module.relative_to(JS.resolve()).parts
    return parts[:2] if parts[0] == "pages" else parts[:1]


def test_every_module_is_a_page_s_or_shared():
    assert MODULES
    for module in MODULES:
        assert place(module.resolve())[0] in ("pages", "shared"), module.relative_to(JS)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: str(m.relative_to(JS)))
def test_imports_exist_and_go_from_pages_to_shared_only(module):
    here = place(module.resolve())
    for target in imports(module):
        assert target.is_file(), f"{module.relative_to(JS)} imports a missing {target}"
        there = place(target)
        assert there == ("shared",) or there == here, (
            f"{module.relative_to(JS)} ({'/'.join(here)}) imports {'/'.join(there)}"
        )


def test_every_page_entry_the_templates_and_app_name_exists():
    sources = [*(REPO_ROOT / "templates").glob("*.html"), *(REPO_ROOT / "app").rglob("*.py")]
    named = {url for path in sources for url in STATIC_URL.findall(path.read_text())}
    assert "/static/js/pages/explorer/main.js" in named
    for url in sorted(named):
        assert (REPO_ROOT / url.lstrip("/")).is_file(), url
