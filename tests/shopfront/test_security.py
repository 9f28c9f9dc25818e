"""CSRF on every form route, and SQL injection attempts that must stay harmless."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, text
from werkzeug.test import TestResponse

from conftest import ADMIN_USER, API_USER, SESSION_USER, MakeApp, csrf_token, login
from shopfront.extensions import db

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
CSV = b"Invoice ID,Customer\n1001,Acme Corp\n"
IMPORT = {"source": "crm_sync", "customers": [
    {"external_id": "crm_10001", "name": "Acme Corporation", "email": "ops@acme.example",
     "plan": "enterprise"}]}


def _count(app: Flask, table: str) -> int:
    with app.app_context():
        return int(db.session.scalar(text(f"SELECT COUNT(*) FROM {table}")))


def _admin_name(app: Flask) -> str:
    with app.app_context():
        return str(db.session.scalar(text("SELECT name FROM users WHERE email = :e"),
                                     {"e": ADMIN_USER[0]}))


# Each form route: how to send it with a given token (None: no token at all), and the
# database state it would change, to prove a refused request changed nothing.
Send = Callable[[FlaskClient, "str | None"], TestResponse]


def _form(path: str, fields: dict[str, Any]) -> Send:
    def send(client: FlaskClient, token: str | None) -> TestResponse:
        data = dict(fields)
        if "file" in data:
            data["file"] = (io.BytesIO(CSV), "invoices.csv")
        if token is not None:
            data["csrf_token"] = token
        return client.post(path, data=data, content_type="multipart/form-data"
                           if "file" in data else "application/x-www-form-urlencoded")
    return send


def _import(client: FlaskClient, token: str | None) -> TestResponse:
    headers = {} if token is None else {"X-CSRFToken": token}
    return client.post("/api/import/customers", json=IMPORT, headers=headers)


ROUTES: dict[str, tuple[Send, int, Callable[[Flask], Any]]] = {
    # name: (send, status when the token is right, state that must not change without it)
    "login": (_form("/login", {"email": ADMIN_USER[0], "password": ADMIN_USER[1]}), 302,
              lambda app: None),
    "settings": (_form("/account/settings", {"name": "Forged Name"}), 302, _admin_name),
    "logout": (_form("/logout", {}), 302, lambda app: None),
    "upload": (_form("/documents/upload", {"file": True, "document_type": "invoice_batch"}),
               201, lambda app: _count(app, "documents")),
    "import": (_import, 200, lambda app: _count(app, "customers")),
}


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("token", [None, "", "not-a-real-token"])
def test_every_form_route_refuses_a_missing_or_forged_csrf_token(
    app: Flask, admin_client: FlaskClient, route: str, token: str | None
) -> None:
    send, _, state = ROUTES[route]
    before = state(app)

    response = send(admin_client, token)

    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert state(app) == before
    assert admin_client.get("/dashboard").status_code == 200  # still logged in


@pytest.mark.parametrize("route", list(ROUTES))
def test_every_form_route_refuses_a_token_from_another_session(
    app: Flask, admin_client: FlaskClient, route: str
) -> None:
    send, _, state = ROUTES[route]
    attacker = app.test_client()
    assert login(attacker, *SESSION_USER).status_code == 302
    before = state(app)

    response = send(admin_client, csrf_token(attacker))

    assert response.status_code == 400
    assert state(app) == before


@pytest.mark.parametrize("route", list(ROUTES))
def test_every_form_route_accepts_the_token_the_page_offers(
    app: Flask, admin_client: FlaskClient, route: str
) -> None:
    send, status, _ = ROUTES[route]
    # Forms take the hidden input; the JavaScript import client reads the meta tag.
    page = admin_client.get("/dashboard").get_data(as_text=True)
    meta = CSRF_META.search(page)
    assert meta is not None
    token = meta.group(1) if route == "import" else csrf_token(admin_client, "/dashboard")

    response = send(admin_client, token)

    assert response.status_code == status


def test_import_token_may_also_travel_as_x_csrf_token(admin_client: FlaskClient) -> None:
    token = csrf_token(admin_client, "/dashboard")

    response = admin_client.post("/api/import/customers", json=IMPORT,
                                 headers={"X-CSRF-Token": token})

    assert response.status_code == 200


def test_jwt_api_needs_no_csrf_token(client: FlaskClient) -> None:
    """Bearer tokens are not sent automatically by a browser: nothing to forge."""
    response = client.post("/api/auth/login", json={"email": API_USER[0],
                                                    "password": API_USER[1]})

    assert response.status_code == 200


# -- SQL injection ------------------------------------------------------------------------

INJECTIONS = [
    "python' OR '1'='1",
    "python' OR 1=1 --",
    "python'; DROP TABLE products; --",
    "python\" OR \"1\"=\"1",
    "' UNION SELECT id, email, password_hash FROM users --",
]
TABLES = ["users", "products", "orders", "customers", "cart_items"]


def _table_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        assert set(TABLES) <= set(inspect(db.engine).get_table_names())
    return {table: _count(app, table) for table in TABLES}


@pytest.mark.parametrize("category", INJECTIONS)
def test_injection_in_the_category_is_just_an_unknown_category(
    make_app: MakeApp, profile: str, category: str
) -> None:
    app = make_app(profile)
    before = _table_counts(app)

    response = app.test_client().get("/api/products", query_string={"category": category,
                                                                     "limit": 20})

    assert response.status_code == 200
    assert response.json["items"] == []
    assert response.json["total"] == 0
    assert _table_counts(app) == before


@pytest.mark.parametrize("email", ["' OR 1=1 --", "' OR '1'='1", "admin.loadtest@example.com'--",
                                   "admin.loadtest@example.com' OR '1'='1"])
def test_injection_in_the_api_login_is_a_plain_401(app: Flask, client: FlaskClient,
                                                   email: str) -> None:
    before = _table_counts(app)

    response = client.post("/api/auth/login", json={"email": email, "password": "' OR '1'='1"})

    assert response.status_code == 401
    assert "access_token" not in response.json
    assert _table_counts(app) == before


@pytest.mark.parametrize("email", ["' OR 1=1 --", "admin.loadtest@example.com'--",
                                   "x'@example.com"])
def test_injection_in_the_session_login_opens_no_session(
    app: Flask, client: FlaskClient, email: str
) -> None:
    before = _table_counts(app)

    response = login(client, email, "' OR '1'='1")

    assert response.status_code in (401, 422)  # refused by the form or by the password check
    assert client.get("/dashboard").status_code == 302
    assert _table_counts(app) == before


def test_injection_in_a_product_id_is_not_a_route(client: FlaskClient) -> None:
    response = client.get("/api/products/101 OR 1=1")

    assert response.status_code == 404


def test_injection_in_imported_fields_is_stored_verbatim(
    app: Flask, admin_client: FlaskClient
) -> None:
    hostile = "Robert'); DROP TABLE customers; --"
    before = _table_counts(app)
    payload = {"source": "crm'--", "customers": [
        {"external_id": "x' OR '1'='1", "name": hostile, "email": "bobby@tables.example",
         "plan": "pro"}]}

    response = admin_client.post("/api/import/customers", json=payload,
                                 headers={"X-CSRFToken": csrf_token(admin_client)})

    assert response.status_code == 200
    assert response.json["created"] == 1
    with app.app_context():
        stored = db.session.execute(text(
            "SELECT name, source FROM customers WHERE external_id = :e"), {"e": "x' OR '1'='1"}
        ).one()
    assert tuple(stored) == (hostile, "crm'--")
    assert _table_counts(app) == {**before, "customers": before["customers"] + 1}


def test_injection_in_the_document_type_is_refused(
    admin_client: FlaskClient, uploads: Path
) -> None:
    response = admin_client.post("/documents/upload", data={
        "file": (io.BytesIO(CSV), "x.csv"), "document_type": "x'; DROP TABLE documents; --",
        "csrf_token": csrf_token(admin_client)}, content_type="multipart/form-data")

    assert response.status_code == 422
    assert not uploads.exists() or list(uploads.iterdir()) == []
