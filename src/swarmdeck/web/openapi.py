"""The OpenAPI 3.1 document of the dashboard's JSON API (served at /api/openapi.json).

Schemas are JSON Schema 2020-12; the tests validate the document and check every API
answer against the schema of its path and status.
"""

from __future__ import annotations

from typing import Any

from swarmdeck import __version__
from swarmdeck.store.records import RUN_STATUSES
from swarmdeck.web import openapi_platform


def _nullable(kind: str | list[str], **extra: Any) -> dict[str, Any]:
    kinds = [kind] if isinstance(kind, str) else kind
    return {"type": [*kinds, "null"], **extra}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(required: list[str], properties: dict[str, Any], *,
            extra: bool = True) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties,
            "additionalProperties": extra}


TAGS = {"type": "object", "additionalProperties": {"type": "string"},
        "description": "The run's tags (KEY=VALUE given to `swarmdeck run --tag`)."}
DATETIME = {"type": "string", "format": "date-time"}
STATUS = {"type": "string", "enum": list(RUN_STATUSES)}

THRESHOLD = _object(["expr", "endpoint", "observed", "observed_text", "passed", "abort"], {
    "expr": {"type": "string", "examples": ["p95[30s] < 500ms"]},
    "endpoint": _nullable("string"),
    "observed": _nullable("number", description="ms for latency, a fraction for error_rate"),
    "observed_text": {"type": "string"},
    "passed": {"type": "boolean"},
    "abort": {"type": "boolean"},
})
FINDING = _object(["code", "severity", "endpoint", "message", "evidence", "fix"], {
    "code": {"type": "string", "examples": ["csrf-missing"]},
    "severity": {"type": "string", "enum": ["info", "warning", "error"]},
    "endpoint": _nullable("string"),
    "message": {"type": "string"},
    "evidence": {},
    "fix": {"type": "string"},
})
RUN_ROW = _object(
    ["id", "status", "host", "locustfile", "users", "started_at", "ended_at", "requests",
     "failures", "error_rate", "p95_ms", "tags"], {
        "id": {"type": "integer"}, "status": STATUS, "host": {"type": "string"},
        "locustfile": {"type": "string"}, "users": _nullable("integer"),
        "started_at": DATETIME, "ended_at": _nullable("string", format="date-time"),
        "requests": {"type": "integer"}, "failures": {"type": "integer"},
        "error_rate": _nullable("number", description="failures / requests"),
        "p95_ms": _nullable("number", description="null until the run is finished"),
        "tags": TAGS,
    })
RUN = _object(
    ["id", "status", "message", "host", "locustfile", "plan", "tags", "users", "started_at",
     "ended_at", "requests", "failures", "p95_ms", "thresholds", "findings", "comparison",
     "versions"], {
        **RUN_ROW["properties"],
        "message": _nullable("string"), "locustfile_sha256": {"type": "string"},
        "plan": {"type": "object"}, "spawn_rate": _nullable("number"),
        "run_time_s": _nullable("number"), "shape": _nullable("string"),
        "interval_s": {"type": "number"}, "git_commit": _nullable("string"),
        "versions": _object(["swarmdeck", "locust", "python"],
                            {k: {"type": "string"} for k in ("swarmdeck", "locust", "python")}),
        "heartbeat_at": DATETIME,
        "thresholds": {"type": "array", "items": _ref("Threshold")},
        "findings": {"type": "array", "items": _ref("Finding")},
        "comparison": {"oneOf": [{"type": "null"}, _ref("Comparison")]},
        "warnings": {"type": "array", "items": {"type": "string"}},
    })
BASELINE = _object(["name", "run_id", "set_at"], {
    "name": {"type": "string"}, "run_id": {"type": "integer"},
    "set_at": _nullable("string", format="date-time")})
LABEL = {"type": "string", "examples": ["GET /cart"],
         "description": "the endpoint as shown: METHOD name, or the name alone when it "
                        "begins with its method (a request named \"GET /cart\")"}
SERIES = {"type": "array", "items": _nullable("number"),
          "description": "One value per run of `runs`, null where the endpoint was absent."}
TRENDS = _object(["host", "locustfile", "runs", "endpoints", "baselines"], {
    "host": {"type": "string"}, "locustfile": _nullable("string"),
    "runs": {"type": "array", "items": _object(
        ["run_id", "started_at", "status", "locustfile", "tags", "baselines", "p95_ms", "rps"], {
            "run_id": {"type": "integer"}, "started_at": DATETIME, "status": STATUS,
            "locustfile": {"type": "string"}, "tags": TAGS,
            "baselines": {"type": "array", "items": {"type": "string"}},
            "p95_ms": _nullable("number"), "rps": {"type": "number"}})},
    "endpoints": {"type": "array", "items": _object(
        ["method", "name", "label", "p95_ms", "rps"], {
        "method": {"type": "string"}, "name": {"type": "string"}, "label": LABEL,
        "p95_ms": SERIES, "rps": SERIES})},
    "baselines": {"type": "array", "items": _ref("Baseline")},
})

SUMMARY = _object(["key", "label", "method", "name", "requests", "failures", "rps", "p50_ms",
                   "p95_ms", "p99_ms"], {
    "key": {"type": "string"}, "label": LABEL, "method": {"type": "string"},
    "name": {"type": "string"},
    **{k: {"type": "integer"} for k in ("requests", "failures", "bytes")},
    **{k: _nullable("number") for k in ("rps", "avg_ms", "p50_ms", "p90_ms", "p95_ms",
                                        "p99_ms", "p999_ms", "max_ms", "failure_pct")},
    "failed_latency": {
        "oneOf": [{"type": "null"}, _object(["p50_ms", "p95_ms", "max_ms"], {
            k: {"type": "number"} for k in ("p50_ms", "p95_ms", "max_ms")})],
        "description": "the failed requests' response times (the percentiles above are of "
                       "the successful ones); null when none failed"},
    "server": {
        "oneOf": [{"type": "null"}, _object(
            ["responses", "coverage", "client_mean_ms", "server_metric", "server_mean_ms",
             "rest_mean_ms", "queries", "metrics"], {
                "responses": {"type": "integer"}, "coverage": {"type": "number"},
                "client_mean_ms": {"type": "number"},
                "server_metric": _nullable("string"),
                "server_mean_ms": _nullable("number"), "rest_mean_ms": _nullable("number"),
                "queries": {"oneOf": [{"type": "null"}, {"type": "object"}]},
                "metrics": {"type": "object", "additionalProperties": {"type": "object"}}})],
        "description": "what the server said in its Server-Timing headers (endpoints only; "
                       "docs/server-timing.md); null when it sent none"}})
LINE = {"type": "array", "items": _nullable("number")}
RUN_DOCUMENT = _object(
    ["kind", "schema", "header", "totals", "endpoints", "timeline", "endpoint_timelines",
     "distributions", "failures", "stages", "regions", "thresholds", "findings",
     "comparison"], {
        "kind": {"const": "run"}, "schema": {"type": "integer"},
        "header": _object(["run_id", "status", "host", "locustfile", "started_at", "ended_at",
                           "duration_s", "tags"], {
            "run_id": {"type": "integer"}, "status": STATUS, "host": {"type": "string"},
            "locustfile": {"type": "string"}, "started_at": DATETIME,
            "ended_at": _nullable("string", format="date-time"),
            "duration_s": {"type": "number"}, "tags": TAGS}),
        "totals": _ref("EndpointSummary"),
        "endpoints": {"type": "array", "items": _ref("EndpointSummary")},
        "timeline": _object(["step_s", "t", "users", "rps", "fps", "p50", "p95", "p99"], {
            "step_s": {"type": "integer"}, "t": LINE, "users": LINE, "rps": LINE,
            "fps": LINE, "p50": LINE, "p95": LINE, "p99": LINE}),
        "endpoint_timelines": _object(["step_s", "t", "series"], {
            "step_s": {"type": "integer"}, "t": LINE,
            "series": {"type": "object", "additionalProperties": _object(
                ["rps", "fps", "p50", "p95", "p99"],
                {k: LINE for k in ("rps", "fps", "p50", "p95", "p99")})}}),
        "distributions": {"type": "object", "additionalProperties": _object(
            ["edges_ms", "counts"], {"edges_ms": LINE,
                                     "counts": {"type": "array", "items": {"type": "integer"}}})},
        "failures": _object(["total", "reasons"], {
            "total": {"type": "integer"},
            "reasons": {"type": "array", "items": _object(["reason", "count", "endpoints"], {
                "reason": {"type": "string"}, "count": {"type": "integer"},
                "endpoints": {"type": "array"}})}}),
        "stages": {"type": "array", "items": {"type": "object"}},
        "regions": {"type": "object", "additionalProperties": _ref("EndpointSummary")},
        "thresholds": {"type": "array", "items": _ref("Threshold")},
        "findings": {"type": "array", "items": _ref("Finding")},
        "outages": {"type": "array", "items": _object(["start_s", "end_s"], {
            "start_s": {"type": "number"}, "end_s": {"type": "number"},
            "failures": _nullable("integer"), "recovery_s": _nullable("integer")})},
        "comparison": {"oneOf": [{"type": "null"}, _ref("Comparison")]},
        "script_errors": _object(["count", "groups", "log"], {
            "count": {"type": "integer"}, "log": _nullable("string"),
            "groups": {"type": "array", "items": _object(
                ["type", "file", "line", "count", "first_at", "last_at", "message"], {
                    "type": {"type": "string"}, "file": {"type": "string"},
                    "line": {"type": "integer"}, "count": {"type": "integer"},
                    "first_at": {"type": "number"}, "last_at": {"type": "number"},
                    "message": {"type": "string"}})}}),
        "monitors": {"oneOf": [{"type": "null"}, _object(["step_s", "t", "series", "sources"], {
            "step_s": {"type": "integer"}, "t": LINE,
            "series": {"type": "array", "items": _object(
                ["name", "unit", "source", "worker", "values", "mean", "peak"], {
                    "name": {"type": "string"}, "unit": {"type": "string"},
                    "source": {"type": "string"}, "worker": {"type": "boolean"},
                    "values": LINE, "mean": _nullable("number"),
                    "peak": _nullable("number")})},
            "sources": {"type": "array", "items": _object(["spec", "kind", "status"], {
                "spec": {"type": "string"}, "kind": {"type": "string"},
                "status": {"type": "string", "enum": ["ok", "unreachable", "lost"]},
                "message": _nullable("string"), "samples": {"type": "integer"},
                "gaps": {"type": "array"}, "top_queries": {"type": "array"}})}})],
            "description": "the target side's monitor series on the timeline's grid "
                           "(docs/monitors.md); null without monitors"},
    })
COMPARISON = _object(["base", "candidate", "metric", "rows", "passed"], {
    "base": {"type": "object"}, "candidate": {"type": "object"}, "metric": {"type": "string"},
    "confidence": {"type": "number"},
    "rows": {"type": "array", "items": _object(["method", "name", "verdict"], {
        "method": {"type": "string"}, "name": {"type": "string"},
        "label": {**LABEL, "description": "the endpoint as shown (in a report "
                                          "document's comparison only)"},
        "overall": {"type": "boolean"},
        "base": {"oneOf": [{"type": "null"}, {"type": "object"}]},
        "candidate": {"oneOf": [{"type": "null"}, {"type": "object"}]},
        "changes": {"type": "object"},
        "verdict": {"type": "string", "enum": [
            "faster", "slower", "no significant change", "not enough data", "only in base",
            "only in candidate"]}})},
    "budgets": {"type": "array", "items": {"type": "string"}},
    "budget_failures": {"type": "array", "items": {"type": "string"}},
    "passed": {"type": "boolean"},
    "monitors": {"type": "array", "description": "monitor series' means in both runs",
                 "items": _object(["name", "unit", "base_mean", "candidate_mean"], {
                     "name": {"type": "string"}, "unit": {"type": "string"},
                     "base_mean": _nullable("number"), "candidate_mean": _nullable("number"),
                     "change_pct": _nullable("number")})}})

SCHEMAS: dict[str, Any] = {
    "EndpointSummary": SUMMARY,
    "Error": _object(["error"], {"error": {"type": "string"}}, extra=False),
    "RunRow": RUN_ROW,
    "RunList": _object(["runs", "page", "per_page", "next_page"], {
        "runs": {"type": "array", "items": _ref("RunRow")},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1},
        "next_page": _nullable("integer")}),
    "Run": RUN,
    "Threshold": THRESHOLD,
    "Finding": FINDING,
    "RunDocument": RUN_DOCUMENT,
    "CompareDocument": _object(["kind", "schema", "base", "candidate", "comparison"], {
        "kind": {"const": "compare"}, "schema": {"type": "integer"},
        "base": _ref("RunDocument"), "candidate": _ref("RunDocument"),
        "comparison": {"oneOf": [{"type": "null"}, _ref("Comparison")]},
        "notice": _nullable("string")}),
    "Comparison": COMPARISON,
    "Trends": TRENDS,
    "Baseline": BASELINE,
    "Baselines": _object(["baselines"], {"baselines": {"type": "array",
                                                       "items": _ref("Baseline")}}),
}


def _param(name: str, description: str, *, required: bool = False, kind: str = "string",
           **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": {"type": kind, **schema}}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": _ref(schema)}}}


ERRORS = {
    "400": _json("Error", "A parameter is malformed; the message names it."),
    "401": _json("Error", "Authentication is configured and the request has none."),
    "503": _json("Error", "The results database cannot be read right now (the message "
                          "says why, with its URL, password masked)."),
}
NOT_FOUND = {"404": _json("Error", "No such run.")}
RUN_ID = {"name": "run_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _get(summary: str, ok: dict[str, Any], parameters: list[dict[str, Any]] | None = None,
         errors: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": parameters or [],
                    "responses": {"200": ok, **ERRORS, **(errors or {})}}}


PATHS: dict[str, Any] = {
    "/api/runs": _get("Runs, newest first, filtered and paginated.", _json("RunList", "A page"), [
        _param("host", "Only runs against exactly this host."),
        _param("tag", "Only runs with this tag, as KEY=VALUE."),
        _param("status", "Only runs with this status.", enum=list(RUN_STATUSES)),
        _param("from", "Started on or after this date (YYYY-MM-DD) or ISO date-time (UTC)."),
        _param("to", "Started before this ISO date-time, or on or before this date."),
        _param("page", "Page number, from 1.", kind="integer", minimum=1),
        _param("per_page", "Runs per page (default 25).", kind="integer", minimum=1,
               maximum=200),
    ]),
    "/api/runs/{run_id}": _get("One run: its metadata, totals and verdict.",
                               _json("Run", "The run"), [RUN_ID], NOT_FOUND),
    "/api/runs/{run_id}/document": _get(
        "The run's report document (what the run page renders); poll it while the run's "
        "status is running.", _json("RunDocument", "The document"), [RUN_ID], NOT_FOUND),
    "/api/compare": _get("Two runs compared: the comparison table and both runs' series.",
                         _json("CompareDocument", "The comparison"), [
                             _param("base", "The base run id.", required=True, kind="integer"),
                             _param("candidate", "The candidate run id.", required=True,
                                    kind="integer")], NOT_FOUND),
    "/api/trends": _get("Each endpoint's p95 and requests/s across the finished runs of a "
                        "host, oldest first, baselines marked.", _json("Trends", "The trends"), [
                            _param("host", "The target host, exactly as the runs used it.",
                                   required=True),
                            _param("locustfile", "Only runs of this locustfile."),
                            _param("limit", "How many of the most recent runs (default 50).",
                                   kind="integer", minimum=1, maximum=200)]),
    "/api/baselines": _get("The named baselines.", _json("Baselines", "The baselines")),
    "/api/openapi.json": {"get": {"summary": "This document.", "responses": {
        "200": {"description": "The OpenAPI document",
                "content": {"application/json": {"schema": {"type": "object"}}}}}}},
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "swarmdeck dashboard API", "version": __version__,
                 "description": "JSON over the swarmdeck results store and platform. With "
                                "users or authentication configured, send `Authorization: "
                                "Bearer <token>` (a personal API token, or the bootstrap "
                                "token) or HTTP Basic credentials. Writes need a role; a "
                                "write authenticated by the session cookie needs the "
                                "`X-CSRFToken` header."},
        "servers": [{"url": "/"}],
        "paths": {**PATHS, **openapi_platform.PATHS},
        "components": {
            "schemas": {**SCHEMAS, **openapi_platform.SCHEMAS},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "basic": {"type": "http", "scheme": "basic"}},
        },
        "security": [{}, {"bearer": []}, {"basic": []}],
    }
