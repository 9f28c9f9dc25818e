"""Registered generator nodes: ``POST /api/nodes/heartbeat`` (a node, with a tester's
token: it registers, says it is alive and busy or not, and learns the run it is to join),
``GET /api/nodes`` and the /nodes page (who is connected, where, busy or idle)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request

from swarmdeck.errors import BadInput
from swarmdeck.store.nodes import Node
from swarmdeck.web.launcher import launcher
from swarmdeck.web.platform_api import body, csrf_for_sessions
from swarmdeck.web.principal import current, requires

bp = Blueprint("nodes_api", __name__, url_prefix="/api/nodes")
bp.before_request(csrf_for_sessions)
pages = Blueprint("nodes", __name__)


def node_json(node: Node, now: datetime) -> dict[str, Any]:
    return {"id": node.id, "name": node.name, "region": node.region, "owner": node.owner,
            "address": node.address, "last_seen": node.last_seen.isoformat(),
            "state": node.state(now), "launch_id": node.launch_id}


def _name(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 64 \
            or any(c.isspace() for c in value.strip()):
        raise BadInput(f"{what} must be a short name without spaces")
    return value.strip()


@bp.post("/heartbeat")
@requires("tester", "registering a node")
def heartbeat() -> Response:
    data = body()
    busy = data.get("busy", False)
    if not isinstance(busy, bool):
        raise BadInput("busy must be true or false")
    node, assignment = launcher().nodes.heartbeat(
        _name(data.get("name"), "name"), _name(data.get("region"), "region"),
        current().name, request.remote_addr, busy)
    return jsonify(node=node_json(node, datetime.now(UTC)), assignment=assignment)


@bp.get("")
def nodes() -> Response:
    now = datetime.now(UTC)
    return jsonify(nodes=[node_json(n, now) for n in launcher().nodes.all()])


@pages.get("/nodes")
def page() -> str:
    now = datetime.now(UTC)
    return render_template("nodes.html", nodes=[(n, n.state(now)) for n in
                                                launcher().nodes.all()])
