"""The account pages: your API tokens (/account), users (/admin/users, admins) and the
audit log (/audit, admins). Every form carries a CSRF token (Flask-WTF); a new token is
shown once, on the page that created it, and never again.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from swarmdeck.errors import BadInput
from swarmdeck.store.accounts import ROLES
from swarmdeck.web.platform_api import accounts, own_user_id
from swarmdeck.web.principal import current, requires

bp = Blueprint("accounts", __name__)


class TokenForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    name = StringField("Name", validators=[InputRequired(), Length(max=64)])


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button: only the CSRF token."""


class UserForm(FlaskForm):  # type: ignore[misc]
    name = StringField("User", validators=[InputRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[InputRequired(), Length(min=8,
                                                                            max=1024)])
    role = SelectField("Role", choices=list(ROLES), default="viewer")


class RoleForm(FlaskForm):  # type: ignore[misc]
    role = SelectField("Role", choices=list(ROLES))


def _checked(form: FlaskForm) -> FlaskForm:
    """The posted form, or 400 (a missing or stale CSRF token, a bad field)."""
    if not form.validate_on_submit():
        abort(400, "the form was incomplete or expired: reload the page and try again")
    return form


@bp.route("/account", methods=["GET", "POST"])
def account() -> str | tuple[str, int]:
    principal = current()
    form = TokenForm()
    new_secret = None
    status = 200
    if form.validate_on_submit():
        try:
            _, new_secret = accounts().create_token(own_user_id("creating a token"),
                                                    form.name.data or "",
                                                    actor=principal.name)
        except BadInput as exc:
            flash(str(exc))
            status = 400
    found = accounts().tokens(principal.user_id) if principal.user_id is not None else []
    page = render_template("account.html", form=form, tokens=found, new_secret=new_secret,
                           action=ActionForm())
    return (page, status) if status != 200 else page


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke(token_id: int) -> Response:
    _checked(ActionForm())
    accounts().revoke_token(own_user_id("revoking a token"), token_id, actor=current().name)
    return redirect(url_for("accounts.account"))


@bp.route("/admin/users", methods=["GET", "POST"])
@requires("admin", "managing users")
def users() -> str | tuple[str, int]:
    form = UserForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts().add_user(form.name.data or "", form.password.data or "",
                                form.role.data or "", actor=current().name)
            flash(f"User {form.name.data} added.")
        except BadInput as exc:
            flash(str(exc))
            status = 400
    elif form.is_submitted():
        status = 400
    page = render_template("users.html", form=form, users=accounts().users(),
                           role_form=RoleForm(), action=ActionForm(), roles=ROLES)
    return (page, status) if status != 200 else page


@bp.post("/admin/users/<int:user_id>/role")
@requires("admin", "changing a user")
def change_role(user_id: int) -> Response:
    form = _checked(RoleForm())
    try:
        accounts().change_user(user_id, role=form.role.data, actor=current().name)
    except BadInput as exc:
        flash(str(exc))
    return redirect(url_for("accounts.users"))


@bp.post("/admin/users/<int:user_id>/remove")
@requires("admin", "removing a user")
def remove(user_id: int) -> Response:
    _checked(ActionForm())
    try:
        accounts().remove_user(user_id, actor=current().name)
    except BadInput as exc:
        flash(str(exc))
    return redirect(url_for("accounts.users"))


@bp.get("/audit")
@requires("admin", "reading the audit log")
def audit() -> str:
    return render_template("audit.html", entries=accounts().audit_log(200))
