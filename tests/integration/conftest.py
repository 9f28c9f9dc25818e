"""Integration fixtures: shopfront seeded and served by real Gunicorn, loaded by real Locust."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from shopfront import create_app
from shopfront.extensions import db
from shopfront.seed import init_db
from shopfront.server import GunicornServer

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
SECRET = "integration-secret-key-0123456789abcdef"


def seed_database(url: str, tmp: Path, profile: str = "tuned", scale: int = 1) -> dict[str, str]:
    """Seed a database and return the environment Gunicorn needs to serve it."""
    env = {"SECRET_KEY": SECRET, "DATABASE_URL": url, "UPLOAD_FOLDER": str(tmp / "uploads"),
           "SHOPFRONT_PROFILE": profile}
    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url,
                      "UPLOAD_FOLDER": env["UPLOAD_FOLDER"], "SHOPFRONT_PROFILE": profile})
    with app.app_context():
        init_db(scale)
        db.engine.dispose()
    return env


@dataclass
class LocustResult:
    returncode: int
    stats: list[dict[str, object]]
    failures: list[dict[str, str]] = field(default_factory=list)
    output: str = ""

    def requests(self, name: str) -> int:
        return sum(int(s["num_requests"]) for s in self.stats if s["name"] == name)  # type: ignore[call-overload]

    @property
    def total_requests(self) -> int:
        return sum(int(s["num_requests"]) for s in self.stats)  # type: ignore[call-overload]

    @property
    def total_failures(self) -> int:
        return sum(int(s["num_failures"]) for s in self.stats)  # type: ignore[call-overload]


def run_locust(locustfile: Path, host: str, tmp: Path, *, users: int = 10,
               run_time: str = "6s", extra_env: Mapping[str, str] | None = None) -> LocustResult:
    """``locust --headless`` exactly as a user runs it; bounded in users and time."""
    prefix = tmp / f"locust-{locustfile.stem}"
    completed = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", host,
         "-u", str(users), "-r", str(users), "-t", run_time, "--stop-timeout", "5",
         "--json", "--csv", str(prefix), "--loglevel", "WARNING"],
        capture_output=True, text=True, timeout=120, cwd=locustfile.parent, check=False,
        env={**os.environ, **(extra_env or {})},
    )
    try:
        stats = json.loads(completed.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"locust printed no JSON (exit {completed.returncode}):\n"
                    f"{completed.stdout[-2000:]}\n{completed.stderr[-3000:]}")
    failures_csv = Path(f"{prefix}_failures.csv")
    failures = []
    if failures_csv.exists():
        with failures_csv.open(newline="") as fh:
            failures = list(csv.DictReader(fh))
    return LocustResult(completed.returncode, stats, failures, completed.stderr)


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GunicornServer]:
    """shopfront (scale 1, SQLite, tuned) under real Gunicorn, with an access log to count
    what it served; one for the session (seeding and starting it for each module took some
    3 s). A test counts what the target served during its run (``served_requests()`` before
    and after), and ends every load it starts before it returns."""
    tmp = tmp_path_factory.mktemp("shop")
    env = seed_database(f"sqlite:///{tmp / 'shop.db'}", tmp)
    with GunicornServer(env, workers=2, access_log=tmp / "access.log") as server:
        yield server
