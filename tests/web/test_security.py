"""Security: who may read, the headers, no CORS, CSRF on the only form, and the refusal to
listen beyond this machine without authentication."""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from tests.web.conftest import Seeded

from swarmdeck.web import Auth, close_app, create_app

TOKEN = "t0ken-for-the-tests-0123456789"
USER, PASSWORD = "viewer", "correct horse battery"


@pytest.fixture
def token_app(seeded: Seeded) -> Iterator[Flask]:
    app = create_app({"SWARMDECK_DB": seeded.url, "AUTH": Auth(token=TOKEN)})
    yield app
    close_app(app)


@pytest.fixture
def basic_app(seeded: Seeded) -> Iterator[Flask]:
    app = create_app({"SWARMDECK_DB": seeded.url, "AUTH": Auth(user=USER, password=PASSWORD)})
    yield app
    close_app(app)


def _basic(user: str, password: str) -> dict[str, str]:
    value = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {value}"}


def test_token_required_for_api_and_pages(token_app: Flask) -> None:
    client = token_app.test_client()
    response = client.get("/api/runs")
    assert response.status_code == 401
    assert response.get_json()["error"].startswith("authentication required")
    assert "Bearer" in response.headers["WWW-Authenticate"]
    response = client.get("/api/runs", headers={"Authorization": "Bearer wrong-token-xxxxxxx"})
    assert response.status_code == 401
    response = client.get("/runs/1")
    assert response.status_code == 302 and "/login?next=/runs/1" in response.headers["Location"]
    assert client.get("/api/runs", headers={"Authorization": f"Bearer {TOKEN}"}
                      ).status_code == 200
    assert client.get("/", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    for public in ("/static/dashboard.css", "/assets/report/report.css"):  # the login page's
        response = client.get(public)
        assert response.status_code == 200
        response.close()


def test_login_form_needs_csrf_and_the_token(token_app: Flask) -> None:
    client = token_app.test_client()
    assert client.post("/login", data={"token": TOKEN}).status_code == 400  # no CSRF token
    html = client.get("/login?next=/trends").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert csrf is not None
    wrong = client.post("/login?next=/trends", data={"token": "nope", "csrf_token": csrf[1]})
    assert wrong.status_code == 401 and "not the dashboard" in wrong.get_data(as_text=True)
    assert client.get("/").status_code == 302
    right = client.post("/login?next=/trends", data={"token": TOKEN, "csrf_token": csrf[1]})
    assert right.status_code == 302 and right.headers["Location"] == "/trends"
    assert client.get("/").status_code == 200
    assert client.get("/api/runs").status_code == 200  # the session cookie serves the API too
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_login_does_not_redirect_off_site(token_app: Flask) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        client = token_app.test_client()
        html = client.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        assert csrf is not None
        response = client.post("/login", query_string={"next": target},
                               data={"token": TOKEN, "csrf_token": csrf[1]})
        assert response.headers["Location"] == "/"


def test_basic_auth(basic_app: Flask) -> None:
    client = basic_app.test_client()
    response = client.get("/")
    assert response.status_code == 401 and "Basic" in response.headers["WWW-Authenticate"]
    assert client.get("/api/runs", headers=_basic(USER, "wrong")).status_code == 401
    assert client.get("/api/runs", headers=_basic("root", PASSWORD)).status_code == 401
    assert client.get("/api/runs", headers=_basic(USER, PASSWORD)).status_code == 200
    assert client.get("/", headers=_basic(USER, PASSWORD)).status_code == 200


def test_security_headers_and_no_cors(client: FlaskClient) -> None:
    for path in ("/", "/runs/1", "/api/runs", "/api/runs/99999", "/static/dashboard.js"):
        response = client.get(path, headers={"Origin": "https://evil.example"})
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert not [h for h, _ in headers.items() if h.lower().startswith("access-control-")]
        response.close()
    assert client.get("/api/runs").headers["Cache-Control"] == "no-store"


def test_no_traceback_in_errors(app: Flask) -> None:
    @app.get("/api/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    response = app.test_client().get("/api/boom")
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal error (the server log has the details)"}
    assert not app.debug


def _serve(args: list[str], env: dict[str, str] | None = None,
           timeout: float = 30) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SWARMDECK_DASHBOARD")}
    return subprocess.run([sys.executable, "-m", "swarmdeck", "serve", *args],
                          env={**clean, **(env or {})}, capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_serve_refuses_a_public_bind_without_auth(seeded: Seeded) -> None:
    done = _serve(["--db", seeded.url, "--bind", "0.0.0.0:0"])
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "without authentication" in lines[0]
    assert "SWARMDECK_DASHBOARD_TOKEN" in lines[0]
    done = _serve(["--db", seeded.url, "--bind", "0.0.0.0:0"],
                  {"SWARMDECK_DASHBOARD_TOKEN": "short"})
    assert done.returncode == 2 and "too short" in done.stderr
    done = _serve(["--db", seeded.url, "--bind", "0.0.0.0:0"],
                  {"SWARMDECK_DASHBOARD_USER": "admin"})
    assert done.returncode == 2 and "SWARMDECK_DASHBOARD_PASSWORD" in done.stderr


@pytest.mark.parametrize("bind", ["8089", "127.0.0.1:http", "127.0.0.1:70000",
                                  "example.com:80"])
def test_serve_bad_bind_is_exit_2(seeded: Seeded, bind: str) -> None:
    done = _serve(["--db", seeded.url, "--bind", bind])
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "--bind" in done.stderr


def test_serve_port_taken_is_exit_3(seeded: Seeded) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _serve(["--db", seeded.url, "--bind", f"127.0.0.1:{port}"])
    assert done.returncode == 3
    assert len(done.stderr.strip().splitlines()) == 1 and "could not listen" in done.stderr
