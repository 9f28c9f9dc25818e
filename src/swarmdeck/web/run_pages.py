"""The browser's side of starting and stopping runs (forms with a CSRF token, testers)
and the permitted targets page (admins)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from swarmdeck.errors import BadInput, SwarmdeckError
from swarmdeck.launch.targets import WELL_KNOWN, fetch_token, origin_of
from swarmdeck.web.launcher import launcher
from swarmdeck.web.principal import current, requires

bp = Blueprint("runs", __name__)


class ActionForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    """A button: only the CSRF token."""


class TargetForm(FlaskForm):  # type: ignore[misc]
    host = StringField("Host", validators=[InputRequired(), Length(max=255)])


def _checked() -> None:
    if not ActionForm().validate_on_submit():
        abort(400, "the form was incomplete or expired: reload the page and try again")


@bp.post("/tests/<int:test_id>/start")
@requires("tester", "starting a run")
def start(test_id: int) -> Response:
    _checked()
    found = launcher()
    try:
        launch = found.wait_for_run(found.start(test_id, current()).id)
    except SwarmdeckError as exc:
        flash(f"Not started: {exc}")
        return redirect(url_for("tests.test", test_id=test_id))
    if launch.run_id is not None:
        return redirect(url_for("pages.run", run_id=launch.run_id))
    if launch.status == "ended":
        flash(f"The run did not start (exit code {launch.exit_code}): "
              f"{launch.message or 'see the server log'}")
    else:
        flash("The run is starting; it will be listed below in a moment.")
    return redirect(url_for("tests.test", test_id=test_id))


@bp.post("/runs/<int:run_id>/stop")
@requires("tester", "stopping a run")
def stop(run_id: int) -> Response:
    _checked()
    try:
        launcher().stop(run_id, current())
    except BadInput as exc:
        flash(str(exc))
    return redirect(url_for("pages.run", run_id=run_id))


@bp.route("/admin/targets", methods=["GET", "POST"])
@requires("admin", "managing targets")
def targets() -> str | tuple[str, int]:
    form = TargetForm()
    status = 200
    if form.validate_on_submit():
        try:
            launcher().launches.add_target(origin_of(form.host.data or ""),
                                           actor=current().name)
        except BadInput as exc:
            flash(str(exc))
            status = 400
    elif form.is_submitted():
        status = 400
    page = render_template("targets.html", form=form, targets=launcher().launches.targets(),
                           action=ActionForm(), well_known=WELL_KNOWN)
    return (page, status) if status != 200 else page


@bp.post("/admin/targets/<int:target_id>/verify")
@requires("admin", "verifying a target")
def verify(target_id: int) -> Response:
    _checked()
    found = launcher().launches
    target = found.target(target_id)
    try:
        if fetch_token(target.origin) != target.token:
            raise BadInput(f"{target.origin} serves another token",
                           "serve exactly the token shown for it")
        found.mark_verified(target_id, actor=current().name)
        flash(f"{target.origin} is verified.")
    except BadInput as exc:
        flash(f"Not verified: {exc}")
    return redirect(url_for("runs.targets"))


@bp.post("/admin/targets/<int:target_id>/remove")
@requires("admin", "removing a target")
def remove(target_id: int) -> Response:
    _checked()
    launcher().launches.remove_target(target_id, actor=current().name)
    return redirect(url_for("runs.targets"))
