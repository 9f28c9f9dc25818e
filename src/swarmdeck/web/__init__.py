"""The dashboard: a Flask app over the results store (``swarmdeck serve``).

    app = create_app({"SWARMDECK_DB": "sqlite:///runs.db"})

The platform (accounts, roles, API tokens, the audit log) lives in the same app: see
docs/platform.md. Config keys: ``SWARMDECK_DB`` (the store URL; default the CLI's default), ``AUTH`` (a
``swarmdeck.web.config.Auth``; default none), ``SECRET_KEY`` (signs the login cookie and
CSRF tokens; random per app when absent), ``LOCUSTFILE_DIR`` (the folder saved tests may
name locustfiles in; none: uploads only). The store is opened once per app and closed
by ``close_app``. Nothing here imports Locust or gevent.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, jsonify, render_template, request
from flask_wtf import CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from swarmdeck.errors import (
    BadInput,
    Conflict,
    ItemNotFound,
    NotPermitted,
    RunNotFound,
    SwarmdeckError,
)
from swarmdeck.store import Store
from swarmdeck.store.connect import DEFAULT_URL
from swarmdeck.store.models import MAX_RUN_ID
from swarmdeck.store.platform import Accounts, Schedules
from swarmdeck.web import (
    account_pages,
    api,
    nodes_api,
    pages,
    platform_api,
    run_pages,
    runs_api,
    saved,
    saved_pages,
    schedules_api,
    security,
    tests_api,
    webhooks_api,
)
from swarmdeck.web.config import Auth
from swarmdeck.web.documents import DocumentCache
from swarmdeck.web.launcher import Launcher, RunLimits
from swarmdeck.web.principal import current
from swarmdeck.web.scheduler import Scheduler

__all__ = ["Auth", "close_app", "create_app"]

REPORT_STATIC = Path(__file__).resolve().parent.parent / "report" / "static"


class RunIdConverter(IntegerConverter):
    """``<run:run_id>``: a run id, 1 to the largest the store's column holds; any other
    number is no route (404), not a query the database refuses."""

    def __init__(self, map: Any) -> None:
        super().__init__(map, min=1, max=MAX_RUN_ID)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(
        SWARMDECK_DB=DEFAULT_URL,
        AUTH=Auth(),
        SECRET_KEY=secrets.token_hex(32),
        SESSION_COOKIE_NAME="swarmdeck_session",
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=512 * 1024,  # a locustfile upload: 256 KiB (platform.locustcheck)
        LOCUSTFILE_DIR=None,
        MAX_RUNS=2, MAX_RUNS_PER_USER=1, MAX_USERS=1000, MAX_RUN_TIME_S=3600.0,
        SCHEDULER=False, SCHEDULER_TICK_S=20.0,  # `swarmdeck serve` fires the schedules
        WEBHOOK_RETRY_DELAYS_S=(1.0, 4.0),
        NODE_MASTER_HOST="0.0.0.0",  # where a run's master listens for nodes' workers
    )
    if config:
        app.config.update(config)
    app.debug = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.url_map.converters["run"] = RunIdConverter
    store = app.extensions["swarmdeck_store"] = Store.open(app.config["SWARMDECK_DB"])
    app.extensions["swarmdeck_documents"] = DocumentCache(store)
    accounts = Accounts(store)
    security.init_app(app, app.config["AUTH"], accounts)  # who asks, before the CSRF check
    csrf = CSRFProtect(app)
    for blueprint in (platform_api.bp, tests_api.bp, runs_api.bp, schedules_api.bp,
                      webhooks_api.bp, nodes_api.bp):  # they check cookie-authenticated writes
        csrf.exempt(blueprint)
    tests = app.extensions["swarmdeck_saved_tests"] = saved.init_app(store, accounts)
    launcher = app.extensions["swarmdeck_launcher"] = Launcher(
        store, accounts, tests, RunLimits(app.config["MAX_RUNS"],
                                          app.config["MAX_RUNS_PER_USER"],
                                          app.config["MAX_USERS"],
                                          app.config["MAX_RUN_TIME_S"]))
    launcher.retry_delays = tuple(app.config["WEBHOOK_RETRY_DELAYS_S"])
    launcher.node_master_host = app.config["NODE_MASTER_HOST"]
    found = app.extensions["swarmdeck_schedules"] = Schedules(store, accounts)
    scheduler = app.extensions["swarmdeck_scheduler"] = Scheduler(found, launcher)
    if app.config["SCHEDULER"]:
        scheduler.run_in_background(app.config["SCHEDULER_TICK_S"])
    app.register_blueprint(Blueprint("report_assets", __name__, static_folder=REPORT_STATIC,
                                     static_url_path="/assets/report"))
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(platform_api.bp)
    app.register_blueprint(account_pages.bp)
    app.register_blueprint(tests_api.bp)
    app.register_blueprint(saved_pages.bp)
    app.register_blueprint(runs_api.bp)
    app.register_blueprint(run_pages.bp)
    app.register_blueprint(schedules_api.bp)
    app.register_blueprint(schedules_api.pages)
    app.register_blueprint(webhooks_api.bp)
    app.register_blueprint(webhooks_api.pages)
    app.register_blueprint(nodes_api.bp)
    app.register_blueprint(nodes_api.pages)
    _error_handlers(app)
    app.jinja_env.globals["auth_token"] = bool(app.config["AUTH"].token)
    app.jinja_env.globals["principal"] = current
    return app


def close_app(app: Flask) -> None:
    """Stop its scheduler; close the app's store (its connection pool)."""
    scheduler: Scheduler | None = app.extensions.pop("swarmdeck_scheduler", None)
    if scheduler is not None:
        scheduler.stop()
    store: Store | None = app.extensions.pop("swarmdeck_store", None)
    if store is not None:
        store.close()


def _error(status: int, message: str) -> Response | tuple[str, int]:
    if request.path.startswith("/api/"):
        response = jsonify(error=message)
        response.status_code = status
        return response
    return render_template("error.html", status=status, message=message), status


def _error_handlers(app: Flask) -> None:
    @app.errorhandler(RunNotFound)
    def run_not_found(exc: RunNotFound) -> Any:
        return _error(404, exc.message)

    @app.errorhandler(ItemNotFound)
    def item_not_found(exc: ItemNotFound) -> Any:
        return _error(404, str(exc))

    @app.errorhandler(NotPermitted)
    def not_permitted(exc: NotPermitted) -> Any:
        return _error(403, str(exc))

    @app.errorhandler(Conflict)
    def conflict(exc: Conflict) -> Any:
        return _error(409, str(exc))

    @app.errorhandler(BadInput)
    def bad_input(exc: BadInput) -> Any:
        return _error(400, str(exc))

    @app.errorhandler(SwarmdeckError)
    def store_error(exc: SwarmdeckError) -> Any:
        app.logger.error("%s", exc)
        return _error(503, str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if exc.code in (301, 302, 303, 307, 308):
            return exc
        return _error(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def internal_error(exc: Exception) -> Any:
        app.logger.exception("internal error on %s", request.path)
        return _error(500, "internal error (the server log has the details)")
