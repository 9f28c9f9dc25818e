"""Starting and stopping runs from the API, the launches, and the permitted targets:
``POST /api/tests/{id}/runs`` (tester), ``POST /api/runs/{id}/stop`` (tester),
``GET /api/launches[/{id}]``, ``/api/targets`` (admins change them)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from swarmdeck.errors import BadInput
from swarmdeck.launch.targets import fetch_token, origin_of
from swarmdeck.store.launches import Launch, Target
from swarmdeck.web import queries
from swarmdeck.web.launcher import launcher
from swarmdeck.web.platform_api import body, csrf_for_sessions, text_field
from swarmdeck.web.principal import current, requires

bp = Blueprint("runs_api", __name__, url_prefix="/api")
bp.before_request(csrf_for_sessions)
START_WAIT_S = 10.0


def launch_json(launch: Launch) -> dict[str, Any]:
    return {"id": launch.id, "test_id": launch.test_id, "version": launch.version,
            "locustfile_sha256": launch.locustfile_sha256,
            "requested_by": launch.requested_by, "status": launch.status,
            "run_id": launch.run_id, "users": launch.users,
            "run_url": url_for("pages.run", run_id=launch.run_id) if launch.run_id else None,
            "created_at": launch.created_at.isoformat(),
            "ended_at": launch.ended_at.isoformat() if launch.ended_at else None,
            "exit_code": launch.exit_code, "stopped_by": launch.stopped_by,
            "message": launch.message}


def target_json(target: Target, *, token: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": target.id, "origin": target.origin, "added_by": target.added_by,
        "created_at": target.created_at.isoformat(),
        "verified_at": target.verified_at.isoformat() if target.verified_at else None}
    if token:
        data["token"] = target.token
    return data


@bp.post("/tests/<int:test_id>/runs")
@requires("tester", "starting a run")
def start(test_id: int) -> tuple[Response, int]:
    found = launcher()
    launch = found.start(test_id, current())
    return jsonify(launch_json(found.wait_for_run(launch.id, START_WAIT_S))), 202


@bp.post("/runs/<int:run_id>/stop")
@requires("tester", "stopping a run")
def stop(run_id: int) -> tuple[Response, int]:
    return jsonify(launch_json(launcher().stop(run_id, current()))), 202


@bp.get("/launches")
def launches() -> Response:
    limit = queries.int_param(request.args, "limit", 50, 1, 500)
    return jsonify(launches=[launch_json(x) for x in launcher().launches.recent(limit)])


@bp.get("/launches/<int:launch_id>")
def launch(launch_id: int) -> Response:
    return jsonify(launch_json(launcher().launches.get(launch_id)))


@bp.get("/targets")
def targets() -> Response:
    admin = current().may("admin")
    return jsonify(targets=[target_json(t, token=admin)
                            for t in launcher().launches.targets()])


@bp.post("/targets")
@requires("admin", "adding a target")
def add_target() -> tuple[Response, int]:
    origin = origin_of(text_field(body(), "host") or "")
    target = launcher().launches.add_target(origin, actor=current().name)
    return jsonify(target_json(target, token=True)), 201


@bp.post("/targets/<int:target_id>/verify")
@requires("admin", "verifying a target")
def verify_target(target_id: int) -> Response:
    found = launcher().launches
    target = found.target(target_id)
    served = fetch_token(target.origin)
    if served != target.token:
        raise BadInput(f"{target.origin} serves another token",
                       "serve exactly the token shown for it (nothing else in the file)")
    return jsonify(target_json(found.mark_verified(target_id, actor=current().name),
                               token=True))


@bp.delete("/targets/<int:target_id>")
@requires("admin", "removing a target")
def remove_target(target_id: int) -> Response:
    return jsonify(target_json(launcher().launches.remove_target(target_id,
                                                                 actor=current().name),
                               token=True))
