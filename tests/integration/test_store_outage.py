"""The results database misbehaving under a real run (issue 13): real Locust loading
shopfront under real Gunicorn, the store a PostgreSQL of the test's own that is stopped and
started again (tests/conftest.py ``private_postgres``), or a SQLite file swapped for a
folder. Nothing measured is lost: the stored totals equal the requests the target served
(its access log), and the run says how long the store was away."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from shopfront.server import GunicornServer

from .test_run import ENV, swarmdeck

if TYPE_CHECKING:
    from tests.conftest import PrivatePostgres

pytestmark = pytest.mark.integration

# steady load, no redirects: one request Locust counts is one request Gunicorn serves
LOCUSTFILE = '''
from locust import HttpUser, constant, task


class Reader(HttpUser):
    wait_time = constant(0.05)

    @task
    def blog(self):
        self.client.get("/blog")
'''


@pytest.fixture
def script(tmp_path: Path) -> str:
    path = tmp_path / "reader.py"
    path.write_text(LOCUSTFILE)
    return str(path)


def run_with_outage(shop: GunicornServer, tmp: Path, script: str, db: str, seconds: int,
                    away: Callable[[], None], back: Callable[[], None] | None,
                    away_for_s: float, *extra: str) -> tuple[int, str, str, int]:
    """A run of ``seconds`` whose store goes ``away`` once the load flows, and comes
    ``back`` after ``away_for_s`` (or not at all); (exit code, stdout, stderr, served)."""
    served_before = shop.served_requests()
    process = subprocess.Popen(
        [sys.executable, "-m", "swarmdeck", "run", "-f", script, "--host", shop.url,
         "-u", "5", "-r", "5", "-t", f"{seconds}s", "--db", db, "--json", "summary.json",
         "-q", "--store-grace", "2s", *extra], cwd=tmp, text=True, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=ENV)
    try:
        deadline = time.monotonic() + 30
        while shop.served_requests() - served_before < 50:  # the load flows, flushes too
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"no load (exit {process.poll()}): {process.communicate()}")
            time.sleep(0.2)
        time.sleep(1.0)
        away()
        time.sleep(away_for_s)
        if back is not None:
            back()
        out, err = process.communicate(timeout=seconds + 60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, out, err, shop.served_requests() - served_before


def journal_of(err: str) -> Path:
    line = next(x for x in err.splitlines() if "results kept in" in x)
    path = line.split("results kept in ", 1)[1].split(";", 1)[0]
    assert line == (f"swarmdeck: results kept in {path}; run `swarmdeck import {path}` "
                    "when the database is back")
    return Path(path)


def assert_outage_passed(tmp: Path, code: int, out: str, err: str, served: int,
                         away_for_s: float) -> None:
    assert code == 0, out[-2000:] + err[-3000:]
    summary = json.loads((tmp / "summary.json").read_text())
    assert summary["status"] == "passed"
    assert summary["totals"]["requests"] == served > 0, "stored total differs from served"
    assert summary["totals"]["failures"] == 0
    (outage,) = summary["store_outages"]
    assert outage["ended_at"] is not None and outage["failed_writes"] >= 1
    assert away_for_s - 1 <= outage["seconds"] <= away_for_s + 8  # retries back off to 5 s
    assert any("did not answer for" in w for w in summary["warnings"])
    assert not list(tmp.rglob("*.journal")), "the journal stays only while needed"


def import_whole(tmp: Path, db: str, journal: Path, served: int) -> dict[str, object]:
    """`swarmdeck import` makes the run whole; importing again changes nothing."""
    copy = tmp / "copy.journal"
    shutil.copy(journal, copy)
    imported = swarmdeck("import", str(journal), "--db", db, cwd=tmp)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "the run's end recorded" in imported.stdout and "deleted" in imported.stdout
    assert not journal.exists()
    run_id = json.loads(swarmdeck("runs", "--db", db, "--json", cwd=tmp).stdout)[0]["id"]
    shown = swarmdeck("show", str(run_id), "--db", db, "--json", cwd=tmp)
    summary: dict[str, object] = json.loads(shown.stdout)
    totals = summary["totals"]
    assert isinstance(totals, dict) and totals["requests"] == served > 0
    assert summary["status"] == "degraded" and summary["ended_at"] is not None
    (outage,) = summary["store_outages"]  # type: ignore[misc]
    assert outage["ended_at"] is None  # still away when the run ended
    again = swarmdeck("import", str(copy), "--db", db, cwd=tmp)
    assert again.returncode == 0, again.stderr
    assert "0 batches written" in again.stdout
    assert json.loads(swarmdeck("show", str(run_id), "--db", db, "--json",
                                cwd=tmp).stdout) == summary
    return summary


# -- PostgreSQL, stopped and started again -----------------------------------------------------

def test_postgres_restarted_mid_run_loses_nothing(
        shop: GunicornServer, tmp_path: Path, script: str,
        private_postgres: PrivatePostgres) -> None:
    db = private_postgres.new_database()
    code, out, err, served = run_with_outage(shop, tmp_path, script, db, 12,
                                             private_postgres.stop, private_postgres.start, 4.0)
    assert_outage_passed(tmp_path, code, out, err, served, 4.0)


def test_postgres_away_at_the_end_exits_4_and_import_makes_the_run_whole(
        shop: GunicornServer, tmp_path: Path, script: str,
        private_postgres: PrivatePostgres) -> None:
    db = private_postgres.new_database()
    try:
        code, out, err, served = run_with_outage(shop, tmp_path, script, db, 7,
                                                 private_postgres.stop, None, 0.0)
        assert code == 4, out + err
        assert "degraded" in out and "requests" in out
        journal = journal_of(err)
        assert journal.is_file() and journal.parent == tmp_path / ".swarmdeck" / "journal"
        assert not (tmp_path / "summary.json").exists()  # the outputs render from the store
        still_away = swarmdeck("import", str(journal), "--db", db, cwd=tmp_path)
        assert still_away.returncode == 3 and journal.exists(), still_away.stderr
        assert len(still_away.stderr.strip().splitlines()) == 1
    finally:
        private_postgres.start()
    import_whole(tmp_path, db, journal, served)


def test_an_unreachable_store_at_the_start_refuses_before_any_load(
        shop: GunicornServer, tmp_path: Path, script: str) -> None:
    served_before = shop.served_requests()
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    db = f"postgresql+psycopg://postgres@127.0.0.1:{port}/nothing"
    result = swarmdeck("run", "-f", script, "--host", shop.url, "-u", "2", "-t", "3s",
                       "--db", db, cwd=tmp_path)
    assert result.returncode == 3
    assert result.stderr.startswith("swarmdeck: error: cannot open the results database")
    assert len(result.stderr.strip().splitlines()) == 1
    assert shop.served_requests() == served_before
    assert not list(tmp_path.rglob("*.journal"))


# -- SQLite: the file swapped for a folder (as root too: no permission to take away) ------------

class Swap:
    def __init__(self, db: Path) -> None:
        self.db, self.aside = db, db.with_suffix(".away")

    def away(self) -> None:
        os.rename(self.db, self.aside)
        self.db.mkdir()

    def back(self) -> None:
        self.db.rmdir()
        os.rename(self.aside, self.db)


def test_sqlite_unwritable_mid_run_loses_nothing(shop: GunicornServer, tmp_path: Path,
                                                 script: str) -> None:
    swap = Swap(tmp_path / "runs.db")
    code, out, err, served = run_with_outage(shop, tmp_path, script, f"sqlite:///{swap.db}",
                                             10, swap.away, swap.back, 3.0)
    assert_outage_passed(tmp_path, code, out, err, served, 3.0)


def test_sqlite_unwritable_at_the_end_exits_4_and_import_makes_the_run_whole(
        shop: GunicornServer, tmp_path: Path, script: str) -> None:
    swap = Swap(tmp_path / "runs.db")
    db = f"sqlite:///{swap.db}"
    code, out, err, served = run_with_outage(shop, tmp_path, script, db, 6, swap.away, None,
                                             0.0)
    assert code == 4, out + err
    journal = journal_of(err)
    assert journal.parent == tmp_path / "journal"  # beside the database
    swap.back()
    import_whole(tmp_path, db, journal, served)
