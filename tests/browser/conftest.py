"""Headless Chromium (Debian's, driven by Playwright; no browser downloads) for end-to-end
tests of the HTML report and the dashboard. Skips without Chromium, fails under CI=true.

    def test_x(page):               # a fresh page; page.console_errors lists what went wrong
        page.goto(url)
        assert page.console_errors == []
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import IN_CI

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def _chromium() -> str | None:
    explicit = os.environ.get("SWARMDECK_CHROMIUM")
    if explicit:
        return explicit
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = _chromium()
    if path is None:
        message = "no Chromium (apt-get install chromium, or set SWARMDECK_CHROMIUM)"
        if IN_CI:
            pytest.fail(f"CI=true requires the browser tests to run: {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a fresh context; ``page.console_errors`` collects console errors and
    uncaught exceptions, ``page.requests_off_host`` any request not to localhost or file:."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    off_host: list[str] = []
    page.on("console", lambda msg: errors.append(f"console.{msg.type}: {msg.text}")
            if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))

    def _request(request: Any) -> None:
        url = request.url
        if not url.startswith(("file:", "data:", "blob:", "about:", "http://127.0.0.1",
                               "http://localhost")):
            off_host.append(url)

    page.on("request", _request)
    page.console_errors = errors  # type: ignore[attr-defined]
    page.requests_off_host = off_host  # type: ignore[attr-defined]
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()
