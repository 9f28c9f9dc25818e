"""Fixtures in the flaskr style: ``app``, ``client``, ``runner``, plus logged-in helpers.

The database is seeded once per session at scale 1 (a SQLite file) and copied for each test,
so each test starts from the same data and may write freely.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from shopfront import create_app
from shopfront.extensions import db
from shopfront.seed import init_db

SECRET = "test-secret-key-that-is-long-enough-0123456789"
SESSION_USER = ("loadtest.user@example.com", "SuperSecurePass123!")
API_USER = ("api.loadtest@example.com", "StrongPassword456!")
ADMIN_USER = ("admin.loadtest@example.com", "AdminPass789!")
ADDRESS = {"full_name": "Load Test User", "line1": "123 Testing Lane", "city": "Austin",
           "state": "TX", "postal_code": "78701", "country": "US"}

MakeApp = Callable[..., Flask]


def _config(db_uri: str, tmp: Path, profile: str, **overrides: Any) -> dict[str, Any]:
    return {
        "TESTING": True, "SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": db_uri,
        "UPLOAD_FOLDER": str(tmp / "uploads"), "SHOPFRONT_PROFILE": profile,
        "CACHE_TYPE": "SimpleCache", **overrides,
    }


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("seed")
    path = tmp / "seeded.db"
    app = create_app(_config(f"sqlite:///{path}", tmp, "naive"))
    with app.app_context():
        init_db(scale=1)
        db.engine.dispose()
    return path


@pytest.fixture
def make_app(seeded_db: Path, tmp_path: Path) -> MakeApp:
    """Build an app on a private copy of the seeded database: ``make_app(profile, **config)``."""

    def make(profile: str = "tuned", **overrides: Any) -> Flask:
        path = tmp_path / f"{profile}.db"
        if not path.exists():
            shutil.copy(seeded_db, path)
        return create_app(_config(f"sqlite:///{path}", tmp_path, profile, **overrides))

    return make


@pytest.fixture(params=["naive", "tuned"])
def profile(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def app(make_app: MakeApp) -> Flask:
    return make_app("tuned")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The token exactly as a browser (or the guide's script) finds it in the page."""
    page = client.get(path)
    match = CSRF_INPUT.search(page.get_data(as_text=True))
    assert match, f"no csrf_token input on {path}"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str) -> Any:
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(client)})


def api_token(client: FlaskClient, email: str = API_USER[0],
              password: str = API_USER[1]) -> str:
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_data(as_text=True)
    return str(response.json["access_token"])


@pytest.fixture
def user_client(client: FlaskClient) -> FlaskClient:
    """A client logged in (session cookie) as the guide's ordinary user."""
    assert login(client, *SESSION_USER).status_code == 302
    return client


@pytest.fixture
def admin_client(client: FlaskClient) -> FlaskClient:
    assert login(client, *ADMIN_USER).status_code == 302
    return client


@pytest.fixture
def auth_headers(client: FlaskClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(client)}"}


@pytest.fixture
def uploads(app: Flask) -> Iterator[Path]:
    yield Path(app.config["UPLOAD_FOLDER"])
