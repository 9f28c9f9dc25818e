"""`slow-query` names the statement as PostgreSQL counted it: a Flask app with the
Server-Timing extension under real Gunicorn, on a PostgreSQL with pg_stat_statements,
loaded by `swarmdeck run --monitor postgresql://...`. The finding carries the statement's
text from pg_stat_statements, its calls during the run (at least the requests that ran it)
and its total time, and the fix names it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from tests.conftest import PrivatePostgres, _free_port

from .test_run import swarmdeck

pytestmark = pytest.mark.integration

HERE = Path(__file__).parent


@pytest.fixture
def statements_db(private_postgres: PrivatePostgres) -> str:
    if not private_postgres.has_statements:
        pytest.skip("this PostgreSQL has no pg_stat_statements module")
    url = private_postgres.new_database()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE EXTENSION pg_stat_statements"))
            conn.execute(text("CREATE TABLE orders (id serial PRIMARY KEY, total int)"))
            conn.execute(text("INSERT INTO orders (total) SELECT g % 1000 "
                              "FROM generate_series(1, 2000) g"))
    finally:
        engine.dispose()
    return url


@pytest.fixture
def slow_app(statements_db: str, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--chdir", str(HERE), "slow_query_app:create_app()"],
        env={**os.environ, "SLOW_QUERY_DB": statements_db}, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/report", timeout=5) as answer:  # nosec B310
                    assert "app;dur=" in answer.headers.get("Server-Timing", "")
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, \
                    (tmp_path / "gunicorn.log").read_text()[-2000:]
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_slow_query_names_the_statement_pg_stat_statements_counted(
        slow_app: str, statements_db: str, tmp_path: Path) -> None:
    locustfile = tmp_path / "report_locustfile.py"
    locustfile.write_text("from locust import HttpUser, constant, task\n\n\n"
                          "class Reader(HttpUser):\n"
                          "    wait_time = constant(0.05)\n\n"
                          "    @task\n"
                          "    def report(self):\n"
                          "        self.client.get('/report')\n")
    monitor = statements_db.replace("postgresql+psycopg://", "postgresql://")
    result = swarmdeck("run", "-f", str(locustfile), "--host", slow_app, "-u", "4", "-r", "4",
                       "-t", "5s", "--db", f"sqlite:///{tmp_path / 'runs.db'}", "--json",
                       "summary.json", "--monitor", monitor, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    requests = summary["endpoints"][0]["requests"]
    slow = [f for f in summary["findings"] if f["code"] == "slow-query"]
    assert [f["endpoint"] for f in slow] == ["GET /report"], summary["findings"]
    evidence = slow[0]["evidence"]
    assert "pg_sleep" in evidence["pg_query"] and "$1" in evidence["pg_query"]
    # every request ran it once; the warm-up request and the monitor's window may add a few
    assert requests <= evidence["pg_calls"] <= requests + 5
    assert evidence["pg_mean_ms"] >= 30
    assert evidence["pg_query"] in slow[0]["fix"]
    assert "times during the run" in slow[0]["message"]
