"""Small helpers shared by the browser tests."""

from __future__ import annotations


def wait_until(page, expression: str, **kwargs):
    """Wait until the JavaScript ``expression`` is truthy in the page.

    The pages run under a Content-Security-Policy without ``'unsafe-eval'``, and Playwright
    evaluates a bare expression string with ``eval`` — so the expression is sent as a function.
    """
    return page.wait_for_function(f"() => ({expression})", **kwargs)
