"""The screenshot audit: every page at a laptop's 1440×900, a phone's 390×844 and a small
phone's 360×740 (touch),
one browser and one server for all of them. Each page must fit its width (no sideways
scrolling of the whole page), log no errors, and show its hooks; the screenshots are kept in
``artifacts/e2e/audit/`` for a person to look at."""

from __future__ import annotations

import re

import pytest

from tests.e2e.helpers import wait_until

pytestmark = pytest.mark.e2e

SIZES = {
    "laptop": {"viewport": {"width": 1440, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "small-phone": {
        "viewport": {"width": 360, "height": 740},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    },
}

# A page's path and the hooks that must be visible once it has loaded (ui.md).
PAGES = {
    "explorer": ("/", ["draw-canvas", "prediction", "network-overview", "model-select"]),
    "anatomy": ("/anatomy", ["sliding-view", "equation-view", "conv-output"]),
    "train": ("/train", ["start-training"]),
    "evaluate": ("/evaluate", ["confusion-matrix"]),
    "filters": ("/filters", []),
    "color": ("/color", []),
    "docs": ("/docs", []),
}

# Against the screen's width: a phone widens innerWidth (zooms out) to whatever overflows it.
OVERFLOW = "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture(scope="module", params=list(SIZES))
def sized(request, browser, server, artifacts):
    """One browser context per size, shared by every page of the audit."""
    context = browser.new_context(**SIZES[request.param])
    yield request.param, context
    context.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_page_fits_and_shows_its_hooks(sized, name, server, artifacts):
    size, context = sized
    path, hooks = PAGES[name]
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server.url + path)
    page.wait_for_load_state("networkidle")
    for hook in hooks:
        page.get_by_test_id(hook).first.wait_for(state="visible")
    if name == "explorer":  # as a visitor leaves it: a digit in, every layer drawn
        page.locator('[data-testid="gallery"] .digit').first.click()
        wait_until(page, "Number(document.body.dataset.renders || 0) > 0")
        page.evaluate("scrollTo(0, 0)")
    wait_until(page, "document.fonts.status === 'loaded'")
    out = artifacts / "audit"
    out.mkdir(exist_ok=True)
    page.screenshot(path=str(out / f"{name}-{size}.png"))
    page.screenshot(path=str(out / f"{name}-{size}-full.png"), full_page=True)
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                       && getComputedStyle(e).position !== 'fixed')
        .filter((e) => !e.parentElement.closest('[data-scroll-x]') && !e.closest('[data-scroll-x]'))
        .slice(0, 5).map((e) => `${e.tagName}.${e.className}`)"""
    )
    overflow = page.evaluate(OVERFLOW)
    page.close()
    assert overflow <= 0, f"{path} is {overflow}px wider than the {size} screen: {wide}"
    # A 503 or 429 with Retry-After (heavy work queued: the filters' images; the anatomy's
    # burst of requests) is retried by the API client by design; Chromium still logs it.
    assert [e for e in errors if not re.search(r"status of (503|429)", e)] == []
