"""``/docs``, the API reference, in a real browser: Swagger UI from the app itself, every
operation listed, nothing blocked by the Content-Security-Policy (no console errors)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_docs_list_every_operation_under_the_csp(desktop, server):
    page, _ = desktop
    page.goto(server.url + "/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    operations = sum(len(ops) for ops in server.get_json("/openapi.json")["paths"].values())
    expect(page.locator(".opblock")).to_have_count(operations)
    expect(page.locator(".info .title")).to_contain_text("CNN Explorer")
