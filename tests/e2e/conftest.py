"""Browser tests: the real server (``python -m app`` on a free port, ``tests.live``) and Debian's
Chromium driven by Playwright.

The server serves ``models/`` when the shipped trained model is there, otherwise a small
untrained model (plus a second one, so the model picker has something to pick) built into a
temporary directory. Every page records console errors, uncaught exceptions, failed requests
and requests that leave the server; a test fails if any happened (``watch.expect_error()``
lets a test that provokes an error say so).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.stroke_roundtrip import CHROMIUM_ARGS  # the benchmarks' browser, the same flags
from engine.model import Model
from tests.e2e.helpers import ARTIFACTS, SHIPPED, Server, open_anatomy, open_page, serve
from tests.specs import TWO_CONVS as SMALL_SPEC

CHROMIUM = Path("/usr/bin/chromium")
# A fake camera (a test pattern) that every page may use without asking: the explorer's webcam.
FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


pytestmark = pytest.mark.e2e


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
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *FAKE_CAMERA])
        yield b
        b.close()


@pytest.fixture
def desktop(browser, server, request):
    """``(page, watch)`` at a desktop size."""
    yield from open_page(browser, server, request, viewport={"width": 1280, "height": 900})


@pytest.fixture
def wide(browser, server, request):
    """``(page, watch)`` in a 1440×900 window (the overview's target)."""
    yield from open_page(browser, server, request, viewport={"width": 1440, "height": 900})


@pytest.fixture
def phone(browser, server, request):
    """``(page, watch)`` at a phone size, with a touch screen."""
    yield from open_page(
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


@pytest.fixture
def anatomy(desktop, server):
    """The anatomy page, open at a desktop size (its first preset drawn): the ``page``."""
    page, _ = desktop
    return open_anatomy(page, server)
