"""A small Flask app with Flask-SQLAlchemy, Flask-Caching and templates, whose routes run a
known number of statements: ``/books?limit=N`` loads each book's author lazily (1 + N
queries: an N+1), ``/books/eager?limit=N`` loads them with selectinload (2 queries)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask, render_template_string, request
from flask_caching import Cache
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

from swarmdeck.flask import ServerTiming

AUTHORS = 30
PAGE = """<ul>{% for b in books %}<li>{{ b.title }} by {{ b.author.name }}</li>{% endfor %}</ul>"""


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    author: Mapped[Author] = relationship(lazy="select")


def create_app(db_url: str, **config: Any) -> Flask:
    """The test app, timed by a ServerTiming created before the other extensions (the
    order a user may well choose): it must still see every engine and cache."""
    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI=db_url, CACHE_TYPE="SimpleCache",
                      SWARMDECK_SERVER_TIMING=True, **config)
    ServerTiming(app)
    db = SQLAlchemy(model_class=Base)
    db.init_app(app)
    cache = Cache(app)

    @app.get("/books")
    def books() -> str:
        limit = int(request.args.get("limit", "10"))
        rows = db.session.scalars(select(Book).order_by(Book.id).limit(limit)).all()
        return render_template_string(PAGE, books=rows)  # the template loads each author

    @app.get("/books/eager")
    def books_eager() -> str:
        limit = int(request.args.get("limit", "10"))
        rows = db.session.scalars(select(Book).options(selectinload(Book.author))
                                  .order_by(Book.id).limit(limit)).all()
        return render_template_string(PAGE, books=rows)

    @app.get("/cached")
    def cached() -> str:
        value = cache.get("answer")
        if value is None:
            value = "42"
            cache.set("answer", value)
        return str(value)

    @app.get("/plain")
    def plain() -> str:
        return "no database"

    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        db.session.add_all(Author(id=i, name=f"author {i}") for i in range(1, AUTHORS + 1))
        db.session.add_all(Book(id=i, title=f"book {i}", author_id=i) for i in
                           range(1, AUTHORS + 1))
        db.session.commit()
    return app


def metrics(value: str | None) -> dict[str, dict[str, str]]:
    """A test's own reading of the header our extension writes (no quoted commas in it)."""
    found: dict[str, dict[str, str]] = {}
    for part in re.split(r',\s*(?=[\w-]+(?:;|,|$))', value or ""):
        name, *params = part.strip().split(";")
        found[name] = {k: v.strip('"') for k, v in (p.split("=", 1) for p in params)}
    return found


AppFactory = Callable[..., Flask]


class StatementCounter:
    """Counts the statements the app runs, with its own engine listener: the truth."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args: Any) -> None:
        self.count += 1
