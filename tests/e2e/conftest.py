"""Browser tests: the real server (``python -m app`` on a free port, ``tests.live``) and Debian's
Chromium driven by Playwright.

The server serves ``models/`` when the shipped trained model is there, otherwise a small
untrained model (plus a second one, so the model picker has something to pick) built into a
temporary directory. Every page records console errors, uncaught exceptions, failed requests
and requests that leave the server; a test fails if any happened (``watch.expect_error()``
lets a test that provokes an error say so).
"""

from __future__ import annotations

import json
import re
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.core.settings import REPO_ROOT
from engine.model import Model
from tests.live import LiveServer, app_env
from tests.specs import TWO_CONVS as SMALL_SPEC

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO_ROOT / "artifacts" / "e2e"
SHIPPED = REPO_ROOT / "models" / "mnist-cnn.npz"


pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Server:
    url: str
    models_dir: Path
    trained: bool  # serving the shipped, trained model

    def get_json(self, path: str):
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return json.load(r)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> tuple[Path, bool]:
    if SHIPPED.is_file():
        return SHIPPED.parent, True
    d = tmp_path_factory.mktemp("e2e-models")
    Model.from_spec(SMALL_SPEC, seed=1, name="Small CNN", meta={"dataset": "mnist"}).save(
        d / "small-cnn.npz"
    )
    Model.from_spec(SMALL_SPEC[:3] + SMALL_SPEC[5:], seed=2, name="Smaller CNN").save(
        d / "smaller-cnn.npz"
    )
    return d, False


def serve(directory: Path, trained: bool, log: Path):
    """The app (``python -m app``, ``tests.live``) serving ``directory``; yields a
    :class:`Server`, stops it after."""
    with LiveServer(log, app_env(models_dir=directory, log_level="warning")) as live:
        yield Server(live.url, directory, trained)


@pytest.fixture(scope="session")
def server(models_dir, tmp_path_factory) -> Server:
    directory, trained = models_dir
    yield from serve(directory, trained, tmp_path_factory.mktemp("e2e-server") / "server.log")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Watch:
    """What went wrong on a page: console errors, exceptions, failed or outside requests."""

    origin: str
    problems: list[str] = field(default_factory=list)
    expected: list[re.Pattern] = field(default_factory=list)

    def expect_error(self, pattern: str) -> None:
        """Errors matching ``pattern`` are part of the test, not failures."""
        self.expected.append(re.compile(pattern))

    def add(self, problem: str) -> None:
        self.problems.append(problem)

    def unexpected(self) -> list[str]:
        return [p for p in self.problems if not any(e.search(p) for e in self.expected)]

    def attach(self, page) -> None:
        page.on("console", lambda m: m.type == "error" and self.add(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.add(f"exception: {e}"))
        # A request the page aborts itself (a new stroke cancels the one in flight) is
        # net::ERR_ABORTED: by design, not a failure.
        page.on(
            "requestfailed",
            lambda r: (
                r.failure == "net::ERR_ABORTED" or self.add(f"request failed: {r.url} {r.failure}")
            ),
        )
        page.on(
            "request",
            lambda r: (
                r.url.startswith((self.origin, "data:", "blob:"))
                or self.add(f"request left the app: {r.url}")
            ),
        )


def _open(browser, server, request, **context_args):
    context = browser.new_context(**context_args)
    page = context.new_page()
    page.set_default_timeout(30_000)
    watch = Watch(server.url)
    watch.attach(page)
    yield page, watch
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    page.screenshot(path=str(ARTIFACTS / f"{name}-end.png"), full_page=False)
    context.close()
    assert watch.unexpected() == [], "the page reported problems"


@pytest.fixture
def desktop(browser, server, request):
    """``(page, watch)`` at a desktop size."""
    yield from _open(browser, server, request, viewport={"width": 1280, "height": 900})


@pytest.fixture
def wide(browser, server, request):
    """``(page, watch)`` in a 1440×900 window (the overview's target)."""
    yield from _open(browser, server, request, viewport={"width": 1440, "height": 900})


@pytest.fixture
def phone(browser, server, request):
    """``(page, watch)`` at a phone size, with a touch screen."""
    yield from _open(
        browser,
        server,
        request,
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
