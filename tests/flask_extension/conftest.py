"""Fixtures of the extension's tests: the books app (books_app.py) on SQLite and on
PostgreSQL, and a statement counter of our own to check its counts against."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event
from tests.flask_extension.books_app import AppFactory, StatementCounter, create_app


@pytest.fixture
def counted() -> Iterator[StatementCounter]:
    from sqlalchemy.engine import Engine

    counter = StatementCounter()
    event.listen(Engine, "after_cursor_execute", counter)
    yield counter
    event.remove(Engine, "after_cursor_execute", counter)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def make_app(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[AppFactory]:
    """The test app on SQLite, and on PostgreSQL (a fresh database of the session)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'books.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    apps: list[Flask] = []

    def make(**config: Any) -> Flask:
        app = create_app(url, **config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()
