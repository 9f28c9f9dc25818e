"""Webhook messages: the events a run's end makes, the JSON and Slack bodies, and sending
with retries to a receiver that fails first."""

from __future__ import annotations

from typing import Any

import pytest
from tests.web.receiver import receiver

from swarmdeck.errors import BadInput
from swarmdeck.launch.notify import (
    Attempt,
    RunEnd,
    check_events,
    check_url,
    events_of,
    message,
    send,
)

RUN: dict[str, Any] = {
    "id": 7, "status": "failed", "message": None, "host": "http://127.0.0.1:8000",
    "requests": 120, "failures": 3, "p95_ms": 41.5,
    "thresholds": [{"expr": "p95 < 300ms", "passed": True},
                   {"expr": "error_rate < 1%", "passed": False}],
    "comparison": {"rows": [{"endpoint": "GET /cart", "verdict": "slower"},
                            {"endpoint": "GET /", "verdict": "no significant change"}],
                   "budget_failures": ["p95 of GET /cart +40% > +10%"]},
}


def end(run: dict[str, Any] | None = RUN) -> RunEnd:
    return RunEnd(3, "checkout", 2, 11, 1, "tess", run, None)


def test_events_and_the_json_body() -> None:
    assert events_of(end()) == ["run_end", "threshold_failed", "regression"]
    assert events_of(end({**RUN, "thresholds": [], "comparison": None})) == ["run_end"]
    assert events_of(end(None)) == ["run_end"]
    body = message(end(), ["run_end", "regression"], "json", "http://dash:8089/")
    assert body["events"] == ["run_end", "regression"]
    assert body["run"]["url"] == "http://dash:8089/runs/7"
    assert body["thresholds_failed"] == ["error_rate < 1%"]
    assert body["slower_endpoints"] == ["GET /cart"]
    assert body["test"] == {"id": 3, "name": "checkout", "version": 2}


def test_the_slack_body_is_one_text() -> None:
    text = message(end(), ["run_end"], "slack", "http://dash:8089")["text"]
    assert text.splitlines() == [
        "swarmdeck: checkout (version 2) run 7 failed", "thresholds failed: error_rate < 1%",
        "regression: GET /cart slower; p95 of GET /cart +40% > +10%",
        "http://dash:8089/runs/7"]
    did_not_start = message(end(None), ["run_end"], "slack", None)["text"]
    assert did_not_start == "swarmdeck: checkout (version 2) did not start (exit code 1)"


def test_sending_retries_then_delivers() -> None:
    attempts: list[Attempt] = []
    with receiver(fail_first=2) as server:
        final = send(server.url + "/hook", {"a": 1}, attempts.append, sleep=lambda s: None)
        assert server.received == [{"a": 1}] * 3 and server.statuses == [503, 503, 200]
    assert [a.status for a in attempts] == ["pending", "pending", "delivered"]
    assert final == Attempt("delivered", 200, None)


def test_sending_gives_up_after_three_attempts() -> None:
    attempts: list[Attempt] = []
    with receiver(fail_first=5) as server:
        final = send(server.url + "/hook", {}, attempts.append, sleep=lambda s: None)
    assert [a.status for a in attempts] == ["pending", "pending", "failed"]
    assert final.response_status == 503 and final.error == "HTTP 503"
    refused = send("http://127.0.0.1:9/hook", {}, attempts.append, delays=(),
                   sleep=lambda s: None)
    assert refused.status == "failed" and refused.response_status is None
    assert "refused" in (refused.error or "").lower()


@pytest.mark.parametrize("url", ["", "ftp://x/y", "javascript:alert(1)", "http:///x", None])
def test_bad_urls_and_events_are_refused(url: object) -> None:
    with pytest.raises(BadInput):
        check_url(url)
    with pytest.raises(BadInput):
        check_events(["run_end", "lunch"])
    assert check_events(None) == ["run_end"]
