"""The saved tests' pages: the list (/tests), a new test and its edit form (testers), a
test with its versions and runs (/tests/ID), and one version's locustfile. Forms post with
a CSRF token; a locustfile is uploaded (checked, not run) or named in the allowed folder."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from swarmdeck.errors import BadInput
from swarmdeck.launch.locustcheck import MAX_BYTES
from swarmdeck.launch.spec import check_test_name, parse_settings
from swarmdeck.plan.shape_spec import SHAPE_NAMES
from swarmdeck.store.saved_tests import StoredLocustfile
from swarmdeck.web.launcher import launcher
from swarmdeck.web.principal import current, requires
from swarmdeck.web.saved import from_path, from_upload, saved_tests

bp = Blueprint("tests", __name__)
FIELDS = ("name", "locustfile_path", "host", "users", "spawn_rate", "run_time", "shape",
          "thresholds", "tags", "regions")


class ActionForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    """A button: only the CSRF token."""


class TestForm(FlaskForm):  # type: ignore[misc]
    __test__ = False  # not a pytest test class

    name = StringField("Name", validators=[Length(max=200)])
    locustfile_path = StringField("or a path in the server's folder",
                                  validators=[Length(max=500)])
    host = StringField("Host", validators=[Length(max=500)])
    users = StringField("Users", validators=[Length(max=10)])
    spawn_rate = StringField("Spawn rate (users/s)", validators=[Length(max=20)])
    run_time = StringField("Run time", validators=[Length(max=20)])
    shape = StringField("Shape", validators=[Length(max=20)])
    thresholds = TextAreaField("Thresholds (one a line)", validators=[Length(max=5000)])
    tags = TextAreaField("Tags (KEY=VALUE, one a line)", validators=[Length(max=5000)])
    regions = TextAreaField("Nodes per region (REGION=N, one a line)",
                            validators=[Length(max=2000)])


def _locustfile(form: TestForm, *, required: bool) -> StoredLocustfile | None:
    upload = request.files.get("locustfile")
    path = (form.locustfile_path.data or "").strip()
    if upload is not None and upload.filename:
        return from_upload(upload.filename, upload.stream.read(MAX_BYTES + 1))
    if path:
        return from_path(path)
    if required:
        raise BadInput("a test needs a locustfile", "upload one, or give its path")
    return None


def _form_values(form: TestForm) -> dict[str, Any]:
    return {name: getattr(form, name).data for name in FIELDS}


def _save(form: TestForm, test_id: int | None) -> Response | None:
    """Save the posted form; the redirect to the test, or None (errors flashed)."""
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error))
        return None
    try:
        values = _form_values(form)
        name = check_test_name(values["name"])
        locustfile = _locustfile(form, required=test_id is None)
        settings = parse_settings(values).to_json()
        if test_id is None:
            assert locustfile is not None
            saved = saved_tests().create(name, locustfile, settings, actor=current().name)
        else:
            saved = saved_tests().edit(test_id, name, locustfile, settings,
                                       actor=current().name)
    except BadInput as exc:
        flash(str(exc))
        return None
    return redirect(url_for("tests.test", test_id=saved.id))


@bp.get("/tests")
def tests() -> str:
    return render_template("tests.html", tests=saved_tests().all())


@bp.route("/tests/new", methods=["GET", "POST"])
@requires("tester", "saving a test")
def new() -> Response | str | tuple[str, int]:
    form = TestForm()
    if request.method == "POST":
        done = _save(form, None)
        if done is not None:
            return done
        return render_template("test_form.html", form=form, test=None,
                               shapes=SHAPE_NAMES), 400
    form.users.data, form.spawn_rate.data, form.run_time.data = "1", "1", "30s"
    return render_template("test_form.html", form=form, test=None, shapes=SHAPE_NAMES)


@bp.route("/tests/<int:test_id>/edit", methods=["GET", "POST"])
@requires("tester", "editing a test")
def edit(test_id: int) -> Response | str | tuple[str, int]:
    saved = saved_tests().get(test_id)
    form = TestForm()
    if request.method == "POST":
        done = _save(form, test_id)
        if done is not None:
            return done
        return render_template("test_form.html", form=form, test=saved,
                               shapes=SHAPE_NAMES), 400
    settings = saved.current.settings
    form.name.data = saved.name
    form.host.data = settings["host"]
    form.users.data = str(settings["users"])
    form.spawn_rate.data = f"{settings['spawn_rate']:g}"
    form.run_time.data = f"{settings['run_time_s']:g}s" if settings["run_time_s"] else ""
    form.shape.data = settings["shape"] or ""
    form.thresholds.data = "\n".join(settings["thresholds"])
    form.tags.data = "\n".join(f"{k}={v}" for k, v in settings["tags"].items())
    form.regions.data = "\n".join(f"{k}={v}" for k, v in
                                  (settings.get("regions") or {}).items())
    return render_template("test_form.html", form=form, test=saved, shapes=SHAPE_NAMES)


@bp.get("/tests/<int:test_id>")
def test(test_id: int) -> str:
    saved = saved_tests().get(test_id)
    return render_template("test.html", test=saved, versions=saved_tests().versions(test_id),
                           launches=launcher().launches.recent(20, test_id=test_id),
                           webhooks=launcher().webhooks.of_test(test_id),
                           action=ActionForm())


@bp.get("/tests/<int:test_id>/versions/<int:version>")
def version(test_id: int, version: int) -> str:
    return render_template("test_version.html", test=saved_tests().get(test_id),
                           version=saved_tests().version(test_id, version))


@bp.post("/tests/<int:test_id>/delete")
@requires("tester", "deleting a test")
def delete(test_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400, "the form was incomplete or expired: reload the page and try again")
    saved_tests().delete(test_id, actor=current().name)
    return redirect(url_for("tests.tests"))
