"""Dashboard fixtures: a temp SQLite store filled through the store API, the app over it,
its test client, and a checker of API answers against the app's OpenAPI document; for the
platform's tests, a store of its own with one user per role (``people``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, update
from tests.web.platform import People, add_people
from tests.web.seeding import XSS_IMG, XSS_NAME, XSS_REASON, seed_run

from swarmdeck.store import Store, models
from swarmdeck.web import close_app, create_app
from swarmdeck.web.openapi import openapi_document

HOST_A = "http://127.0.0.1:5000"
HOST_B = "http://shop.internal:8000"
HOST_C = "http://filler:1"
FILLER_RUNS = 30
THRESHOLD_FAIL = {"expr": "p95 < 10ms", "endpoint": None, "observed": 31.5,
                  "observed_text": "31.5 ms", "passed": False, "abort": False}


@dataclass(frozen=True)
class Seeded:
    url: str
    ids: dict[str, int]


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """Runs of two hosts with tags and statuses, one full of XSS payloads, one still
    running, and filler runs of a third host for pagination."""
    folder: Path = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{folder / 'runs.db'}"
    day = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    ids: dict[str, int] = {}
    with Store.open(url) as store:
        ids["old"] = seed_run(store, started_at=day, host=HOST_A, seed=1)
        ids["dev"] = seed_run(store, started_at=day + timedelta(days=1), host=HOST_A,
                              tags={"branch": "dev"}, status="failed", base_ms=30, seed=2,
                              failure_every=3, verdict={"thresholds": [THRESHOLD_FAIL]})
        ids["other"] = seed_run(store, started_at=day + timedelta(days=2), host=HOST_B,
                                seed=3)
        ids["xss"] = seed_run(store, started_at=day + timedelta(days=3), host=HOST_A,
                              tags={XSS_IMG: XSS_NAME, "branch": "main"}, seed=4,
                              endpoints=(("GET", XSS_NAME), ("POST", XSS_IMG), ("GET", "/")),
                              failure_every=2, reason=XSS_REASON)
        for i in range(FILLER_RUNS):
            seed_run(store, started_at=day - timedelta(days=30 - i), host=HOST_C, seconds=2,
                     endpoints=(("GET", "/"),), seed=100 + i)
        store.set_baseline("release-1", ids["old"])
        ids["running"] = seed_run(store, started_at=datetime.now(UTC) - timedelta(seconds=30),
                                  host=HOST_A, status="running", seed=5)
    # alive for the whole session: a heartbeat a day ahead is never stale, however long the
    # tests before a page take (opening the store marks a run silent for 30 s crashed)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(update(models.runs).where(models.runs.c.id == ids["running"])
                           .values(heartbeat_at=datetime.now(UTC) + timedelta(days=1)))
    engine.dispose()
    return Seeded(url, ids)


@pytest.fixture
def app(seeded: Seeded) -> Iterator[Flask]:
    app = create_app({"SWARMDECK_DB": seeded.url, "TESTING": True})
    yield app
    close_app(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def people(tmp_path: Path) -> People:
    """A platform store of the test's own with an admin, a tester and a viewer."""
    return add_people(f"sqlite:///{tmp_path / 'platform.db'}")


class ApiSchema:
    """Checks an API answer against the OpenAPI document's schema for its path and status."""

    def __init__(self) -> None:
        self.document = openapi_document()

    def schema(self, path: str, status: int) -> dict[str, Any]:
        responses = self.document["paths"][path]["get"]["responses"]
        content = responses[str(status)]["content"]["application/json"]
        return {**content["schema"], "components": self.document["components"]}

    def check(self, path: str, response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.get_data(as_text=True)[:500]
        assert response.mimetype == "application/json"
        body = response.get_json()
        jsonschema.Draft202012Validator(self.schema(path, status)).validate(body)
        return body


@pytest.fixture(scope="session")
def api_schema() -> ApiSchema:
    return ApiSchema()
