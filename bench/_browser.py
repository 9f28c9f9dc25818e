"""What the screenshot scripts (screenshots.py, platform_screenshots.py) share: Debian's
Chromium found, ``swarmdeck serve`` started on a free port of 127.0.0.1 and stopped, a
headless browser and its first page, and a picture of a page clipped to a height.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import ViewportSize, sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}


def chromium_path() -> str:
    """``SWARMDECK_CHROMIUM``, else ``chromium`` on the PATH; exits saying how to get one."""
    chromium = os.environ.get("SWARMDECK_CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        raise SystemExit("no Chromium: apt-get install chromium (or set SWARMDECK_CHROMIUM)")
    return chromium


@contextmanager
def serving(results: str, env: Mapping[str, str], cwd: Path, stop_s: float) -> Iterator[str]:
    """``swarmdeck serve`` over the results database on 127.0.0.1:0; its URL. Stopped with
    SIGINT at the end (waiting up to ``stop_s``)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "swarmdeck", "serve", "--db", results, "--bind",
         "127.0.0.1:0"], stdout=subprocess.PIPE, text=True, env=dict(env), cwd=cwd,
        start_new_session=True)
    try:
        assert server.stdout is not None
        match = re.search(r"on (http://\S+) ", server.stdout.readline())
        if match is None:
            raise SystemExit("swarmdeck serve did not start")
        yield match[1].rstrip("/")
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=stop_s)
        if server.stdout:
            server.stdout.close()


@contextmanager
def browsing(chromium: str) -> Iterator[tuple[Any, Any]]:
    """Headless Chromium and a page of VIEWPORT: (browser, page); closed at the end."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser, browser.new_page(viewport=VIEWPORT)
        browser.close()


def picture(page: Any, target: Path, height: int | None) -> None:
    """The page as it is now (after 300 ms for its charts' first paint), clipped to
    ``height`` pixels (None: the full page)."""
    page.wait_for_timeout(300)
    full = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=str(target), full_page=True,
                    clip=None if height is None else
                    {"x": 0, "y": 0, "width": 1280, "height": min(height, full)})
    print(f"wrote {target}", flush=True)
