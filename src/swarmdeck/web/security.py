"""Who may read the dashboard, and the headers every response carries.

With no authentication configured (only allowed on a loopback bind) everyone who can
connect reads. Otherwise each request needs one of: ``Authorization: Bearer <token>``,
HTTP Basic with the configured user and password, or the session cookie the login form
sets after the token was entered. Secrets are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import PasswordField
from wtforms.validators import InputRequired

from swarmdeck.web.config import Auth

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
OPEN_ENDPOINTS = frozenset({"auth.login", "static", "report_assets.static"})  # public files

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    token = PasswordField("Token", validators=[InputRequired()])


def _auth() -> Auth:
    auth: Auth = current_app.extensions["swarmdeck_auth"]
    return auth


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _session_mark(auth: Auth) -> str:
    """What the session cookie holds once logged in: changes when the token changes."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, (auth.token or "").encode(), hashlib.sha256).hexdigest()


def authenticated(auth: Auth) -> bool:
    if not auth.enabled:
        return True
    header = request.headers.get("Authorization", "")
    if auth.token and header[:7].lower() == "bearer ":
        return _same(header[7:].strip(), auth.token)
    basic = request.authorization
    if auth.user and auth.password and basic is not None and basic.type == "basic":
        user_ok = _same(basic.username or "", auth.user)
        password_ok = _same(basic.password or "", auth.password)
        return user_ok and password_ok
    if auth.token and isinstance(session.get("auth"), str):
        return _same(session["auth"], _session_mark(auth))
    return False


def _challenge(auth: Auth) -> dict[str, str]:
    schemes = []
    if auth.token:
        schemes.append('Bearer realm="swarmdeck"')
    if auth.user:
        schemes.append('Basic realm="swarmdeck", charset="UTF-8"')
    return {"WWW-Authenticate": ", ".join(schemes)}


def require_auth() -> BaseResponse | None:
    """``before_request``: let the request through, or answer 401 (or the login form)."""
    auth = _auth()
    if request.endpoint in OPEN_ENDPOINTS or authenticated(auth):
        return None
    if request.path.startswith("/api/"):
        response = jsonify(error="authentication required: send Authorization: Bearer "
                                 "<SWARMDECK_DASHBOARD_TOKEN>" if auth.token else
                                 "authentication required (HTTP Basic)")
        response.status_code = 401
        response.headers.update(_challenge(auth))
        return response
    if auth.token and request.method == "GET":
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return Response("Authentication required.\n", 401, _challenge(auth),
                    mimetype="text/plain")


def add_headers(response: BaseResponse) -> BaseResponse:
    """``after_request``: the security headers; API answers are never cached."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/api/") or response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host): no open redirect."""
    if not target:
        return url_for("pages.runs")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return url_for("pages.runs")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | str:
    auth = _auth()
    if not auth.token:
        return redirect(url_for("pages.runs"))
    form = LoginForm()
    if form.validate_on_submit():
        if _same(form.token.data or "", auth.token):
            session.clear()
            session["auth"] = _session_mark(auth)
            return redirect(_safe_next(request.args.get("next")))
        flash("That token is not the dashboard's token.")
        return render_template("login.html", form=form), 401  # type: ignore[return-value]
    return render_template("login.html", form=form)


@bp.post("/logout")
def logout() -> BaseResponse:
    session.clear()
    return redirect(url_for("auth.login") if _auth().token else url_for("pages.runs"))


def init_app(app: Flask, auth: Auth) -> None:
    app.extensions["swarmdeck_auth"] = auth
    app.before_request(require_auth)
    app.after_request(add_headers)
    app.register_blueprint(bp)
