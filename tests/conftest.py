"""Shared fixtures: real servers (PostgreSQL, Redis) when present, skipped visibly when not,
and a private PostgreSQL cluster that tests may stop and start.

Under CI (``CI=true``) a missing server is a failure, never a skip.

gevent patches the standard library first thing, as Locust does when it is imported: a
test module that imports Locust after another imported ssl would otherwise break the
patching (and gevent's warning is an error here).
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_ADMIN_URL = os.environ.get(
    "SWARMDECK_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("SWARMDECK_TEST_REDIS", "redis://127.0.0.1:6379/0")


def require_server(what: str, url: str) -> None:
    """Skip (or fail under CI) when nothing listens at the server's address."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        message = f"{what} not reachable at {host}:{port} ({exc}); start it or set the URL"
        if IN_CI:
            pytest.fail(f"CI=true requires {what}: {message}")
        pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session, dropped afterwards."""
    require_server("PostgreSQL", POSTGRES_ADMIN_URL)
    from sqlalchemy import create_engine, text

    name = f"swarmdeck_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def redis_url() -> Iterator[str]:
    require_server("Redis", REDIS_URL)
    yield REDIS_URL


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- a PostgreSQL of the test's own, to stop and start ---------------------------------------

PG_BINARIES = sorted(Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")
                     if (Path(p) / "initdb").exists())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MonitoredShop:
    """shopfront under real Gunicorn (2 sync workers, naive profile) sending its StatsD
    metrics to ``statsd_port`` (nothing listens there until a test does)."""

    server: Any
    statsd_port: int

    @property
    def url(self) -> str:
        return str(self.server.url)

    @property
    def pid(self) -> int:
        return int(self.server.process.pid)


@pytest.fixture(scope="session")
def monitored_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MonitoredShop]:
    """One Gunicorn for every monitor test (tests/monitors, tests/integration)."""
    from tests.integration.conftest import seed_database

    from shopfront.server import GunicornServer

    tmp = tmp_path_factory.mktemp("monitored-shop")
    env = seed_database(f"sqlite:///{tmp / 'shop.db'}", tmp, profile="naive")
    port = free_udp_port()
    env["GUNICORN_STATSD_HOST"] = f"127.0.0.1:{port}"
    with GunicornServer(env, workers=2) as server:
        yield MonitoredShop(server, port)
class PrivatePostgres:
    """A PostgreSQL cluster of this test session alone (``initdb``, ``pg_ctl``: the machine's
    binaries), in a private folder on a free port, so that stopping it disturbs nobody.
    As root, it runs as the ``postgres`` user (initdb refuses root)."""

    def __init__(self, bindir: Path, folder: Path, user: str | None) -> None:
        self.bindir = bindir
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.user = user
        self.port = _free_port()
        self.admin_url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                check=False)
        if result.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed: {result.stdout[-2000:]}"
                               f"{result.stderr[-2000:]}{log}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-N",
                  "-E", "UTF8")

    def start(self) -> None:
        """Start it and wait until it accepts connections (no-op when it runs)."""
        if self.running:
            return
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self.data} -c fsync=off")
        if self.has_statements:  # what a postgresql monitor's top queries read
            options += " -c shared_preload_libraries=pg_stat_statements"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                  "-t", "30", "start")

    def stop(self) -> None:
        """Stop it at once (``-m fast``: its clients are disconnected)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")

    @property
    def has_statements(self) -> bool:
        """Whether this PostgreSQL has the pg_stat_statements module to preload."""
        return (self.bindir.parent / "lib" / "pg_stat_statements.so").exists()

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def new_database(self) -> str:
        """The URL of a fresh, empty database in it."""
        from sqlalchemy import create_engine, text

        self.start()
        name = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        return self.admin_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivatePostgres]:
    """One private PostgreSQL cluster for the session (tests stop and start it)."""
    reason = None
    if not PG_BINARIES:
        reason = "no PostgreSQL binaries under /usr/lib/postgresql/*/bin (initdb, pg_ctl)"
    user = None
    if reason is None and os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
            user = "postgres"
        except KeyError:
            reason = "running as root and no `postgres` user to run initdb as"
        if shutil.which("runuser") is None:
            reason = "running as root and no `runuser` to run initdb as the postgres user"
    if reason is not None:
        if IN_CI:
            pytest.fail(f"CI=true requires a private PostgreSQL: {reason}")
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="swarmdeck-pg-"))
    if user is not None:
        shutil.chown(folder, user)
    cluster = PrivatePostgres(PG_BINARIES[-1], folder, user)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        if cluster.running:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
