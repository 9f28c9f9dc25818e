"""The platform's part of the OpenAPI document: health, me, tokens, users, audit (and the
saved tests, their runs and the permitted targets as they are added). Merged into
``openapi.openapi_document``; schemas are JSON Schema 2020-12 like the rest."""

from __future__ import annotations

from typing import Any

from swarmdeck.plan.shape_spec import SHAPE_NAMES
from swarmdeck.store.accounts import ROLES

DATETIME = {"type": "string", "format": "date-time"}
NULL_DATETIME = {"type": ["string", "null"], "format": "date-time"}
ROLE = {"type": "string", "enum": list(ROLES)}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(required: list[str], properties: dict[str, Any], *,
            extra: bool = True) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties,
            "additionalProperties": extra}


def _list(key: str, item: str) -> dict[str, Any]:
    return _object([key], {key: {"type": "array", "items": _ref(item)}})


SCHEMAS: dict[str, Any] = {
    "Health": _object(["status"], {"status": {"type": "string", "enum": ["ok"]}}),
    "Me": _object(["name", "role", "user_id"], {
        "name": {"type": "string"}, "role": ROLE,
        "user_id": {"type": ["integer", "null"],
                    "description": "null for the bootstrap credentials or anonymous"}}),
    "User": _object(["id", "name", "role", "created_at"], {
        "id": {"type": "integer"}, "name": {"type": "string"}, "role": ROLE,
        "created_at": DATETIME}),
    "Users": _list("users", "User"),
    "NewUser": _object(["name", "password", "role"], {
        "name": {"type": "string", "maxLength": 64, "pattern": "^[A-Za-z0-9._@-]+$"},
        "password": {"type": "string", "minLength": 8, "maxLength": 1024},
        "role": ROLE}),
    "UserChange": _object([], {
        "role": ROLE, "password": {"type": "string", "minLength": 8, "maxLength": 1024}}),
    "Token": _object(["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"], {
        "id": {"type": "integer"}, "name": {"type": "string"},
        "prefix": {"type": "string", "description": "the token's first characters"},
        "created_at": DATETIME, "last_used_at": NULL_DATETIME, "revoked_at": NULL_DATETIME}),
    "Tokens": _list("tokens", "Token"),
    "NewToken": _object(["name"], {"name": {"type": "string", "minLength": 1,
                                            "maxLength": 64}}),
    "CreatedToken": {"allOf": [_ref("Token"), _object(["token"], {
        "token": {"type": "string", "description": "the token itself: shown only here"}})]},
    "AuditEntry": _object(["id", "at", "actor", "action", "kind", "subject", "detail"], {
        "id": {"type": "integer"}, "at": DATETIME, "actor": {"type": "string"},
        "action": {"type": "string"}, "kind": {"type": "string"},
        "subject": {"type": "string"}, "detail": {"type": ["object", "null"]}}),
    "Audit": _list("entries", "AuditEntry"),
    "TestSettings": _object(
        ["host", "users", "spawn_rate", "run_time_s", "shape", "thresholds", "tags"], {
            "host": {"type": "string"}, "users": {"type": "integer", "minimum": 1},
            "spawn_rate": {"type": "number"}, "run_time_s": {"type": ["number", "null"]},
            "shape": {"type": ["string", "null"], "enum": [*SHAPE_NAMES, None]},
            "thresholds": {"type": "array", "items": {"type": "string"}},
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
            "regions": {"type": "object", "additionalProperties": {"type": "integer"},
                        "description": "registered nodes per region; empty: the server "
                                       "generates the load"}}),
    "Locustfile": _object(["name", "sha256", "path"], {
        "name": {"type": "string"}, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "path": {"type": ["string", "null"],
                 "description": "where it was read in the server's folder; null: uploaded"},
        "source": {"type": "string", "description": "only in one version's answer"}}),
    "TestVersion": _object(["test_id", "version", "created_by", "created_at", "locustfile",
                            "settings"], {
        "test_id": {"type": "integer"}, "version": {"type": "integer", "minimum": 1},
        "created_by": {"type": "string"}, "created_at": DATETIME,
        "locustfile": _ref("Locustfile"), "settings": _ref("TestSettings")}),
    "TestVersions": _list("versions", "TestVersion"),
    "SavedTest": _object(["id", "name", "created_by", "created_at", "versions", "current"], {
        "id": {"type": "integer"}, "name": {"type": "string"},
        "created_by": {"type": "string"}, "created_at": DATETIME,
        "versions": {"type": "integer", "description": "how many; the current is the last"},
        "current": _ref("TestVersion")}),
    "SavedTests": _list("tests", "SavedTest"),
    "Launch": _object(["id", "test_id", "version", "locustfile_sha256", "requested_by",
                       "status", "run_id", "users", "run_url", "created_at", "ended_at",
                       "exit_code", "stopped_by", "message"], {
        "id": {"type": "integer"}, "test_id": {"type": "integer"},
        "version": {"type": "integer", "description": "the test's version the run ran"},
        "locustfile_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "requested_by": {"type": "string"},
        "status": {"type": "string", "enum": ["starting", "running", "stopping", "ended"],
                   "description": "the process's state; the run's own status is the run's"},
        "run_id": {"type": ["integer", "null"],
                   "description": "the stored run, once its process has created it"},
        "users": {"type": "integer"},
        "run_url": {"type": ["string", "null"], "description": "the run's live page"},
        "created_at": DATETIME, "ended_at": NULL_DATETIME,
        "exit_code": {"type": ["integer", "null"],
                      "description": "swarmdeck run's exit code (130: stopped)"},
        "stopped_by": {"type": ["string", "null"]},
        "message": {"type": ["string", "null"],
                    "description": "why the process failed (its last error line)"}}),
    "Launches": _list("launches", "Launch"),
    "Target": _object(["id", "origin", "added_by", "created_at", "verified_at"], {
        "id": {"type": "integer"}, "origin": {"type": "string"},
        "added_by": {"type": "string"}, "created_at": DATETIME,
        "verified_at": NULL_DATETIME,
        "token": {"type": "string", "description": "what the host must serve at "
                  "/.well-known/swarmdeck-verification.txt (admins only)"}}),
    "Targets": _list("targets", "Target"),
    "Schedule": _object(["id", "test_id", "cron", "compare_to", "max_regression",
                         "created_by", "created_at", "next_at", "last_due",
                         "last_launch_id", "last_message"], {
        "id": {"type": "integer"}, "test_id": {"type": "integer"},
        "cron": {"type": "string", "examples": ["0 3 * * *"]},
        "compare_to": {"type": ["string", "null"]},
        "max_regression": {"type": "array", "items": {"type": "string"}},
        "created_by": {"type": "string"}, "created_at": DATETIME, "next_at": DATETIME,
        "last_due": {**NULL_DATETIME, "description": "the time it last fired for"},
        "last_launch_id": {"type": ["integer", "null"]},
        "last_message": {"type": ["string", "null"],
                         "description": "why its last run did not start"}}),
    "Schedules": _list("schedules", "Schedule"),
    "Webhook": _object(["id", "test_id", "url", "format", "events", "created_by",
                        "created_at"], {
        "id": {"type": "integer"}, "test_id": {"type": "integer"},
        "url": {"type": "string", "description": "masked: the URL is a secret"},
        "format": {"type": "string", "enum": ["json", "slack"]},
        "events": {"type": "array", "items": {"type": "string", "enum": [
            "run_end", "threshold_failed", "regression"]}},
        "created_by": {"type": "string"}, "created_at": DATETIME}),
    "Webhooks": _list("webhooks", "Webhook"),
    "NewWebhook": _object(["url"], {
        "url": {"type": "string", "format": "uri", "maxLength": 2000},
        "format": {"type": "string", "enum": ["json", "slack"]},
        "events": {"type": "array", "items": {"type": "string", "enum": [
            "run_end", "threshold_failed", "regression"]}}}),
    "Delivery": _object(["id", "webhook_id", "launch_id", "run_id", "events", "status",
                         "attempts", "response_status", "error", "created_at",
                         "finished_at"], {
        "id": {"type": "integer"}, "webhook_id": {"type": "integer"},
        "launch_id": {"type": ["integer", "null"]}, "run_id": {"type": ["integer", "null"]},
        "events": {"type": "array", "items": {"type": "string"}},
        "status": {"type": "string", "enum": ["pending", "delivered", "failed"]},
        "attempts": {"type": "integer"}, "response_status": {"type": ["integer", "null"]},
        "error": {"type": ["string", "null"]}, "created_at": DATETIME,
        "finished_at": NULL_DATETIME}),
    "Deliveries": _list("deliveries", "Delivery"),
    "Node": _object(["id", "name", "region", "owner", "address", "last_seen", "state",
                     "launch_id"], {
        "id": {"type": "integer"}, "name": {"type": "string"},
        "region": {"type": "string"}, "owner": {"type": "string"},
        "address": {"type": ["string", "null"]}, "last_seen": DATETIME,
        "state": {"type": "string", "enum": ["offline", "idle", "assigned", "busy"]},
        "launch_id": {"type": ["integer", "null"]}}),
    "Nodes": _list("nodes", "Node"),
    "NodeHeartbeat": _object(["name", "region"], {
        "name": {"type": "string", "maxLength": 64, "pattern": "^\\S+$"},
        "region": {"type": "string", "maxLength": 64, "pattern": "^\\S+$"},
        "busy": {"type": "boolean"}, "launch_id": {"type": ["integer", "null"]}}),
    "NodeAnswer": _object(["node", "assignment"], {
        "node": _ref("Node"),
        "assignment": {"oneOf": [{"type": "null"}, _object(
            ["launch_id", "master_port", "worker_token"], {
                "launch_id": {"type": "integer"}, "master_port": {"type": "integer"},
                "worker_token": {"type": "string"}})],
            "description": "the run to join: `swarmdeck worker --master HOST:PORT` with "
                           "SWARMDECK_TOKEN"}}),
    "NewSchedule": _object(["cron"], {
        "cron": {"type": "string", "description": "five fields, UTC",
                 "examples": ["0 3 * * *"]},
        "compare_to": {"type": "string", "examples": ["baseline:main", "last"]},
        "max_regression": {"type": "array", "items": {"type": "string"},
                           "examples": [["p95=+10%"]]}}),
    "NewTarget": _object(["host"], {"host": {"type": "string",
                                             "examples": ["https://shop.example.com"]}}),
    "TestInput": _object(["name", "host"], {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "locustfile": _object(["name", "source"], {
            "name": {"type": "string", "pattern": "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\\.py$"},
            "source": {"type": "string", "description": "at most 256 KiB; must parse and "
                       "define a User class (checked, never run, by the server)"}}),
        "locustfile_path": {"type": "string", "description": "instead of locustfile: a file "
                            "under the server's --locustfile-dir"},
        "host": {"type": "string", "examples": ["http://127.0.0.1:8000"]},
        "users": {"type": "integer", "minimum": 1}, "spawn_rate": {"type": "number"},
        "run_time": {"type": ["string", "number"], "examples": ["30s", "5m"]},
        "shape": {"type": "string", "enum": list(SHAPE_NAMES)},
        "thresholds": {"type": "array", "items": {"type": "string"},
                       "examples": [["p95 < 300ms"]]},
        "tags": {"type": "object", "additionalProperties": {"type": "string"}},
        "regions": {"type": "object", "additionalProperties": {
            "type": "integer", "minimum": 1, "maximum": 1000},
            "examples": [{"eu-west": 2, "us-east": 1}]}},
        extra=False),
}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": _ref(schema)}}}


def _error(description: str) -> dict[str, Any]:
    return _json("Error", description)


UNAUTHENTICATED = {"401": _error("No (valid) credentials.")}
FORBIDDEN = {"403": _error("The principal's role may not do this.")}
BAD = {"400": _error("The body or a parameter is malformed; the message names it.")}
NOT_FOUND = {"404": _error("No such item.")}
CONFLICT = {"409": _error("A name already taken, or the last admin.")}


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def operation(summary: str, ok: dict[str, Any], *, status: str = "200",
              parameters: list[dict[str, Any]] | None = None, body: str | None = None,
              errors: dict[str, Any] | None = None, open_: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "parameters": parameters or [],
                          "responses": {status: ok, **({} if open_ else UNAUTHENTICATED),
                                        **(errors or {})}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": _ref(body)}}}
        op["responses"].update(BAD)
    if open_:
        op["security"] = [{}]
    return op


USER_ID = _path_id("user_id")
TEST_ID = _path_id("test_id")
VERSION = _path_id("version")
RUN_ID = _path_id("run_id")
LAUNCH_ID = _path_id("launch_id")
TARGET_ID = _path_id("target_id")
SCHEDULE_ID = _path_id("schedule_id")
WEBHOOK_ID = _path_id("webhook_id")
NOT_PERMITTED = {"403": _error("The role may not do this, or the test's target is not a "
                               "verified permitted target (nothing was sent to it).")}
TOKEN_ID = _path_id("token_id")

PATHS: dict[str, Any] = {
    "/api/health": {"get": operation("The server answers and reads its store (no "
                                     "authentication).", _json("Health", "Healthy"),
                                     open_=True)},
    "/api/me": {"get": operation("Who the credentials name, and their role.",
                                 _json("Me", "The principal"))},
    "/api/tokens": {
        "get": operation("Your personal API tokens (never the tokens themselves).",
                         _json("Tokens", "Your tokens")),
        "post": operation("Create a personal API token; the answer is the only time the "
                          "token is shown.", _json("CreatedToken", "The new token"),
                          status="201", body="NewToken"),
    },
    "/api/tokens/{token_id}": {
        "delete": operation("Revoke one of your tokens.", _json("Token", "The revoked token"),
                            parameters=[TOKEN_ID], errors={**NOT_FOUND, **BAD}),
    },
    "/api/users": {
        "get": operation("The users (admin).", _json("Users", "The users"), errors=FORBIDDEN),
        "post": operation("Add a user (admin).", _json("User", "The new user"), status="201",
                          body="NewUser", errors={**FORBIDDEN, **CONFLICT}),
    },
    "/api/users/{user_id}": {
        "patch": operation("Change a user's role or password (admin).",
                           _json("User", "The changed user"), parameters=[USER_ID],
                           body="UserChange", errors={**FORBIDDEN, **NOT_FOUND, **CONFLICT}),
        "delete": operation("Remove a user and their tokens (admin).",
                            _json("User", "The removed user"), parameters=[USER_ID],
                            errors={**FORBIDDEN, **NOT_FOUND, **CONFLICT, **BAD}),
    },
    "/api/audit": {"get": operation(
        "The audit log, newest first (admin).", _json("Audit", "The entries"),
        parameters=[{"name": "limit", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
        errors={**FORBIDDEN, **BAD})},
    "/api/tests": {
        "get": operation("The saved tests, by name.", _json("SavedTests", "The tests")),
        "post": operation("Save a new test (tester): a locustfile (uploaded as text, or a "
                          "path in the server's folder) and its settings. A locustfile that "
                          "does not parse or defines no User class is refused with "
                          "name:line.", _json("SavedTest", "The test, version 1"),
                          status="201", body="TestInput", errors=FORBIDDEN),
    },
    "/api/tests/{test_id}": {
        "get": operation("One saved test and its current version.",
                         _json("SavedTest", "The test"), parameters=[TEST_ID],
                         errors=NOT_FOUND),
        "put": operation("Edit a test (tester): a new version; without a locustfile the "
                         "current one is kept.", _json("SavedTest", "The test"),
                         parameters=[TEST_ID], body="TestInput",
                         errors={**FORBIDDEN, **NOT_FOUND}),
        "delete": operation("Delete a test (tester); the runs made from it stay.",
                            _json("SavedTest", "The deleted test"), parameters=[TEST_ID],
                            errors={**FORBIDDEN, **NOT_FOUND, **BAD}),
    },
    "/api/tests/{test_id}/versions": {"get": operation(
        "A test's versions, newest first.", _json("TestVersions", "The versions"),
        parameters=[TEST_ID], errors=NOT_FOUND)},
    "/api/tests/{test_id}/versions/{version}": {"get": operation(
        "One version, with its locustfile's source.", _json("TestVersion", "The version"),
        parameters=[TEST_ID, VERSION], errors=NOT_FOUND)},
    "/api/tests/{test_id}/runs": {"post": operation(
        "Start a run of the test's current version (tester): `swarmdeck run` as its own "
        "process. Refused before any request when the target is not permitted or a limit "
        "is reached. Answers once the run exists (run_id, run_url) or after 10 s.",
        _json("Launch", "The launch"), status="202", parameters=[TEST_ID],
        errors={**NOT_PERMITTED, **NOT_FOUND, **BAD,
                "409": _error("Too many runs going on (overall or yours), or not enough "
                              "free nodes in a region the test asks for."),
                "503": _error("The run's process could not be started.")})},
    "/api/runs/{run_id}/stop": {"post": operation(
        "Stop a run started from the platform (tester), as Ctrl-C does: it ends as "
        "interrupted, everything measured kept.", _json("Launch", "The launch"),
        status="202", parameters=[RUN_ID],
        errors={**FORBIDDEN, **NOT_FOUND, **BAD,
                "409": _error("Not started from the platform, or already ended.")})},
    "/api/launches": {"get": operation(
        "Runs started from the platform, newest first.", _json("Launches", "The launches"),
        parameters=[{"name": "limit", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
        errors=BAD)},
    "/api/launches/{launch_id}": {"get": operation(
        "One launch (poll it for its run_id).", _json("Launch", "The launch"),
        parameters=[LAUNCH_ID], errors=NOT_FOUND)},
    "/api/targets": {
        "get": operation("The permitted targets (their tokens for admins only).",
                         _json("Targets", "The targets")),
        "post": operation("Add a target (admin); it needs verifying before runs may load "
                          "it.", _json("Target", "The target, with its token"),
                          status="201", body="NewTarget", errors={**FORBIDDEN, **CONFLICT}),
    },
    "/api/targets/{target_id}": {"delete": operation(
        "Remove a target (admin).", _json("Target", "The removed target"),
        parameters=[TARGET_ID], errors={**FORBIDDEN, **NOT_FOUND, **BAD})},
    "/api/targets/{target_id}/verify": {"post": operation(
        "Verify a target (admin): one GET of its /.well-known/swarmdeck-verification.txt, "
        "which must hold the token.", _json("Target", "The verified target"),
        parameters=[TARGET_ID],
        errors={**FORBIDDEN, **NOT_FOUND,
                "400": _error("The host did not serve the token; the message says why.")})},
    "/api/schedules": {"get": operation(
        "The schedules, with their next and last runs.", _json("Schedules", "The schedules"))},
    "/api/tests/{test_id}/schedules": {"post": operation(
        "Run the test on a cron expression (tester), optionally compared to a run and "
        "failed on a regression budget.", _json("Schedule", "The schedule"), status="201",
        parameters=[TEST_ID], body="NewSchedule", errors={**FORBIDDEN, **NOT_FOUND})},
    "/api/schedules/{schedule_id}": {"delete": operation(
        "Remove a schedule (tester).", _json("Schedule", "The removed schedule"),
        parameters=[SCHEDULE_ID], errors={**FORBIDDEN, **NOT_FOUND, **BAD})},
    "/api/tests/{test_id}/webhooks": {
        "get": operation("The test's webhooks (URLs masked).", _json("Webhooks", "Webhooks"),
                         parameters=[TEST_ID], errors=NOT_FOUND),
        "post": operation("Add a webhook (tester): a POST of JSON (or Slack's format) when "
                          "a run of the test ends, a threshold fails or a regression is "
                          "found; retried twice.", _json("Webhook", "The webhook"),
                          status="201", parameters=[TEST_ID], body="NewWebhook",
                          errors={**FORBIDDEN, **NOT_FOUND}),
    },
    "/api/webhooks/{webhook_id}": {"delete": operation(
        "Remove a webhook (tester).", _json("Webhook", "The removed webhook"),
        parameters=[WEBHOOK_ID], errors={**FORBIDDEN, **NOT_FOUND, **BAD})},
    "/api/webhooks/{webhook_id}/deliveries": {"get": operation(
        "The webhook's delivery log, newest first.", _json("Deliveries", "The deliveries"),
        parameters=[WEBHOOK_ID], errors=NOT_FOUND)},
    "/api/nodes": {"get": operation(
        "The registered nodes: region, connected or not, busy or idle.",
        _json("Nodes", "The nodes"))},
    "/api/nodes/heartbeat": {"post": operation(
        "A node registers and says it is alive (tester's token; `swarmdeck node` does it "
        "every 2 s); the answer tells it the run to join.", _json("NodeAnswer", "Noted"),
        body="NodeHeartbeat", errors=FORBIDDEN)},
}
