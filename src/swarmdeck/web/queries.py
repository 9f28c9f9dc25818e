"""Query parameters in, plain JSON out: run filters, pagination and run records.

Bad parameters raise BadInput naming the parameter; the app answers them with 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from swarmdeck.errors import BadInput
from swarmdeck.records import codec
from swarmdeck.store import RunRecord, RunRow
from swarmdeck.store.models import MAX_RUN_ID
from swarmdeck.store.records import RUN_STATUSES

PER_PAGE = 25
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class RunFilters:
    """The runs list's filters as given (strings, for forms and links) and as parsed."""

    host: str | None = None
    tag: tuple[str, str] | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1
    per_page: int = PER_PAGE
    given: dict[str, str] = field(default_factory=dict)

    def store_kwargs(self) -> dict[str, Any]:
        return {"host": self.host, "tag": self.tag, "status": self.status,
                "since": self.since, "until": self.until}

    def query(self, **changes: Any) -> dict[str, str]:
        """The parameters of a link to these filters, with ``changes``."""
        params = {**self.given, **{k: str(v) for k, v in changes.items()}}
        return {k: v for k, v in params.items() if v and not (k == "page" and v == "1")}


def text_param(args: Mapping[str, str], name: str) -> str | None:
    """A text parameter, stripped (None when absent or blank). A NUL character is refused:
    no stored host, tag or path holds one, and PostgreSQL rejects it in a query."""
    text = (args.get(name) or "").strip()
    if "\x00" in text:
        raise BadInput(f"parameter {name} contains a NUL character", "remove it")
    return text or None


def _whole(text: str, low: int, high: int) -> int | None:
    """``text`` as a whole number from ``low`` to ``high``, or None: ASCII digits only (not
    "²" or "١٢"), and not so long that Python refuses to convert it."""
    if not text.isascii() or not text.isdigit() or len(text) > len(str(high)):
        return None
    value = int(text)
    return value if low <= value <= high else None


def int_param(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = text_param(args, name)
    if text is None:
        return default
    value = _whole(text, low, high)
    if value is None:
        raise BadInput(f"parameter {name}={text!r} must be a whole number from {low} to "
                       f"{high}")
    return value


def _when(name: str, text: str, *, end: bool) -> datetime:
    """An ISO date or date-time (naive = UTC); a plain date ``to`` includes that day. In
    UTC, and within the years a date-time can hold once a day is added (1 to 9998)."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            if end:
                moment += timedelta(days=1)
        else:
            moment = datetime.fromisoformat(text)
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except ValueError:
        raise BadInput(f"parameter {name}={text!r} is not a date",
                       "use YYYY-MM-DD or an ISO 8601 date-time") from None
    except OverflowError:
        moment = datetime.min.replace(tzinfo=UTC)  # out of range, said below
    if not 1 < moment.year < 9999:
        raise BadInput(f"parameter {name}={text!r} is out of range",
                       "use a date between the years 2 and 9998")
    return moment


def parse_tag(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise BadInput(f"parameter tag={text!r} is not KEY=VALUE", "e.g. tag=branch=main")
    return key.strip(), value.strip()


def run_filters(args: Mapping[str, str]) -> RunFilters:
    given = {k: v for k in ("host", "tag", "status", "from", "to", "page", "per_page")
             if (v := text_param(args, k)) is not None}
    status = given.get("status")
    if status is not None and status not in RUN_STATUSES:
        raise BadInput(f"parameter status={status!r} is not a run status",
                       f"one of {', '.join(RUN_STATUSES)}")
    since = _when("from", given["from"], end=False) if "from" in given else None
    until = _when("to", given["to"], end=True) if "to" in given else None
    return RunFilters(host=given.get("host"),
                      tag=parse_tag(given["tag"]) if "tag" in given else None,
                      status=status, since=since, until=until,
                      page=int_param(args, "page", 1, 1, 1_000_000),
                      per_page=int_param(args, "per_page", PER_PAGE, 1, MAX_PER_PAGE), given=given)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def row_json(row: RunRow) -> dict[str, Any]:
    return {
        "id": row.id, "status": row.status, "host": row.host, "locustfile": row.locustfile,
        "users": row.users, "started_at": _iso(row.started_at), "ended_at": _iso(row.ended_at),
        "requests": row.requests, "failures": row.failures,
        "error_rate": row.failures / row.requests if row.requests else None,
        "p95_ms": row.p95_ms, "tags": dict(row.tags),
    }


def record_json(run: RunRecord) -> dict[str, Any]:
    meta, details = run.meta, run.details
    return {
        "id": run.id, "status": run.status.value, "message": run.message, "host": meta.host,
        "locustfile": meta.locustfile, "locustfile_sha256": meta.locustfile_sha256,
        "plan": meta.plan, "tags": dict(meta.tags), "users": meta.users,
        "spawn_rate": meta.spawn_rate, "run_time_s": meta.run_time_s, "shape": meta.shape,
        "interval_s": meta.interval_s, "git_commit": meta.git_commit,
        "versions": {"swarmdeck": meta.swarmdeck_version, "locust": meta.locust_version,
                     "python": meta.python_version},
        "started_at": _iso(meta.started_at), "ended_at": _iso(run.ended_at),
        "heartbeat_at": _iso(run.heartbeat_at), "requests": run.requests,
        "failures": run.failures, "p95_ms": run.p95_ms,
        "thresholds": [codec.threshold_to_json(t) for t in details.thresholds],
        "findings": [codec.finding_to_json(f) for f in details.findings],
        "comparison": (codec.comparison_to_json(details.comparison)
                       if details.comparison is not None else None),
        "warnings": list(details.warnings),
    }


def run_id_param(args: Mapping[str, str], name: str) -> int:
    text = text_param(args, name)
    if text is None:
        raise BadInput(f"parameter {name} is missing", f"e.g. ?{name}=3 (a run id)")
    value = _whole(text, 1, MAX_RUN_ID)
    if value is None:
        raise BadInput(f"parameter {name}={text!r} is not a run id", "a whole number >= 1")
    return value
