"""The platform's JSON API under /api/: health, who am I, personal API tokens, users and the
audit log. (Saved tests, runs started from the server and targets: web/tests_api.py.)

Writes need a role (principal.requires: 403 otherwise). A write authenticated by the
session cookie must carry the CSRF token (``X-CSRFToken``); one authenticated by an
``Authorization`` header needs none (a browser never sends that header by itself).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_wtf.csrf import CSRFProtect

from swarmdeck.errors import BadInput
from swarmdeck.store.accounts import Account, ApiToken, AuditEntry
from swarmdeck.store.platform import Accounts
from swarmdeck.web import queries
from swarmdeck.web.principal import current, requires

bp = Blueprint("platform_api", __name__, url_prefix="/api")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_AUDIT = 500


def accounts() -> Accounts:
    found: Accounts = current_app.extensions["swarmdeck_accounts"]
    return found


def csrf_for_sessions() -> None:
    """A cookie-authenticated write must prove it came from our own page."""
    if request.method not in SAFE_METHODS and current().via == "session":
        csrf: CSRFProtect = current_app.extensions["csrf"]
        csrf.protect()


bp.before_request(csrf_for_sessions)


def body() -> dict[str, Any]:
    """The request's JSON object; 400 when it is not one."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadInput("the request body must be a JSON object",
                       "send Content-Type: application/json")
    return data


def text_field(data: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise BadInput(f"field {name} must be a string")
    return value


def user_json(account: Account) -> dict[str, Any]:
    return {"id": account.id, "name": account.name, "role": account.role,
            "created_at": account.created_at.isoformat()}


def token_json(token: ApiToken) -> dict[str, Any]:
    return {"id": token.id, "name": token.name, "prefix": token.prefix,
            "created_at": token.created_at.isoformat(),
            "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
            "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None}


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {"id": entry.id, "at": entry.at.isoformat(), "actor": entry.actor,
            "action": entry.action, "kind": entry.kind, "subject": entry.subject,
            "detail": entry.detail}


def own_user_id(doing: str) -> int:
    principal = current()
    if principal.user_id is None:
        raise BadInput(f"{doing} needs a user account (the bootstrap credentials have none)",
                       "log in as a user created with `swarmdeck user add`")
    return principal.user_id


@bp.get("/health")
def health() -> Response:
    """Open to all: the server answers and reads its store."""
    accounts().count_users()
    return jsonify(status="ok")


@bp.get("/me")
def me() -> Response:
    principal = current()
    return jsonify(name=principal.name, role=principal.role, user_id=principal.user_id)


@bp.get("/tokens")
def tokens() -> Response:
    user_id = current().user_id
    found = accounts().tokens(user_id) if user_id is not None else []
    return jsonify(tokens=[token_json(t) for t in found])


@bp.post("/tokens")
@requires("viewer", "creating a token")
def create_token() -> tuple[Response, int]:
    name = text_field(body(), "name") or ""
    token, secret = accounts().create_token(own_user_id("creating a token"), name,
                                            actor=current().name)
    return jsonify({**token_json(token), "token": secret}), 201


@bp.delete("/tokens/<int:token_id>")
def revoke_token(token_id: int) -> Response:
    token = accounts().revoke_token(own_user_id("revoking a token"), token_id,
                                    actor=current().name)
    return jsonify(token_json(token))


@bp.get("/users")
@requires("admin", "listing users")
def users() -> Response:
    return jsonify(users=[user_json(a) for a in accounts().users()])


@bp.post("/users")
@requires("admin", "adding a user")
def add_user() -> tuple[Response, int]:
    data = body()
    account = accounts().add_user(text_field(data, "name") or "",
                                  text_field(data, "password") or "",
                                  text_field(data, "role") or "", actor=current().name)
    return jsonify(user_json(account)), 201


@bp.patch("/users/<int:user_id>")
@requires("admin", "changing a user")
def change_user(user_id: int) -> Response:
    data = body()
    account = accounts().change_user(user_id, actor=current().name,
                                     role=text_field(data, "role", required=False),
                                     password=text_field(data, "password", required=False))
    return jsonify(user_json(account))


@bp.delete("/users/<int:user_id>")
@requires("admin", "removing a user")
def remove_user(user_id: int) -> Response:
    return jsonify(user_json(accounts().remove_user(user_id, actor=current().name)))


@bp.get("/audit")
@requires("admin", "reading the audit log")
def audit() -> Response:
    limit = queries.int_param(request.args, "limit", 100, 1, MAX_AUDIT)
    return jsonify(entries=[audit_json(e) for e in accounts().audit_log(limit)])
