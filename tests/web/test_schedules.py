"""Schedules: testers add them (API and page), the scheduler fires a due one with an
injectable clock (once for missed times, once across two schedulers), and a run it
cannot start is recorded with the reason."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from tests.web.platform import Api, People, csrf_of, log_in
from tests.web.test_saved_tests import new_test

from swarmdeck.web import close_app, create_app
from swarmdeck.web.scheduler import Scheduler


@pytest.fixture
def app(people: People) -> Iterator[Flask]:
    app = create_app({"SWARMDECK_DB": people.url, "TESTING": True, "MAX_USERS": 10})
    yield app
    close_app(app)


def scheduler_at(app: Flask, moment: datetime) -> Scheduler:
    scheduler: Scheduler = app.extensions["swarmdeck_scheduler"]
    return Scheduler(scheduler.schedules, scheduler.launcher, clock=lambda: moment)


def test_a_schedule_fires_once_when_due(app: Flask, people: People) -> None:
    tester = Api(app, people.tokens["tester"])
    saved = tester.call("post", "/api/tests", 201,
                        new_test(host="http://127.0.0.1:9", run_time="2s"))
    made = tester.call("post", "/api/tests/{test_id}/schedules", 201,
                       {"cron": "0 3 * * *", "compare_to": "last",
                        "max_regression": ["p95=+50%"]}, test_id=saved["id"])
    created = datetime.fromisoformat(made["created_at"])
    first = created.replace(hour=3, minute=0, second=0, microsecond=0)
    if first <= created:  # created after 03:00 UTC: the first is tomorrow's
        first += timedelta(days=1)
    assert made["next_at"] == first.isoformat() and made["last_due"] is None
    assert scheduler_at(app, first - timedelta(seconds=1)).tick() == []
    # the server was down for three nights: it fires once, for the last one
    late = first + timedelta(days=2, hours=5)
    fired = scheduler_at(app, late).tick()
    assert [(f.schedule_id, f.due) for f in fired] == [(made["id"], first + timedelta(days=2))]
    assert fired[0].launch_id is not None and fired[0].message is None
    assert scheduler_at(app, late).tick() == []  # and not again
    listed = tester.call("get", "/api/schedules", 200)["schedules"][0]
    assert listed["last_due"] == (first + timedelta(days=2)).isoformat()
    assert listed["last_launch_id"] == fired[0].launch_id
    deadline = time.monotonic() + 30
    while (launch := tester.call("get", "/api/launches/{launch_id}", 200,
                                 launch_id=fired[0].launch_id))["status"] != "ended":
        assert time.monotonic() < deadline, launch
        time.sleep(0.3)
    assert launch["requested_by"] == f"schedule-{made['id']}"
    assert launch["exit_code"] == 3  # nothing listens on 127.0.0.1:9: the run says so
    assert "127.0.0.1:9" in (launch["message"] or "")


def test_two_schedulers_start_one_run(app: Flask, people: People) -> None:
    tester = Api(app, people.tokens["tester"])
    saved = tester.call("post", "/api/tests", 201, new_test(host="http://127.0.0.1:9",
                                                            users=99))
    tester.call("post", "/api/tests/{test_id}/schedules", 201, {"cron": "* * * * *"},
                test_id=saved["id"])
    later = datetime.now(UTC) + timedelta(minutes=2)
    one, two = scheduler_at(app, later), scheduler_at(app, later)
    stale = one.schedules.all()  # both read the schedule before either claims it
    assert one.schedules.claim(stale[0], later.replace(second=0, microsecond=0))
    assert not two.schedules.claim(stale[0], later.replace(second=0, microsecond=0))
    fired = scheduler_at(app, later + timedelta(minutes=1)).tick()
    assert len(fired) == 1 and fired[0].launch_id is None  # 99 users: over the limit
    assert "99 users is more than this server allows" in (fired[0].message or "")
    listed = tester.call("get", "/api/schedules", 200)["schedules"][0]
    assert "99 users" in listed["last_message"]


@pytest.mark.parametrize("role", ["viewer", "tester"])
def test_schedules_per_role_and_bad_input(app: Flask, people: People, role: str) -> None:
    saved = Api(app, people.tokens["tester"]).call("post", "/api/tests", 201, new_test())
    api = Api(app, people.tokens[role])
    allowed = role == "tester"
    made = api.call("post", "/api/tests/{test_id}/schedules", 201 if allowed else 403,
                    {"cron": "*/15 * * * *"}, test_id=saved["id"])
    api.call("get", "/api/schedules", 200)
    if not allowed:
        return
    for body, message in [({"cron": "61 * * * *"}, "bad cron expression"),
                          ({"cron": "0 3 * * *", "compare_to": "yesterday"}, "compare_to"),
                          ({}, "bad cron expression")]:
        assert message in api.call("post", "/api/tests/{test_id}/schedules", 400, body,
                                   test_id=saved["id"])["error"]
    api.call("post", "/api/tests/{test_id}/schedules", 404, {"cron": "0 3 * * *"},
             test_id=999)
    client = log_in(app.test_client(), role)
    page = client.post(f"/tests/{saved['id']}/schedules", data={
        "cron": "30 4 * * 1", "csrf_token": csrf_of(client, f"/tests/{saved['id']}")})
    assert page.status_code == 302
    listing = client.get("/schedules").text
    assert "30 4 * * 1" in listing and "*/15 * * * *" in listing
    api.call("delete", "/api/schedules/{schedule_id}", 200, schedule_id=made["id"])
    api.call("delete", "/api/schedules/{schedule_id}", 404, schedule_id=made["id"])
