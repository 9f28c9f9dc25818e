"""Query parameters in, plain JSON out: run filters, pagination and run records.

Bad parameters raise BadInput naming the parameter; the app answers them with 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from swarmdeck.errors import BadInput
from swarmdeck.records.codec import comparison_from_json, comparison_to_json
from swarmdeck.store import RunRecord, RunRow
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


def int_param(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = (args.get(name) or "").strip()
    if not text:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise BadInput(f"parameter {name}={text!r} must be a whole number from {low} to "
                       f"{high}")
    return int(text)


def _when(name: str, text: str, *, end: bool) -> datetime:
    """An ISO date or date-time (naive = UTC); a plain date ``to`` includes that day."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return moment + timedelta(days=1) if end else moment
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"parameter {name}={text!r} is not a date",
                       "use YYYY-MM-DD or an ISO 8601 date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_tag(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise BadInput(f"parameter tag={text!r} is not KEY=VALUE", "e.g. tag=branch=main")
    return key.strip(), value.strip()


def run_filters(args: Mapping[str, str]) -> RunFilters:
    given = {k: (args.get(k) or "").strip()
             for k in ("host", "tag", "status", "from", "to", "page", "per_page")}
    given = {k: v for k, v in given.items() if v}
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
    meta, details = run.meta, run.details or {}
    return {
        "id": run.id, "status": run.status, "message": run.message, "host": meta.host,
        "locustfile": meta.locustfile, "locustfile_sha256": meta.locustfile_sha256,
        "plan": meta.plan, "tags": dict(meta.tags), "users": meta.users,
        "spawn_rate": meta.spawn_rate, "run_time_s": meta.run_time_s, "shape": meta.shape,
        "interval_s": meta.interval_s, "git_commit": meta.git_commit,
        "versions": {"swarmdeck": meta.swarmdeck_version, "locust": meta.locust_version,
                     "python": meta.python_version},
        "started_at": _iso(meta.started_at), "ended_at": _iso(run.ended_at),
        "heartbeat_at": _iso(run.heartbeat_at), "requests": run.requests,
        "failures": run.failures, "p95_ms": run.p95_ms,
        "thresholds": list(details.get("thresholds", [])),
        "findings": list(details.get("findings", [])),
        "comparison": (comparison_to_json(comparison_from_json(details["comparison"]))
                       if details.get("comparison") else None),
        "warnings": list(details.get("warnings", [])),
    }


def run_id_param(args: Mapping[str, str], name: str) -> int:
    text = (args.get(name) or "").strip()
    if not text:
        raise BadInput(f"parameter {name} is missing", f"e.g. ?{name}=3 (a run id)")
    if not text.isdigit() or int(text) < 1 or int(text) > 2**62:
        raise BadInput(f"parameter {name}={text!r} is not a run id", "a whole number >= 1")
    return int(text)
