"""The platform in Chromium: a tester logs in, uploads a locustfile, saves a test against
shopfront under Gunicorn, starts it, watches the live page update, stops it and finds the
stored run; a viewer has no start button and the API refuses them; names, tags and file
names carrying XSS payloads stay text."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.conftest import SCENARIOS, shop  # noqa: F401 - the fixture
from tests.web.liveserver import LiveDashboard
from tests.web.platform import PASSWORDS, People, add_people
from tests.web.seeding import XSS_IMG, XSS_NAME

pytestmark = pytest.mark.integration
XSS_FILE = '<img src=x onerror="window.__xss=5">.py'


@pytest.fixture
def people(tmp_path: Path) -> People:
    return add_people(f"sqlite:///{tmp_path / 'platform.db'}")


@pytest.fixture
def live(people: People) -> Iterator[LiveDashboard]:
    with LiveDashboard(people.url, MAX_USERS=20, MAX_RUN_TIME_S=300) as server:
        yield server


def _log_in(page: Any, live: LiveDashboard, name: str) -> None:
    page.goto(live.url + "/tests")
    page.wait_for_url("**/login?next=/tests")
    page.fill("input[name=account-name]", name)
    page.fill("input[name=account-password]", PASSWORDS[name])
    page.click("#sd-login-account button[type=submit]")
    page.wait_for_url(live.url + "/tests")


def _no_xss(page: Any) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined"


def _tile(page: Any) -> int:
    return int(page.locator(".sd-tile-value").first.inner_text().replace(",", ""))


def test_a_tester_starts_watches_and_stops_a_run(page: Any, live: LiveDashboard,
                                                 shop: Any) -> None:  # noqa: F811
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _log_in(page, live, "tess")
    page.click("#sd-new-test")
    page.fill("input[name=name]", XSS_NAME)
    page.fill("input[name=host]", shop.url)
    page.fill("input[name=users]", "3")
    page.fill("input[name=spawn_rate]", "3")
    page.fill("input[name=run_time]", "60s")
    page.fill("textarea[name=tags]", f"note={XSS_IMG}")
    source = (SCENARIOS / "public_pages.py").read_bytes()
    page.set_input_files("input[name=locustfile]", {"name": XSS_FILE, "mimeType":
                                                    "text/x-python", "buffer": source})
    page.click("#sd-test-form button[type=submit]")
    assert "bad locustfile name" in page.locator(".sd-error").inner_text()  # refused, inert
    _no_xss(page)
    assert [e for e in page.console_errors if "status of 400" not in e] == []
    page.console_errors.clear()  # the refused form is answered 400, on purpose
    page.set_input_files("input[name=locustfile]", {"name": "public_pages.py", "mimeType":
                                                    "text/x-python", "buffer": source})
    page.click("#sd-test-form button[type=submit]")
    page.wait_for_selector("#sd-test-name")
    assert page.locator("#sd-test-name").inner_text() == XSS_NAME
    assert f"note={XSS_IMG}" in page.locator(".sd-facts").inner_text()
    _no_xss(page)
    test_url = page.url
    page.click("#sd-start button")
    page.wait_for_url("**/runs/*", timeout=30_000)
    page.wait_for_selector("#sd-report[data-rendered=true]")
    assert page.locator("#sd-report").get_attribute("data-status") == "running"
    assert page.locator("#sd-live").is_visible()
    page.wait_for_function("""() => parseInt(document.querySelector('.sd-tile-value')
        .textContent.replace(/,/g, '')) > 0""", timeout=20_000)
    first = _tile(page)
    page.wait_for_function("""(first) => parseInt(document.querySelector('.sd-tile-value')
        .textContent.replace(/,/g, '')) > first""", arg=first, timeout=15_000)
    run_url = page.url
    page.click("#sd-stop button")
    page.wait_for_function("""() => document.querySelector('#sd-report')
        .dataset.status === 'aborted'""", timeout=30_000)
    assert not page.locator("#sd-live").is_visible()
    assert page.locator("#sd-stop").count() == 0
    assert "stopped by tess" in page.locator(".sd-launched").inner_text()
    stored = _tile(page)
    assert stored > first
    page.goto(live.url + "/")
    row = page.locator("table.sd-runs tbody tr").first
    assert "aborted" in row.inner_text()
    page.goto(test_url)
    assert "stopped by tess" in page.locator("table.sd-launches").inner_text()
    page.click("table.sd-launches a")
    assert page.url == run_url
    page.wait_for_selector("#sd-report[data-rendered=true]")
    assert _tile(page) == stored
    _no_xss(page)
    assert dialogs == [] and page.console_errors == [] and page.requests_off_host == []


def test_a_viewer_cannot_start_anything(page: Any, live: LiveDashboard,
                                        people: People) -> None:
    tester = people.tokens["tester"]
    body = json.dumps({"name": "home", "host": "http://127.0.0.1:9", "run_time": "5s",
                       "locustfile": {"name": "home.py", "source":
                                      "from locust import HttpUser\nclass A(HttpUser):\n"
                                      "    pass\n"}}).encode()
    made = _call(live, "POST", "/api/tests", tester, body)
    _log_in(page, live, "vic")
    page.goto(f"{live.url}/tests/{made['id']}")
    assert page.locator("#sd-test-name").inner_text() == "home"
    assert page.locator("#sd-start").count() == 0
    assert page.locator("#sd-new-test").count() == 0
    with pytest.raises(urllib.error.HTTPError) as refused:
        _call(live, "POST", f"/api/tests/{made['id']}/runs", people.tokens["viewer"], b"")
    assert refused.value.code == 403
    assert "needs the tester role" in json.load(refused.value)["error"]
    assert page.console_errors == []


def _call(live: LiveDashboard, method: str, path: str, token: str, body: bytes) -> Any:
    request = urllib.request.Request(live.url + path, data=body or None, method=method,
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as answer:
        return json.load(answer)
