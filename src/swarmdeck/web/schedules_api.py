"""Schedules in the API and the pages: ``GET /api/schedules``, ``POST
/api/tests/{id}/schedules`` and ``DELETE /api/schedules/{id}`` (testers change them), the
/schedules page (next and last runs) and the test page's form."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse

from swarmdeck.errors import BadInput
from swarmdeck.launch import cron
from swarmdeck.store.platform import Schedules
from swarmdeck.store.schedules import Schedule
from swarmdeck.web.platform_api import body, csrf_for_sessions
from swarmdeck.web.principal import current, requires
from swarmdeck.web.saved import saved_tests

bp = Blueprint("schedules_api", __name__, url_prefix="/api")
bp.before_request(csrf_for_sessions)
pages = Blueprint("schedules", __name__)


def schedules() -> Schedules:
    found: Schedules = current_app.extensions["swarmdeck_schedules"]
    return found


def next_at(schedule: Schedule) -> datetime:
    return cron.next_time(schedule.cron, max(datetime.now(UTC), schedule.since))


def schedule_json(schedule: Schedule) -> dict[str, Any]:
    return {"id": schedule.id, "test_id": schedule.test_id, "cron": schedule.cron,
            "compare_to": schedule.options.get("compare_to"),
            "max_regression": schedule.options.get("max_regression", []),
            "created_by": schedule.created_by,
            "created_at": schedule.created_at.isoformat(),
            "next_at": next_at(schedule).isoformat(),
            "last_due": schedule.last_due.isoformat() if schedule.last_due else None,
            "last_launch_id": schedule.last_launch_id,
            "last_message": schedule.last_message}


def _add(test_id: int, data: dict[str, Any]) -> Schedule:
    saved_tests().get(test_id)  # 404 for an unknown test
    expr = cron.check(data.get("cron"))
    options = cron.schedule_options(data.get("compare_to"), data.get("max_regression"))
    return schedules().add(test_id, expr, options, actor=current().name)


@bp.get("/schedules")
def list_schedules() -> Response:
    return jsonify(schedules=[schedule_json(s) for s in schedules().all()])


@bp.post("/tests/<int:test_id>/schedules")
@requires("tester", "scheduling a test")
def add(test_id: int) -> tuple[Response, int]:
    return jsonify(schedule_json(_add(test_id, body()))), 201


@bp.delete("/schedules/<int:schedule_id>")
@requires("tester", "removing a schedule")
def remove(schedule_id: int) -> Response:
    return jsonify(schedule_json(schedules().remove(schedule_id, actor=current().name)))


class ActionForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    """The CSRF token of a form whose fields are read from request.form."""


def _checked() -> None:
    if not ActionForm().validate_on_submit():
        abort(400, "the form was incomplete or expired: reload the page and try again")


@pages.get("/schedules")
def page() -> str:
    tests = {t.id: t for t in saved_tests().all()}
    rows = [(s, tests.get(s.test_id), next_at(s)) for s in schedules().all()]
    return render_template("schedules.html", rows=rows, action=ActionForm())


@pages.post("/tests/<int:test_id>/schedules")
@requires("tester", "scheduling a test")
def add_from_form(test_id: int) -> BaseResponse:
    _checked()
    try:
        _add(test_id, dict(request.form))
    except BadInput as exc:
        flash(f"Not scheduled: {exc}")
    return redirect(url_for("tests.test", test_id=test_id))


@pages.post("/schedules/<int:schedule_id>/remove")
@requires("tester", "removing a schedule")
def remove_from_form(schedule_id: int) -> BaseResponse:
    _checked()
    schedules().remove(schedule_id, actor=current().name)
    return redirect(url_for("schedules.page"))
