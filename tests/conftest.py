"""Shared fixtures: real servers (PostgreSQL, Redis) when present, skipped visibly when not.

Under CI (``CI=true``) a missing server is a failure, never a skip.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
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
