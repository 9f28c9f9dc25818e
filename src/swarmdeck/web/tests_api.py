"""The saved tests' JSON API under /api/tests: list, create, read, edit (a new version),
delete, and one version with its locustfile's source. Writes need the tester role; the
CSRF rule of platform_api applies (a cookie-authenticated write sends X-CSRFToken)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from swarmdeck.errors import BadInput
from swarmdeck.launch.spec import check_test_name, parse_settings
from swarmdeck.store.saved_tests import StoredLocustfile
from swarmdeck.web.platform_api import body, csrf_for_sessions
from swarmdeck.web.principal import current, requires
from swarmdeck.web.saved import (
    from_path,
    from_upload,
    saved_test_json,
    saved_tests,
    version_json,
)

bp = Blueprint("tests_api", __name__, url_prefix="/api/tests")
bp.before_request(csrf_for_sessions)


def _locustfile(data: dict[str, Any], *, required: bool) -> StoredLocustfile | None:
    upload, path = data.get("locustfile"), data.get("locustfile_path")
    if upload is not None and path is not None:
        raise BadInput("give locustfile or locustfile_path, not both")
    if path is not None:
        if not isinstance(path, str):
            raise BadInput("locustfile_path must be a string")
        return from_path(path)
    if upload is None:
        if required:
            raise BadInput("a test needs a locustfile",
                           'send {"locustfile": {"name": "locustfile.py", "source": "..."}} '
                           "or locustfile_path")
        return None
    if not isinstance(upload, dict) or not isinstance(upload.get("name"), str) \
            or not isinstance(upload.get("source"), str):
        raise BadInput("locustfile must be an object with name and source strings")
    return from_upload(upload["name"], upload["source"].encode("utf-8"))


@bp.get("")
def tests() -> Response:
    return jsonify(tests=[saved_test_json(t) for t in saved_tests().all()])


@bp.post("")
@requires("tester", "saving a test")
def create() -> tuple[Response, int]:
    data = body()
    name = check_test_name(data.get("name"))
    locustfile = _locustfile(data, required=True)
    settings = parse_settings(data)
    assert locustfile is not None
    saved = saved_tests().create(name, locustfile, settings.to_json(), actor=current().name)
    return jsonify(saved_test_json(saved)), 201


@bp.get("/<int:test_id>")
def test(test_id: int) -> Response:
    return jsonify(saved_test_json(saved_tests().get(test_id)))


@bp.put("/<int:test_id>")
@requires("tester", "editing a test")
def edit(test_id: int) -> Response:
    data = body()
    saved_tests().get(test_id)  # 404 before checking the body
    name = check_test_name(data.get("name"))
    locustfile = _locustfile(data, required=False)
    settings = parse_settings(data)
    saved = saved_tests().edit(test_id, name, locustfile, settings.to_json(),
                               actor=current().name)
    return jsonify(saved_test_json(saved))


@bp.delete("/<int:test_id>")
@requires("tester", "deleting a test")
def delete(test_id: int) -> Response:
    return jsonify(saved_test_json(saved_tests().delete(test_id, actor=current().name)))


@bp.get("/<int:test_id>/versions")
def versions(test_id: int) -> Response:
    return jsonify(versions=[version_json(v) for v in saved_tests().versions(test_id)])


@bp.get("/<int:test_id>/versions/<int:version>")
def version(test_id: int, version: int) -> Response:
    return jsonify(version_json(saved_tests().version(test_id, version), source=True))
