"""Webhooks: testers add them, the URL is never shown in full, and a run's end reaches a
receiver started by the test (retried once it failed), with the delivery log to show."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask
from tests.web.platform import Api, People, csrf_of, log_in, visitor
from tests.web.receiver import receiver
from tests.web.test_saved_tests import new_test

from swarmdeck.web import close_app, create_app

SECRET_PATH = "/services/T000/B000/s3cr3t-webhook-path"
LOCUSTFILE = visitor(0.2)


@pytest.fixture
def app(people: People) -> Iterator[Flask]:
    app = create_app({"SWARMDECK_DB": people.url, "TESTING": True,
                      "WEBHOOK_RETRY_DELAYS_S": (0.05, 0.1)})
    yield app
    close_app(app)


@pytest.mark.integration
def test_a_run_end_reaches_the_webhook(app: Flask, people: People) -> None:
    tester = Api(app, people.tokens["tester"])
    with receiver(get_status=500) as target, receiver(fail_first=1) as hooks:
        saved = tester.call("post", "/api/tests", 201, new_test(
            host=target.url, users=1, spawn_rate=1, run_time="2s",
            thresholds=["error_rate < 1%"],
            locustfile={"name": "home.py", "source": LOCUSTFILE}))
        json_hook = tester.call("post", "/api/tests/{test_id}/webhooks", 201, {
            "url": hooks.url + SECRET_PATH, "events": ["threshold_failed"]},
            test_id=saved["id"])
        tester.call("post", "/api/tests/{test_id}/webhooks", 201, {
            "url": hooks.url + "/slack" + SECRET_PATH, "format": "slack",
            "events": ["regression"]}, test_id=saved["id"])  # not this run's event
        assert json_hook["url"] == "http://127.0.0.1/…path"
        launch = tester.call("post", "/api/tests/{test_id}/runs", 202, test_id=saved["id"])
        deadline = time.monotonic() + 40
        while not (deliveries := tester.call(
                "get", "/api/webhooks/{webhook_id}/deliveries", 200,
                webhook_id=json_hook["id"])["deliveries"]) \
                or deliveries[0]["status"] == "pending":
            assert time.monotonic() < deadline, deliveries
            time.sleep(0.3)
        assert hooks.statuses == [503, 200]
        body = hooks.received[-1]
    assert deliveries[0]["status"] == "delivered" and deliveries[0]["attempts"] == 2
    assert deliveries[0]["events"] == ["threshold_failed"]
    assert deliveries[0]["run_id"] == launch["run_id"]
    assert body["events"] == ["threshold_failed"]
    assert body["run"]["status"] == "failed" and body["run"]["failures"] > 0
    assert body["run"]["url"] == f"http://localhost/runs/{launch['run_id']}"
    assert body["thresholds_failed"] == ["error_rate < 1%"]
    assert body["launch"]["exit_code"] == 1 and body["launch"]["requested_by"] == "tess"


def test_webhook_urls_stay_secret_and_roles(app: Flask, people: People) -> None:
    tester = Api(app, people.tokens["tester"])
    saved = tester.call("post", "/api/tests", 201, new_test())
    url = "https://hooks.example.com" + SECRET_PATH
    Api(app, people.tokens["viewer"]).call("post", "/api/tests/{test_id}/webhooks", 403,
                                           {"url": url}, test_id=saved["id"])
    made = tester.call("post", "/api/tests/{test_id}/webhooks", 201, {"url": url},
                       test_id=saved["id"])
    assert made["events"] == ["run_end"] and made["format"] == "json"
    for bad, message in [({"url": "ftp://x"}, "http(s) URL"),
                         ({"url": url, "format": "xml"}, "format must be"),
                         ({"url": url, "events": ["lunch"]}, "events must be")]:
        assert message in tester.call("post", "/api/tests/{test_id}/webhooks", 400, bad,
                                      test_id=saved["id"])["error"]
    listed = Api(app, people.tokens["viewer"]).call(
        "get", "/api/tests/{test_id}/webhooks", 200, test_id=saved["id"])
    assert [h["url"] for h in listed["webhooks"]] == ["https://hooks.example.com/…path"]
    client = log_in(app.test_client(), "admin")
    for page in (f"/tests/{saved['id']}", f"/webhooks/{made['id']}", "/audit"):
        assert SECRET_PATH not in client.get(page).text, page
    audit = Api(app, people.tokens["admin"]).call("get", "/api/audit", 200)
    assert SECRET_PATH not in str(audit)
    form = log_in(app.test_client(), "tester")
    added = form.post(f"/tests/{saved['id']}/webhooks", data={
        "url": url, "format": "slack", "events": ["run_end", "regression"],
        "csrf_token": csrf_of(form, f"/tests/{saved['id']}")})
    assert added.status_code == 302
    hooks = tester.call("get", "/api/tests/{test_id}/webhooks", 200, test_id=saved["id"])
    assert [(h["format"], h["events"]) for h in hooks["webhooks"]] == [
        ("json", ["run_end"]), ("slack", ["run_end", "regression"])]
    tester.call("delete", "/api/webhooks/{webhook_id}", 200, webhook_id=made["id"])
    tester.call("get", "/api/webhooks/{webhook_id}/deliveries", 404, webhook_id=made["id"])
