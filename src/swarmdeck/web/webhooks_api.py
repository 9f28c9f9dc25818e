"""Webhooks in the API and the pages: ``GET/POST /api/tests/{id}/webhooks``, ``DELETE
/api/webhooks/{id}`` (testers change them), ``GET /api/webhooks/{id}/deliveries`` (the
delivery log), the test page's form and a webhook's deliveries page. The URL is a secret:
every answer and page shows it masked."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
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
from swarmdeck.launch import notify
from swarmdeck.store.webhooks import Delivery, Webhook
from swarmdeck.web.launcher import launcher
from swarmdeck.web.platform_api import body, csrf_for_sessions
from swarmdeck.web.principal import current, requires
from swarmdeck.web.saved import saved_tests

bp = Blueprint("webhooks_api", __name__, url_prefix="/api")
bp.before_request(csrf_for_sessions)
pages = Blueprint("webhooks", __name__)


def webhook_json(hook: Webhook) -> dict[str, Any]:
    return {"id": hook.id, "test_id": hook.test_id, "url": hook.masked,
            "format": hook.format, "events": list(hook.events),
            "created_by": hook.created_by, "created_at": hook.created_at.isoformat()}


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    return {"id": delivery.id, "webhook_id": delivery.webhook_id,
            "launch_id": delivery.launch_id, "run_id": delivery.run_id,
            "events": list(delivery.events), "status": delivery.status,
            "attempts": delivery.attempts, "response_status": delivery.response_status,
            "error": delivery.error, "created_at": delivery.created_at.isoformat(),
            "finished_at": delivery.finished_at.isoformat() if delivery.finished_at
            else None}


def _add(test_id: int, data: dict[str, Any]) -> Webhook:
    saved_tests().get(test_id)  # 404 for an unknown test
    return launcher().webhooks.add(test_id, notify.check_url(data.get("url")),
                                   notify.check_format(data.get("format")),
                                   notify.check_events(data.get("events")),
                                   request.host_url, actor=current().name)


@bp.get("/tests/<int:test_id>/webhooks")
def list_webhooks(test_id: int) -> Response:
    saved_tests().get(test_id)
    return jsonify(webhooks=[webhook_json(h) for h in launcher().webhooks.of_test(test_id)])


@bp.post("/tests/<int:test_id>/webhooks")
@requires("tester", "adding a webhook")
def add(test_id: int) -> tuple[Response, int]:
    return jsonify(webhook_json(_add(test_id, body()))), 201


@bp.delete("/webhooks/<int:webhook_id>")
@requires("tester", "removing a webhook")
def remove(webhook_id: int) -> Response:
    return jsonify(webhook_json(launcher().webhooks.remove(webhook_id,
                                                           actor=current().name)))


@bp.get("/webhooks/<int:webhook_id>/deliveries")
def deliveries(webhook_id: int) -> Response:
    return jsonify(deliveries=[delivery_json(d)
                               for d in launcher().webhooks.deliveries(webhook_id)])


class ActionForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    """The CSRF token of a form whose fields are read from request.form."""


def _checked() -> None:
    if not ActionForm().validate_on_submit():
        abort(400, "the form was incomplete or expired: reload the page and try again")


@pages.post("/tests/<int:test_id>/webhooks")
@requires("tester", "adding a webhook")
def add_from_form(test_id: int) -> BaseResponse:
    _checked()
    try:
        _add(test_id, {"url": request.form.get("url"), "format": request.form.get("format"),
                       "events": request.form.getlist("events")})
    except BadInput as exc:
        flash(f"Webhook not added: {exc}")
    return redirect(url_for("tests.test", test_id=test_id))


@pages.get("/webhooks/<int:webhook_id>")
def page(webhook_id: int) -> str:
    hook = launcher().webhooks.get(webhook_id)
    return render_template("webhook.html", hook=hook, test=saved_tests().get(hook.test_id),
                           deliveries=launcher().webhooks.deliveries(webhook_id, 100),
                           action=ActionForm())


@pages.post("/webhooks/<int:webhook_id>/remove")
@requires("tester", "removing a webhook")
def remove_from_form(webhook_id: int) -> BaseResponse:
    _checked()
    hook = launcher().webhooks.remove(webhook_id, actor=current().name)
    return redirect(url_for("tests.test", test_id=hook.test_id))
