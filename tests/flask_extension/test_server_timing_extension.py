"""swarmdeck.flask.ServerTiming on a real Flask app (Flask-SQLAlchemy on SQLite and on
PostgreSQL, Flask-Caching, templates): what its header says against what happened."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from tests.flask_extension.books_app import (
    AUTHORS,
    AppFactory,
    StatementCounter,
    create_app,
    metrics,
)

from swarmdeck.flask import ServerTiming


@pytest.mark.parametrize("limit", [1, 5, 20])
def test_the_query_count_is_what_sqlalchemy_ran(make_app: AppFactory,
                                                counted: StatementCounter, limit: int) -> None:
    client = make_app().test_client()
    before = counted.count
    timing = metrics(client.get(f"/books?limit={limit}").headers["Server-Timing"])
    ran = counted.count - before
    assert ran == 1 + limit  # the N+1: one query for the page, one per book's author
    assert timing["db"]["desc"] == f"{ran} {'query' if ran == 1 else 'queries'}"
    eager = metrics(client.get(f"/books/eager?limit={limit}").headers["Server-Timing"])
    assert eager["db"]["desc"] == "2 queries"


def test_the_repeated_statement_is_named_with_its_count(make_app: AppFactory) -> None:
    timing = metrics(make_app().test_client().get("/books?limit=12").headers["Server-Timing"])
    repeat = timing["sql-repeat"]["desc"]
    count, fingerprint, shape = repeat.split(" ", 2)
    assert count == "12x" and len(fingerprint) == 9 and fingerprint.startswith("#")
    assert "FROM authors WHERE authors.id = ?" in shape  # the lazy load, its id replaced
    # the same statement shape with other ids has the same fingerprint
    again = metrics(make_app().test_client().get("/books?limit=3").headers["Server-Timing"])
    assert again["sql-repeat"]["desc"].split(" ")[1] == fingerprint
    assert float(timing["sql-repeat"]["dur"]) <= float(timing["db"]["dur"])
    assert float(timing["sql-slow"]["dur"]) <= float(timing["db"]["dur"])


def test_no_repeat_without_a_repeated_statement(make_app: AppFactory) -> None:
    timing = metrics(make_app().test_client().get("/books/eager?limit=5").headers[
        "Server-Timing"])
    assert "sql-repeat" not in timing and "sql-slow" in timing


def test_app_db_and_template_times_add_up(make_app: AppFactory) -> None:
    client = make_app().test_client()
    started = time.perf_counter()
    response = client.get(f"/books?limit={AUTHORS}")
    elapsed_ms = (time.perf_counter() - started) * 1000
    timing = metrics(response.headers["Server-Timing"])
    app_ms, db_ms = float(timing["app"]["dur"]), float(timing["db"]["dur"])
    tpl_ms = float(timing["tpl"]["dur"])
    assert timing["tpl"]["desc"] == "1 template"
    assert 0 < db_ms and 0 < tpl_ms
    # the template's lazy loads count in db, not in tpl: the parts do not overlap
    assert db_ms + tpl_ms <= app_ms <= elapsed_ms


def test_flask_caching_hits_and_misses(make_app: AppFactory) -> None:
    client = make_app().test_client()
    first = metrics(client.get("/cached").headers["Server-Timing"])
    assert first["cache-miss"]["desc"] == "1 miss" and "cache-hit" not in first
    assert first["cache"]["desc"] == "1 read"
    second = metrics(client.get("/cached").headers["Server-Timing"])
    assert second["cache-hit"]["desc"] == "1 hit" and "cache-miss" not in second
    assert "tpl" not in second  # no template rendered, none reported


@pytest.mark.parametrize(("value", "waited"), [
    ("t={:.3f}", True),          # nginx: proxy_set_header X-Request-Start "t=${msec}"
    ("{:.0f}000", True),         # Heroku: milliseconds
    ("t={:.0f}000000", True),    # microseconds
    ("garbage", False),
    ("t=1", False),              # 1970: not a time this request started
])
def test_queue_time_from_the_front_server(value: str, waited: bool) -> None:
    app = create_app("sqlite://")
    accepted = time.time() - 0.25
    if "000" in value:
        accepted = int(accepted)  # the integer forms: whole seconds, then scaled
    header = value.format(accepted)
    timing = metrics(app.test_client().get("/plain", headers={"X-Request-Start": header})
                     .headers["Server-Timing"])
    if waited:
        assert 249 <= float(timing["queue"]["dur"]) < 2000  # t= rounds to the ms
    else:
        assert "queue" not in timing


def test_off_by_default_and_then_silent(tmp_path: object) -> None:
    app = Flask(__name__)
    ServerTiming(app)
    app.get("/")(lambda: "hi")
    assert "Server-Timing" not in app.test_client().get("/").headers


def test_on_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWARMDECK_SERVER_TIMING", "1")
    app = Flask(__name__)
    ServerTiming(app)
    app.get("/")(lambda: "hi")
    timing = metrics(app.test_client().get("/").headers["Server-Timing"])
    assert set(timing) == {"app", "db"} and timing["db"]["desc"] == "0 queries"


def test_plain_sqlalchemy_engines_are_timed_too(tmp_path: object) -> None:
    """No Flask-SQLAlchemy: an engine the app made itself."""
    engine = create_engine("sqlite://")
    app = Flask(__name__)
    app.config["SWARMDECK_SERVER_TIMING"] = True
    ServerTiming().init_app(app)

    @app.get("/")
    def index() -> str:
        with engine.connect() as connection:
            for _ in range(3):
                connection.execute(text("SELECT 1"))
        return "ok"

    timing = metrics(app.test_client().get("/").headers["Server-Timing"])
    engine.dispose()
    assert timing["db"]["desc"] == "3 queries"
    assert timing["sql-repeat"]["desc"].startswith("3x ")


def test_statements_outside_requests_are_not_counted(make_app: AppFactory) -> None:
    app = make_app()
    with app.app_context():  # a CLI command, a start-up query: no request
        app.extensions["sqlalchemy"].session.execute(text("SELECT 1"))
    timing = metrics(app.test_client().get("/plain").headers["Server-Timing"])
    assert timing["db"]["desc"] == "0 queries"


def test_fingerprints_only_when_statement_text_is_off(make_app: AppFactory) -> None:
    app = make_app(SWARMDECK_SERVER_TIMING_SQL_TEXT=False)
    timing = metrics(app.test_client().get("/books?limit=4").headers["Server-Timing"])
    assert timing["sql-repeat"]["desc"].split(" ")[0] == "4x"
    assert len(timing["sql-repeat"]["desc"].split(" ")) == 2
    assert "SELECT" not in app.test_client().get("/books?limit=4").headers["Server-Timing"]


def test_an_existing_server_timing_header_is_kept() -> None:
    app = create_app("sqlite://")

    @app.get("/edge")
    def edge() -> tuple[str, int, dict[str, str]]:
        return "x", 200, {"Server-Timing": 'edge;desc="HIT"'}

    value = app.test_client().get("/edge").headers["Server-Timing"]
    assert value.startswith('edge;desc="HIT", app;dur=')


def test_the_extension_imports_neither_locust_nor_gevent() -> None:
    """It runs inside the app server: ``import swarmdeck.flask`` must not bring the load
    generator (or gevent's monkey-patching) with it."""
    code = ("import sys, swarmdeck.flask; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('locust', 'gevent', 'zmq', 'numpy', 'hdrh') or m.startswith('swarmdeck.engine')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ}).stdout
    assert out.strip() == "[]"
