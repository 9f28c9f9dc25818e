"""shopfront: a realistic Flask shop, the default target of swarmdeck's demo and tests."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from shopfront import config as config_module
from shopfront.config import ConfigError

__all__ = ["ConfigError", "create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Application factory: ``gunicorn 'shopfront:create_app()'``."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(config_module.default_config(app.instance_path))
    if test_config is not None:
        app.config.from_mapping(test_config)
    config_module.validate(app.config)
    os.makedirs(app.instance_path, exist_ok=True)
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)

    from shopfront.extensions import cache, csrf, db, jwt, login_manager, server_timing

    server_timing.init_app(app)  # first: its request time includes the others' hooks
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    jwt.init_app(app)
    cache.init_app(app)

    from shopfront import admin, api, auth, errors, profiles, public, seed

    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    csrf.exempt(api.bp)  # bearer tokens, no cookies: nothing for a forged request to ride on
    auth.init_app(app)
    api.init_jwt(jwt)
    errors.init_app(app)
    seed.init_app(app)
    with app.app_context():
        _tune_sqlite(db.engine)
    profiles.ensure_schema(app)
    return app


def _tune_sqlite(engine: Engine) -> None:
    """SQLite under several Gunicorn workers: WAL lets readers run beside the one writer."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
