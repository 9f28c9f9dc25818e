"""The JSON forms of an open-model run's records (its pool, a capacity search's steps and
result), for the run's stored details and the JSON summary: beside records/codec.py, which
imports them, as records/monitor_codec.py is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from swarmdeck.records.openmodel import (
    CapacityResult,
    CapacityStep,
    OpenModelRecord,
    Saturation,
)

JSONDict = dict[str, Any]


def _optional_float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _str_or_none(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


def _seq(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return list(value) if isinstance(value, list | tuple) else []


def capacity_step_to_json(s: CapacityStep) -> JSONDict:
    return {"rate": s.rate, "start_s": s.start_s, "end_s": s.end_s,
            "judged_from_s": s.judged_from_s, "passed": s.passed, "requests": s.requests,
            "achieved_rate": s.achieved_rate, "p50_ms": s.p50_ms, "p95_ms": s.p95_ms,
            "error_rate": s.error_rate, "dropped": s.dropped, "why": s.why,
            "confirm": s.confirm, "generator_limited": s.generator_limited,
            "judged_to_s": s.judged_to_s}


def capacity_step_from_json(data: Mapping[str, Any]) -> CapacityStep:
    return CapacityStep(
        rate=float(data.get("rate") or 0.0), start_s=float(data.get("start_s") or 0.0),
        end_s=float(data.get("end_s") or 0.0),
        judged_from_s=float(data.get("judged_from_s") or 0.0),
        passed=bool(data.get("passed")), requests=int(data.get("requests") or 0),
        achieved_rate=float(data.get("achieved_rate") or 0.0),
        p50_ms=_optional_float(data.get("p50_ms")), p95_ms=_optional_float(data.get("p95_ms")),
        error_rate=_optional_float(data.get("error_rate")),
        dropped=int(data.get("dropped") or 0), why=str(data.get("why", "")),
        confirm=bool(data.get("confirm", False)),
        generator_limited=bool(data.get("generator_limited", False)),
        judged_to_s=float(data.get("judged_to_s") or 0.0))


def saturation_to_json(s: Saturation) -> JSONDict:
    return {"series": s.series, "source": s.source, "what": s.what, "reached": s.reached,
            "rate": s.rate, "step": s.step, "value": s.value, "limit": s.limit,
            "unit": s.unit}


def saturation_from_json(data: Mapping[str, Any]) -> Saturation:
    return Saturation(
        series=str(data.get("series", "")), source=str(data.get("source", "")),
        what=str(data.get("what", "")), reached=bool(data.get("reached")),
        rate=float(data.get("rate") or 0.0), step=int(data.get("step") or 0),
        value=float(data.get("value") or 0.0), limit=float(data.get("limit") or 0.0),
        unit=str(data.get("unit", "")))


def capacity_to_json(c: CapacityResult) -> JSONDict:
    first = c.saturated_first
    return {"found": c.found, "rate": c.rate, "upper": c.upper, "confirmed": c.confirmed,
            "first_broken": c.first_broken, "message": c.message, "exit_code": c.exit_code,
            "saturated_first": saturation_to_json(first) if first is not None else None,
            "saturation": [saturation_to_json(s) for s in c.saturation]}


def capacity_from_json(data: Mapping[str, Any]) -> CapacityResult:
    return CapacityResult(
        found=bool(data.get("found")), rate=_optional_float(data.get("rate")),
        upper=_optional_float(data.get("upper")), confirmed=bool(data.get("confirmed")),
        first_broken=_str_or_none(data, "first_broken"), message=str(data.get("message", "")),
        exit_code=int(data.get("exit_code") or 0),
        saturation=tuple(saturation_from_json(s) for s in _seq(data, "saturation")
                         if isinstance(s, Mapping)))


def open_model_to_json(o: OpenModelRecord) -> JSONDict:
    data: JSONDict = {"first_users": o.first_users, "max_users": o.max_users,
                      "max_lag_s": o.max_lag_s, "generators": o.generators}
    if o.steps:
        data["steps"] = [capacity_step_to_json(s) for s in o.steps]
    if o.capacity is not None:
        data["capacity"] = capacity_to_json(o.capacity)
    return data


def open_model_from_json(data: Mapping[str, Any]) -> OpenModelRecord:
    capacity = data.get("capacity")
    return OpenModelRecord(
        first_users=int(data.get("first_users") or 0),
        max_users=int(data.get("max_users") or 0),
        max_lag_s=float(data.get("max_lag_s") or 0.0),
        generators=int(data.get("generators") or 1),
        steps=tuple(capacity_step_from_json(s) for s in _seq(data, "steps")
                    if isinstance(s, Mapping)),
        capacity=capacity_from_json(capacity) if isinstance(capacity, Mapping) else None)