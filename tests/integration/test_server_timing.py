"""Server-Timing end to end: shopfront's naive and tuned profiles under real Gunicorn with
the extension on, loaded by `swarmdeck run`: the JSON's endpoints[].server holds the query
counts SQLAlchemy ran, naive shows n-plus-one on / and /blog and tuned does not, and the
comparison puts "GET /blog: 30 -> 2 queries" side by side. The naive run goes over two
workers (whose timings must merge exactly), the tuned one in-process: each path once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from shopfront import create_app
from shopfront.server import GunicornServer

from .conftest import SECRET, seed_database

pytestmark = pytest.mark.integration

HERE = Path(__file__).parent
ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}


@pytest.fixture(scope="module")
def shops(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Both profiles on copies of one seeded database, the extension on."""
    tmp = tmp_path_factory.mktemp("server-timing")
    env = seed_database(f"sqlite:///{tmp / 'naive.db'}", tmp, "naive")
    shutil.copy(tmp / "naive.db", tmp / "tuned.db")
    with GunicornServer({**env, "SWARMDECK_SERVER_TIMING": "1"}, workers=2) as naive, \
            GunicornServer({**env, "SWARMDECK_SERVER_TIMING": "1", "SHOPFRONT_PROFILE": "tuned",
                            "DATABASE_URL": f"sqlite:///{tmp / 'tuned.db'}"},
                           workers=2) as tuned:
        yield {"tmp": tmp, "naive": naive, "tuned": tuned}


def statements(database: Path, profile: str, path: str) -> int:
    """What SQLAlchemy runs for one request of ``path`` (the second: the tuned profile
    caches the first), counted by a listener of our own on the same data."""
    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                      "SHOPFRONT_PROFILE": profile, "UPLOAD_FOLDER": str(database.parent)})
    client = app.test_client()
    client.get(path)
    count = [0]

    def counter(*_: Any) -> None:
        count[0] += 1

    event.listen(Engine, "after_cursor_execute", counter)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(Engine, "after_cursor_execute", counter)
    return count[0]


def swarmdeck_run(tmp: Path, host: str, profile: str, *args: str) -> dict[str, Any]:
    summary = tmp / f"{profile}.json"
    result = subprocess.run(
        [sys.executable, "-m", "swarmdeck", "run", "-f",
         str(HERE / "server_timing_locustfile.py"), "--host", host, "-u", "6", "-r", "6",
         "-t", "7s", "--db", f"sqlite:///{tmp / 'runs.db'}", "--tag", f"profile={profile}",
         "--json", str(summary), *args],
        check=False, cwd=tmp, text=True, capture_output=True, timeout=120, env=ENV)
    assert result.returncode in (0, 1), result.stdout[-3000:] + result.stderr[-3000:]
    data: dict[str, Any] = json.loads(summary.read_text())
    data["_stdout"] = result.stdout
    return data


def n_plus_one(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["endpoint"]: f for f in summary["findings"] if f["code"] == "n-plus-one"}


@pytest.fixture(scope="module")
def naive(shops: dict[str, Any]) -> dict[str, Any]:
    """The naive profile's run, over two local workers: both tests read it."""
    return swarmdeck_run(shops["tmp"], shops["naive"].url, "naive", "--workers", "2")


def test_naive_shows_its_n_plus_ones_and_tuned_does_not(shops: dict[str, Any],
                                                        naive: dict[str, Any]) -> None:
    tmp: Path = shops["tmp"]
    tuned = swarmdeck_run(tmp, shops["tuned"].url, "tuned", "--compare-to",
                          str(naive["run_id"]))
    for summary, profile in ((naive, "naive"), (tuned, "tuned")):
        blog = next(e for e in summary["endpoints"] if e["name"] == "GET /blog")
        server = blog["server"]
        assert server is not None and server["coverage"] == 1.0, blog
        assert server["server_metric"] == "app" and server["rest_mean_ms"] > 0
        # the queries the server reported are the statements SQLAlchemy runs
        assert server["queries"]["p50"] == server["queries"]["max"] == statements(
            tmp / f"{profile}.db", profile, "/blog")
    found = n_plus_one(naive)
    assert {"GET /", "GET /blog"} <= set(found), naive["findings"]
    blog_finding = found["GET /blog"]
    assert blog_finding["evidence"]["table"] == "comments"
    assert "FROM comments WHERE" in blog_finding["evidence"]["statement"]
    assert "selectinload" in blog_finding["fix"]
    assert n_plus_one(tuned) == {}, tuned["findings"]
    assert "Where the time went" in naive["_stdout"] and "n-plus-one" in naive["_stdout"]
    # the comparison: the same page, its queries per request in each run
    compared = {(x["name"], x["metric"]): x for x in tuned["comparison"]["server"]}
    blog_queries = compared[("GET /blog", "queries")]
    naive_count = statements(tmp / "naive.db", "naive", "/blog")
    assert (blog_queries["base"], blog_queries["candidate"]) == (naive_count, 2)
    assert f"GET /blog: {naive_count} → 2 queries" in tuned["_stdout"]


def test_two_workers_merge_the_server_s_timings_exactly(shops: dict[str, Any],
                                                        naive: dict[str, Any]) -> None:
    tmp: Path = shops["tmp"]
    summary = naive
    assert len(summary["workers"]) == 2 and summary["status"] in ("passed", "failed")
    blog = next(e for e in summary["endpoints"] if e["name"] == "GET /blog")
    server = blog["server"]
    # every response of both workers carried the header, and each said the same count
    assert server["responses"] == blog["requests"] - blog["failures"]
    assert server["coverage"] == 1.0
    assert server["queries"]["p50"] == server["queries"]["max"] == statements(
        tmp / "naive.db", "naive", "/blog")
    assert "GET /blog" in n_plus_one(summary)
