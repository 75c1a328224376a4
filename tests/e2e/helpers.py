"""What the browser tests share: the served app (:class:`Server`, :func:`serve`), a page that
records its problems (:class:`Watch`, :func:`open_page`), drawing on the pad, and opening the
pages. The fixtures over them are in ``conftest.py``."""

from __future__ import annotations

import json
import re
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from playwright.sync_api import expect

from app.core.settings import REPO_ROOT
from engine.model import Model
from tests.app.trainset import mnist_dir
from tests.live import LiveServer, app_env
from tests.specs import TWO_CONVS

ARTIFACTS = REPO_ROOT / "artifacts" / "e2e"
SHIPPED = REPO_ROOT / "models" / "mnist-cnn.npz"  # the shipped default model


# A canvas's size and how many of its pixels are coloured (not grey): ``canvas.evaluate(PAINTED)``.
PAINTED = """c => {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let coloured = 0;
    for (let i = 0; i < d.length; i += 4) {
        const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
        if (Math.max(r, g, b) - Math.min(r, g, b) > 40) coloured++;
    }
    return { width: c.width, height: c.height, coloured };
}"""


def wait_until(page, expression: str, **kwargs):
    """Wait until the JavaScript ``expression`` is truthy in the page.

    The pages run under a Content-Security-Policy without ``'unsafe-eval'``, and Playwright
    evaluates a bare expression string with ``eval`` — so the expression is sent as a function.
    """
    return page.wait_for_function(f"() => ({expression})", **kwargs)


def expect_counts(root, counts: dict[str, int]) -> None:
    """Expect each CSS selector in ``counts`` to match that many elements inside ``root``."""
    for selector, n in counts.items():
        expect(root.locator(selector)).to_have_count(n)


# -- the server and the page ----------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    url: str
    models_dir: Path
    trained: bool  # serving the shipped, trained model

    def get_json(self, path: str):
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return json.load(r)


def serve(directory: Path, trained: bool, log: Path, **settings):
    """The app (``python -m app``, ``tests.live``) serving ``directory`` (and any other
    ``settings``); yields a :class:`Server`, stops it after. Photos the pages store go beside
    ``log`` unless ``photos_dir`` says otherwise: ``directory`` may be the repository's models/."""
    settings.setdefault("photos_dir", log.parent / "photos")
    env = app_env(models_dir=directory, log_level="warning", **settings)
    with LiveServer(log, env) as live:
        yield Server(live.url, directory, trained)


def serve_for_training(root: Path):
    """The app for the training tests, all in ``root``: its own models directory (a small
    untrained stand-in for the shipped model) and data directory (the shipped MNIST test set
    standing in for the training set), so nothing is written into the repository."""
    models = root / "models"
    models.mkdir()
    Model.from_spec(TWO_CONVS, seed=1, name="Shipped stand-in", meta={"dataset": "mnist"}).save(
        models / "mnist-cnn.npz"
    )
    yield from serve(models, False, root / "server.log", data_dir=mnist_dir(root / "data"))


@dataclass
class Watch:
    """What went wrong on a page: console errors, exceptions, failed or outside requests."""

    origin: str
    problems: list[str] = field(default_factory=list)
    expected: list[re.Pattern] = field(default_factory=list)
    # 503s answered with Retry-After ("computing it, ask again": the permutation test's table
    # on a fresh server), which the page does: (console text, URL) of their console errors
    later: set[str] = field(default_factory=set)
    busy: list[tuple[str, str]] = field(default_factory=list)

    def expect_error(self, pattern: str) -> None:
        """Errors matching ``pattern`` are part of the test, not failures."""
        self.expected.append(re.compile(pattern))

    def add(self, problem: str) -> None:
        self.problems.append(problem)

    def unexpected(self) -> list[str]:
        retried = [text for text, url in self.busy if url not in self.later]
        problems = self.problems + retried
        return [p for p in problems if not any(e.search(p) for e in self.expected)]

    def console(self, m) -> None:
        if m.type != "error":
            return
        if "status of 503" in m.text:
            self.busy.append((f"console: {m.text}", m.location.get("url", "")))
        else:
            self.add(f"console: {m.text}")

    def attach(self, page) -> None:
        page.on("console", self.console)
        page.on(
            "response",
            lambda r: r.status == 503 and r.headers.get("retry-after") and self.later.add(r.url),
        )
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


def open_page(browser, server, request, **context_args):
    """Yield ``(page, watch)`` in a new browser context; after, a screenshot to ``ARTIFACTS``
    and no unexpected problems."""
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
    assert not watch.unexpected(), f"the page reported problems: {watch.unexpected()}"


# -- the explorer ---------------------------------------------------------------------------

# Strokes in pad coordinates (0..1), shaped like the digits.
SEVEN = [[(0.25, 0.2), (0.75, 0.2), (0.6, 0.5), (0.45, 0.85)]]
ONE = [[(0.5, 0.15), (0.5, 0.85)]]
DASH = [[(0.3, 0.5), (0.7, 0.5)]]
STEPS = 12  # pointer moves per straight segment


def along(path):
    """The points of a polyline, ``STEPS`` per segment, after the first."""
    for (x0, y0), (x1, y1) in pairwise(path):
        for t in range(1, STEPS + 1):
            yield x0 + (x1 - x0) * t / STEPS, y0 + (y1 - y0) * t / STEPS


def draw(page, strokes) -> None:
    """Draw ``strokes`` on the pad with the mouse: down, moves along each path, up."""
    pad = page.get_by_test_id("draw-canvas")
    pad.scroll_into_view_if_needed()  # as a person would: the pad must be on screen
    box = pad.bounding_box()

    def at(p):
        return box["x"] + p[0] * box["width"], box["y"] + p[1] * box["height"]

    for path in strokes:
        page.mouse.move(*at(path[0]))
        page.mouse.down()
        for p in along(path):
            page.mouse.move(*at(p))
        page.mouse.up()


def ink(page) -> int:
    """How many pixels of the drawing pad hold ink."""
    return page.get_by_test_id("draw-canvas").evaluate(
        """c => {
            const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
            return n;
        }"""
    )


def renders(page) -> int:
    return int(page.evaluate("Number(document.body.dataset.renders || 0)"))


def wait_for_render_after(page, count: int) -> None:
    wait_until(page, f"Number(document.body.dataset.renders || 0) > {count}")


def rendered_by(page, action) -> None:
    """Do ``action`` and wait for the explorer to draw the result it causes."""
    count = renders(page)
    action()
    wait_for_render_after(page, count)


def model_detail(server) -> dict:
    models = server.get_json("/api/models")
    return server.get_json(f"/api/models/{models['default'] or models['models'][0]['id']}")


def open_explorer(page, server) -> dict:
    model = model_detail(server)
    page.goto(server.url + "/")
    expect(page.get_by_test_id(f"layer-{len(model['layers']) - 1}")).to_be_attached()
    expect(page.locator('[data-testid="gallery"] .digit').first).to_be_visible()
    return model


# -- the overview and the API ---------------------------------------------------------------


def post(server, path: str, body: dict) -> bytes:
    """POST ``body`` as JSON to the server; the answer's bytes."""
    req = urllib.request.Request(
        server.url + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()


def post_json(server, path: str, body: dict):
    """POST ``body`` as JSON to the server; the answer, parsed."""
    return json.loads(post(server, path, body))


def overview_point(page, index: int, fx: float, fy: float) -> tuple[float, float]:
    """Page coordinates of fractions (fx, fy) of layer ``index``'s picture in the overview."""
    canvas = page.get_by_test_id("network-overview").locator(f'[data-layer="{index}"] canvas')
    box = canvas.bounding_box()
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


def point_at(page, index: int, fx: float = 0.3, fy: float = 0.2):
    """Hover layer ``index``'s picture at fractions (fx, fy); the API's connections answer."""
    with page.expect_response(lambda r: "/connections" in r.url) as answer:
        page.mouse.move(*overview_point(page, index, fx, fy))
    return answer.value


def activation(server, model, body: dict, index: int, unit: list[int]) -> float:
    """Layer ``index``'s value at ``unit`` from the JSON ``activations`` for ``body``."""
    drawing = {k: v for k, v in body.items() if k in ("image", "pixels", "preprocess")}
    answer = post_json(server, f"/api/models/{model['id']}/activations", drawing)
    value = answer["layers"][index]["data"]
    for u in unit:
        value = value[u]
    return value


# -- the anatomy ----------------------------------------------------------------------------


def open_anatomy(page, server):
    page.goto(server.url + "/anatomy")
    # the sticky header would cover the element screenshots
    page.evaluate("() => { document.querySelector('.site-header').style.position = 'static'; }")
    expect(page.get_by_test_id("matrix-view").locator(".matrix-summary")).to_contain_text(
        "M is 4 × 9"
    )
    return page


@contextmanager
def elsewhere(browser, url: str, **context):
    """``url`` opened in a fresh browser context (no storage, no history): a page of its own."""
    fresh = browser.new_context(**context)
    try:
        other = fresh.new_page()
        other.goto(url)
        yield other
    finally:
        fresh.close()
