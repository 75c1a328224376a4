"""The pages on a shared server: with a write token, the first write asks for it once and then
goes through; on a read-only server, the write buttons are off and say why."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from engine.model import Model
from tests.e2e.helpers import Watch
from tests.live import LiveServer, app_env
from tests.specs import TWO_CONVS

TOKEN = "lesson-token-1234"


@pytest.fixture(scope="module")
def shared_models(tmp_path_factory):
    d = tmp_path_factory.mktemp("shared-models")
    for i, name in enumerate(["Lesson CNN", "Spare CNN"]):
        Model.from_spec(TWO_CONVS, seed=i, name=name, meta={"dataset": "mnist"}).save(
            d / f"{name.lower().replace(' ', '-')}.npz"
        )
    return d


def tab(browser, url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    watch = Watch(url)
    watch.attach(page)
    return context, page, watch


def test_the_first_write_asks_for_the_token_once(browser, shared_models, tmp_path):
    env = app_env(
        models_dir=shared_models, default_model="lesson-cnn", write_token=TOKEN, log_level="warning"
    )
    with LiveServer(tmp_path / "token.log", env) as server:
        context, page, watch = tab(browser, server.url)
        asked = []
        page.on("dialog", lambda d: (asked.append(d.message), d.accept(TOKEN)))
        watch.expect_error("401")  # the refused first try, before the token is sent
        page.goto(f"{server.url}/evaluate")
        row = page.locator('[data-model="spare-cnn"]')
        row.get_by_role("button", name="Rename").click()
        row.get_by_label("New name for spare-cnn").fill("Renamed by the teacher")
        row.get_by_role("button", name="Save").click()
        expect(page.locator('[data-model="spare-cnn"]')).to_contain_text("Renamed by the teacher")
        assert len(asked) == 1 and "write token" in asked[0], asked
        assert TOKEN not in asked[0]
        assert watch.unexpected() == []
        context.close()


def test_a_read_only_server_says_why_its_write_buttons_are_off(browser, shared_models, tmp_path):
    env = app_env(
        models_dir=shared_models, default_model="lesson-cnn", read_only=1, log_level="warning"
    )
    with LiveServer(tmp_path / "read-only.log", env) as server:
        context, page, watch = tab(browser, server.url)
        page.goto(f"{server.url}/train")
        start = page.get_by_test_id("start-training")
        expect(start).to_be_disabled()
        assert "read-only" in (start.get_attribute("title") or "")
        expect(page.get_by_test_id("read-only")).to_contain_text("read-only")
        page.goto(f"{server.url}/evaluate")
        expect(
            page.locator('[data-model="spare-cnn"]').get_by_role("button", name="Delete")
        ).to_be_disabled()
        expect(page.get_by_role("button", name="Import")).to_be_disabled()
        assert watch.unexpected() == []
        context.close()
