"""Session login (Flask-Login + Flask-WTF) and the pages behind it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import flask_login
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response as BaseResponse

from shopfront.errors import error_response, wants_json
from shopfront.extensions import db, login_manager
from shopfront.forms import LoginForm, SettingsForm
from shopfront.models import CartItem, Notification, Order, User

bp = Blueprint("auth", __name__)

F = TypeVar("F", bound=Callable[..., Any])


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)


def login_required(view: F) -> F:
    """Flask-Login's ``login_required``, typed (Flask-Login ships no type hints)."""
    return cast(F, flask_login.login_required(view))


def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def unauthorized() -> Any:
    """Browsers are sent to the login page; API and JSON clients get a plain 401."""
    if wants_json() or request.method != "GET":
        return error_response(401, "login required")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def admin_required(view: F) -> F:
    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403, "administrators only")
        return view(*args, **kwargs)

    return cast(F, wrapped)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: no open redirect through ?next=."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("auth.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
        if user is not None and user.check_password(form.password.data):
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash("Invalid email or password.")
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("login.html", form=form), status


@bp.post("/logout")
@login_required
def logout() -> BaseResponse:
    logout_user()
    return redirect(url_for("public.index"))


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    orders = db.session.scalars(
        select(Order).where(Order.user_id == current_user.id)
        .order_by(Order.created_at.desc(), Order.id.desc()).limit(5)
    ).all()
    unread = db.session.scalar(
        select(func.count(Notification.id))
        .where(Notification.user_id == current_user.id, Notification.read.is_(False))
    )
    cart_items = db.session.scalar(
        select(func.coalesce(func.sum(CartItem.quantity), 0))
        .where(CartItem.user_id == current_user.id)
    )
    return render_template("dashboard.html", orders=orders, unread=unread, cart_items=cart_items)


@bp.route("/account/settings", methods=["GET", "POST"])
@login_required
def account_settings() -> Any:
    form = SettingsForm(obj=current_user)
    if form.validate_on_submit():
        current_user.name = form.name.data.strip()
        db.session.commit()
        flash("Settings saved.")
        return redirect(url_for("auth.account_settings"))
    status = 422 if request.method == "POST" else 200
    return render_template("settings.html", form=form), status


@bp.get("/api/notifications")
@login_required
def notifications() -> Response:
    items = db.session.scalars(
        select(Notification).where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(20)
    ).all()
    unread = db.session.scalar(
        select(func.count(Notification.id))
        .where(Notification.user_id == current_user.id, Notification.read.is_(False))
    )
    return jsonify(
        unread=unread,
        items=[
            {"id": n.id, "message": n.message, "read": n.read,
             "created_at": n.created_at.isoformat()}
            for n in items
        ],
    )
