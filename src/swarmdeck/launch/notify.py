"""Webhook notifications of a platform run's end: which events happened, the message (JSON,
or Slack's ``{"text": ...}``), and sending it with retries.

Events: ``run_end`` (every run a launch ends, started or not), ``threshold_failed`` (a
threshold of the run failed) and ``regression`` (its comparison found an endpoint
significantly slower, or broke a regression budget).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from swarmdeck.errors import BadInput

EVENTS = ("run_end", "threshold_failed", "regression")
FORMATS = ("json", "slack")
MAX_URL = 2000
TIMEOUT_S = 10.0
RETRY_DELAYS_S = (1.0, 4.0)  # after the first attempt and the second: three in all


@dataclass(frozen=True)
class RunEnd:
    """What a message tells: plain values, read from the store by the caller."""

    test_id: int
    test_name: str
    version: int
    launch_id: int
    exit_code: int | None
    requested_by: str
    run: Mapping[str, Any] | None  # web.queries.record_json of the run, if it started
    launch_message: str | None = None


def check_url(url: object) -> str:
    text = url.strip() if isinstance(url, str) else ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(text) > MAX_URL:
        raise BadInput("a webhook needs an http(s) URL",
                       "e.g. https://hooks.slack.com/services/...")
    return text


def check_events(events: object) -> list[str]:
    if events in (None, "", []):
        return ["run_end"]
    given = [events] if isinstance(events, str) else events
    if not isinstance(given, list) or not all(e in EVENTS for e in given):
        raise BadInput(f"events must be some of {', '.join(EVENTS)}")
    return [e for e in EVENTS if e in given]


def check_format(format_: object) -> str:
    if format_ in (None, ""):
        return "json"
    if format_ not in FORMATS:
        raise BadInput(f"format must be {' or '.join(FORMATS)}")
    return str(format_)


def events_of(end: RunEnd) -> list[str]:
    happened = ["run_end"]
    run = end.run or {}
    if any(not t.get("passed", True) for t in run.get("thresholds") or ()):
        happened.append("threshold_failed")
    comparison = run.get("comparison") or {}
    if comparison.get("budget_failures") or any(
            row.get("verdict") == "slower" for row in comparison.get("rows") or ()):
        happened.append("regression")
    return happened


def message(end: RunEnd, events: Sequence[str], format_: str,
            base_url: str | None) -> dict[str, Any]:
    run = end.run
    link = f"{(base_url or '').rstrip('/')}/runs/{run['id']}" if run else None
    failed = [t["expr"] for t in (run or {}).get("thresholds") or () if not t.get("passed")]
    comparison = (run or {}).get("comparison") or {}
    slower = [row.get("endpoint") for row in comparison.get("rows") or ()
              if row.get("verdict") == "slower"]
    if format_ == "slack":
        what = (f"run {run['id']} {run['status']}" if run else
                f"did not start (exit code {end.exit_code})")
        parts = [f"swarmdeck: {end.test_name} (version {end.version}) {what}"]
        if failed:
            parts.append("thresholds failed: " + "; ".join(failed))
        if slower or comparison.get("budget_failures"):
            parts.append("regression: " + "; ".join(
                [*(f"{e} slower" for e in slower), *comparison.get("budget_failures", [])]))
        if end.launch_message and not run:
            parts.append(end.launch_message)
        if link:
            parts.append(link)
        return {"text": "\n".join(parts)}
    return {"events": list(events), "test": {"id": end.test_id, "name": end.test_name,
                                             "version": end.version},
            "launch": {"id": end.launch_id, "exit_code": end.exit_code,
                       "requested_by": end.requested_by, "message": end.launch_message},
            "run": None if run is None else {
                "id": run["id"], "status": run["status"], "message": run.get("message"),
                "host": run.get("host"), "requests": run.get("requests"),
                "failures": run.get("failures"), "p95_ms": run.get("p95_ms"), "url": link},
            "thresholds_failed": failed, "slower_endpoints": slower,
            "budget_failures": list(comparison.get("budget_failures") or [])}


@dataclass(frozen=True)
class Attempt:
    status: str  # pending (will retry), delivered, failed
    response_status: int | None
    error: str | None


def send(url: str, body: Mapping[str, Any], record: Callable[[Attempt], None], *,
         delays: Sequence[float] = RETRY_DELAYS_S,
         sleep: Callable[[float], None] = time.sleep) -> Attempt:
    """POST the body, retrying after each delay on a failure; ``record`` every attempt.
    A 2xx is delivered; anything else (including no answer) is retried, then failed."""
    data = json.dumps(body).encode()
    tries = len(delays) + 1
    attempt = Attempt("failed", None, "not sent")
    for number in range(tries):
        status, error = None, None
        request = urllib.request.Request(url, data=data, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "swarmdeck-webhook"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
                status = int(answer.status)
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = str(getattr(exc, "reason", exc))[:300]
        if status is not None and 200 <= status < 300:
            attempt = Attempt("delivered", status, None)
        else:
            last = number == tries - 1
            attempt = Attempt("failed" if last else "pending", status, error)
        record(attempt)
        if attempt.status != "pending":
            return attempt
        sleep(delays[number])
    return attempt
