"""The JSON forms of the monitor records (records/monitors.py); part of ``records.codec``,
which re-exports these functions and writes ``monitors`` into the run's stored details.

- a ``MonitorSource`` as stored with the run (details ``"monitors"``, optional: runs
  stored before monitors have none) and as the JSON summary's ``monitor_sources``;
- a ``MonitorSeries`` as the JSON summary's ``monitors`` (name, source, unit, points as
  [seconds since start, value], mean, peak);
- the lines the monitor child process (monitors/child.py) and ``swarmdeck agent`` send:
  ``batch``, ``open``, ``final`` messages, one JSON object per line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from swarmdeck.records.monitors import (
    Batch,
    MonitorSeries,
    MonitorSource,
    Reading,
    TopQuery,
)

JSONDict = dict[str, Any]


def _round(value: float) -> float:
    """A point's value, to 4 significant digits (what a monitor's reading is worth)."""
    if value == 0 or not math.isfinite(value):
        return value
    digits = max(0, 3 - math.floor(math.log10(abs(value))))
    return round(value, digits)


def top_query_to_json(q: TopQuery) -> JSONDict:
    return {"query": q.query, "calls": q.calls, "total_ms": q.total_ms, "mean_ms": q.mean_ms,
            "rows": q.rows}


def top_query_from_json(data: Mapping[str, Any]) -> TopQuery:
    return TopQuery(query=str(data.get("query", "")), calls=int(data.get("calls") or 0),
                    total_ms=float(data.get("total_ms") or 0.0),
                    mean_ms=float(data.get("mean_ms") or 0.0), rows=int(data.get("rows") or 0))


def monitor_source_to_json(s: MonitorSource) -> JSONDict:
    return {"spec": s.spec, "kind": s.kind, "status": s.status, "message": s.message,
            "samples": s.samples, "gaps": [[a, b] for a, b in s.gaps],
            "top_queries": [top_query_to_json(q) for q in s.top_queries]}


def monitor_source_from_json(data: Mapping[str, Any]) -> MonitorSource:
    message = data.get("message")
    return MonitorSource(
        spec=str(data.get("spec", "")), kind=str(data.get("kind", "")),
        status=str(data.get("status", "ok")), message=None if message is None else str(message),
        samples=int(data.get("samples") or 0),
        gaps=tuple((float(g[0]), float(g[1])) for g in data.get("gaps") or [] if len(g) == 2),
        top_queries=tuple(top_query_from_json(q) for q in data.get("top_queries") or []
                          if isinstance(q, Mapping)))


def monitor_series_to_json(s: MonitorSeries) -> JSONDict:
    """The JSON summary's form of one series."""
    mean, peak = s.mean, s.peak
    return {"name": s.name, "source": s.source, "unit": s.unit,
            "points": [[t, _round(v)] for t, v in s.points],
            "mean": None if mean is None else _round(mean),
            "peak": None if peak is None else _round(peak)}


# -- the lines between the monitor process (or an agent) and the run --------------------

def batch_to_line(batch: Batch) -> str:
    return json.dumps({"type": "batch", "m": batch.monitor, "at": batch.at,
                       "r": [[r.name, r.value, r.unit] for r in batch.readings],
                       "error": batch.error}, separators=(",", ":"))


def message_to_line(kind: str, **fields: Any) -> str:
    """An ``open`` (``m``, ``error``), ``ready`` or ``final`` (``m``, ``top_queries``)
    line."""
    if "top_queries" in fields:
        fields["top_queries"] = [top_query_to_json(q) for q in fields["top_queries"]]
    return json.dumps({"type": kind, **fields}, separators=(",", ":"))


def line_to_message(line: str) -> JSONDict:
    """A line as a dict with ``type``; a ``batch`` line's ``batch`` is a Batch, a
    ``final`` line's ``top_queries`` TopQuerys. ValueError for a line that is neither."""
    data = json.loads(line)
    if not isinstance(data, dict) or "type" not in data:
        raise ValueError(f"not a monitor message: {line[:80]!r}")
    if data["type"] == "batch":
        error = data.get("error")
        data["batch"] = Batch(
            monitor=int(data["m"]), at=int(data["at"]),
            readings=tuple(Reading(str(n), float(v), str(u)) for n, v, u in data.get("r", [])),
            error=None if error is None else str(error))
    if data["type"] == "final":
        data["top_queries"] = tuple(top_query_from_json(q) for q in data.get("top_queries", []))
    return data


def readings_to_json(at: int, readings: tuple[Reading, ...], errors: list[str]) -> JSONDict:
    """What ``swarmdeck agent`` answers: its last complete second's readings."""
    return {"at": at, "readings": [[r.name, r.value, r.unit] for r in readings],
            "errors": list(errors)}


def readings_from_json(data: Mapping[str, Any]) -> tuple[int, tuple[Reading, ...], list[str]]:
    return (int(data.get("at") or 0),
            tuple(Reading(str(n), float(v), str(u)) for n, v, u in data.get("readings", [])),
            [str(e) for e in data.get("errors", [])])
