"""Who is asking, and the headers every response carries.

A request is identified by (in this order): ``Authorization: Bearer <token>`` (the
bootstrap SWARMDECK_DASHBOARD_TOKEN, or a user's personal API token), HTTP Basic with the
bootstrap user and password, or the session cookie of the login form (a user's name and
password, or the bootstrap token). Secrets are compared in constant time; passwords and
tokens are never logged or shown.

Once the store has users, or bootstrap credentials are set, every request but the login
page, the health check and static files needs one of them (401 for the API, a redirect to
the login page for a page). With neither (allowed on a loopback bind only) everyone who can
connect reads, as an anonymous viewer.
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
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from swarmdeck.errors import ItemNotFound
from swarmdeck.store.platform import Accounts
from swarmdeck.web.config import Auth
from swarmdeck.web.principal import ANONYMOUS, Principal, bootstrap

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
OPEN_ENDPOINTS = frozenset({"auth.login", "static", "report_assets.static",  # public files
                            "platform_api.health"})

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    token = PasswordField("Token", validators=[InputRequired()])


class AccountLoginForm(FlaskForm):  # type: ignore[misc]
    name = StringField("User", validators=[InputRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=1024)])


def _auth() -> Auth:
    auth: Auth = current_app.extensions["swarmdeck_auth"]
    return auth


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _session_mark(auth: Auth) -> str:
    """What the session cookie holds once logged in: changes when the token changes."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, (auth.token or "").encode(), hashlib.sha256).hexdigest()


def accounts() -> Accounts:
    found: Accounts = current_app.extensions["swarmdeck_accounts"]
    return found


def identify(auth: Auth) -> Principal | None:
    """The principal the request's credentials name; None without (valid) credentials."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        given = header[7:].strip()
        if auth.token and _same(given, auth.token):
            return bootstrap("header")
        account = accounts().user_of_token(given) if given else None
        return Principal.of(account, "header") if account is not None else None
    basic = request.authorization
    if basic is not None and basic.type == "basic":
        if auth.user and auth.password:
            user_ok = _same(basic.username or "", auth.user)
            password_ok = _same(basic.password or "", auth.password)
            if user_ok and password_ok:
                return bootstrap("header")
        return None
    if current_user.is_authenticated:
        principal: Principal = current_user._get_current_object()
        return principal
    if auth.token and isinstance(session.get("auth"), str) \
            and _same(session["auth"], _session_mark(auth)):
        return bootstrap("session")
    return None


def auth_required(auth: Auth) -> bool:
    """Whether anonymous requests are refused: bootstrap credentials or users exist."""
    return auth.enabled or login_offered(auth)


def _challenge(auth: Auth) -> dict[str, str]:
    schemes = []
    if login_offered(auth):
        schemes.append('Bearer realm="swarmdeck"')
    if auth.user:
        schemes.append('Basic realm="swarmdeck", charset="UTF-8"')
    return {"WWW-Authenticate": ", ".join(schemes)}


def require_auth() -> BaseResponse | None:
    """``before_request``: let the request through, or answer 401 (or the login form)."""
    auth = _auth()
    principal = identify(auth)
    if principal is not None:
        g.principal = principal
        return None
    if request.endpoint in OPEN_ENDPOINTS or not auth_required(auth):
        g.principal = ANONYMOUS
        return None
    if request.path.startswith("/api/"):
        response = jsonify(error="authentication required: send Authorization: Bearer "
                                 "<your API token> (see your account page)"
                                 if login_offered(auth) else
                                 "authentication required (HTTP Basic)")
        response.status_code = 401
        response.headers.update(_challenge(auth))
        return response
    if request.method == "GET" and login_offered(auth):
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


def login_offered(auth: Auth) -> bool:
    """Whether the login page has something to offer: the bootstrap token, or users."""
    if auth.token:
        return True
    if "users_exist" not in g:
        g.users_exist = accounts().count_users() > 0
    return bool(g.users_exist)


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | tuple[str, int] | str:
    auth = _auth()
    users = accounts().count_users() > 0
    if not auth.token and not users:
        return redirect(url_for("pages.runs"))
    form = AccountLoginForm(prefix="account") if users else None
    token_form = LoginForm() if auth.token else None
    status = 200
    if form is not None and "account-name" in request.form and form.validate_on_submit():
        account = accounts().check_login(form.name.data or "", form.password.data or "")
        if account is not None:
            session.clear()
            login_user(Principal.of(account, "session"))
            return redirect(_safe_next(request.args.get("next")))
        flash("Wrong user name or password.")
        status = 401
    elif token_form is not None and "token" in request.form \
            and token_form.validate_on_submit():
        if _same(token_form.token.data or "", auth.token or ""):
            session.clear()
            session["auth"] = _session_mark(auth)
            return redirect(_safe_next(request.args.get("next")))
        flash("That token is not the dashboard's token.")
        status = 401
    elif request.method == "POST":
        status = 400
    page = render_template("login.html", form=form, token_form=token_form)
    return (page, status) if status != 200 else page


@bp.post("/logout")
def logout() -> BaseResponse:
    logout_user()
    session.clear()
    return redirect(url_for("auth.login") if login_offered(_auth()) else url_for("pages.runs"))


def _load_user(user_id: str) -> Principal | None:
    """Flask-Login's loader: the session's user, unless removed or their password changed
    since the session began."""
    number, _, mark = user_id.partition(":")
    if not number.isdigit():
        return None
    try:
        account = accounts().user(int(number))
    except ItemNotFound:
        return None
    if not hmac.compare_digest(account.password_mark, mark):
        return None
    return Principal.of(account, "session")


def init_app(app: Flask, auth: Auth, found: Accounts) -> None:
    app.extensions["swarmdeck_auth"] = auth
    app.extensions["swarmdeck_accounts"] = found
    manager = LoginManager()
    manager.user_loader(_load_user)
    manager.login_view = None  # require_auth answers, not Flask-Login
    manager.init_app(app)
    app.before_request(require_auth)
    app.after_request(add_headers)
    app.register_blueprint(bp)
