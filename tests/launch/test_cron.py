"""Schedules' cron rule: the latest due time since the last firing, once, however many
were missed; bad expressions and gates refused with the reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from swarmdeck.errors import BadInput
from swarmdeck.launch.cron import check, due, next_time, schedule_options


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_nightly_schedule_is_due_once_after_its_time() -> None:
    nightly = check("0  3 * * *")
    assert nightly == "0 3 * * *"
    assert due(nightly, at(2026, 1, 1, 2), at(2026, 1, 1, 2, 59)) is None
    assert due(nightly, at(2026, 1, 1, 2), at(2026, 1, 1, 3)) == at(2026, 1, 1, 3)
    assert due(nightly, at(2026, 1, 1, 2), at(2026, 1, 1, 3, 0, 40)) == at(2026, 1, 1, 3)
    assert due(nightly, at(2026, 1, 1, 3), at(2026, 1, 1, 3, 0, 40)) is None  # fired
    assert next_time(nightly, at(2026, 1, 1, 3)) == at(2026, 1, 2, 3)


def test_missed_times_fold_into_the_latest() -> None:
    # the server was down for three nights: one run, for the last of them
    assert due("0 3 * * *", at(2026, 1, 1, 3), at(2026, 1, 4, 12)) == at(2026, 1, 4, 3)


@pytest.mark.parametrize("expr", ["", "61 * * * *", "* * * *", "@reboot", "0 3 * * * *",
                                  None, 5, "x" * 200])
def test_bad_expressions_are_refused(expr: object) -> None:
    with pytest.raises(BadInput) as caught:
        check(expr)
    assert caught.value.message.startswith("bad cron expression")


def test_schedule_gates_are_checked_like_run_flags() -> None:
    assert schedule_options("baseline:main", "p95=+10%, rps=-5%") == {
        "compare_to": "baseline:main", "max_regression": ["p95=+10%", "rps=-5%"]}
    assert schedule_options(None, None) == {}
    for compare_to, budgets, message in [("run:4", None, "compare_to must be"),
                                         (None, ["p95=+10%"], "needs compare_to"),
                                         ("last", ["p95=10"], "max_regression")]:
        with pytest.raises(BadInput) as caught:
            schedule_options(compare_to, budgets)
        assert message in caught.value.message
