"""Cron expressions of schedules (croniter does the parsing; nothing home-made), in UTC.

``due(expr, since, now)`` is the one rule of firing: the latest time the expression names
in ``(since, now]``, or None. However many such times a stopped server missed, a schedule
fires once for them, at the latest one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from croniter import croniter

from swarmdeck.errors import BadInput
from swarmdeck.plan.gates import parse_budgets, parse_compare_ref
from swarmdeck.plan.values import Invalid

MAX_EXPR = 100


def check(expr: object) -> str:
    text = " ".join(expr.split()) if isinstance(expr, str) else ""
    if not text or len(text) > MAX_EXPR or len(text.split()) != 5 \
            or not croniter.is_valid(text):
        shown = str(expr)[:MAX_EXPR] if expr is not None else ""
        raise BadInput(f"bad cron expression {shown!r}",
                       "five fields, minute hour day month weekday, in UTC; e.g. "
                       "'0 3 * * *' for 03:00 every night")
    return text


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def next_time(expr: str, after: datetime) -> datetime:
    found: datetime = croniter(expr, _utc(after)).get_next(datetime)
    return _utc(found)


def due(expr: str, since: datetime, now: datetime) -> datetime | None:
    """The latest time of ``expr`` after ``since`` and at or before ``now``."""
    since, now = _utc(since), _utc(now)
    if now <= since:
        return None
    latest: datetime = _utc(croniter(expr, now).get_prev(datetime))
    if croniter.match(expr, now):
        latest = now.replace(second=0, microsecond=0)
    return latest if since < latest <= now else None


def schedule_options(compare_to: object, max_regression: object) -> dict[str, Any]:
    """A schedule's gates, checked as `swarmdeck run --compare-to/--max-regression` checks
    them: ``{"compare_to": "baseline:main", "max_regression": ["p95=+10%"]}``."""
    options: dict[str, Any] = {}
    if compare_to not in (None, ""):
        try:
            options["compare_to"] = parse_compare_ref(compare_to)
        except Invalid as exc:
            raise BadInput(f"compare_to {exc.problem}", exc.hint) from None
    given: list[object] = []
    if isinstance(max_regression, str):
        given.extend(max_regression.split(","))
    elif isinstance(max_regression, list):
        given.extend(max_regression)
    elif max_regression is not None:
        given.append(max_regression)
    budgets = [b for b in given if not isinstance(b, str) or b.strip()]
    if budgets:
        if "compare_to" not in options:
            raise BadInput("max_regression needs compare_to", "e.g. compare_to baseline:main")
        try:
            parse_budgets(budgets)
        except Invalid as exc:
            raise BadInput(f"max_regression {exc.problem}", exc.hint) from None
        options["max_regression"] = [str(b).strip() for b in budgets]
    return options
