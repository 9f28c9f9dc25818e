"""Session login with Flask-Login and Flask-WTF: login, logout, the pages behind a login."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from conftest import ADMIN_USER, SESSION_USER, csrf_token, login
from shopfront.extensions import db

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def _user_name(app: Flask, email: str) -> str:
    with app.app_context():
        return str(db.session.scalar(text("SELECT name FROM users WHERE email = :e"), {"e": email}))


def _is_logged_in(client: FlaskClient) -> bool:
    response = client.get("/dashboard")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_login_page_carries_the_csrf_token_exactly_as_the_locust_script_parses_it(
    client: FlaskClient,
) -> None:
    page = client.get("/login").get_data(as_text=True)

    # The guide's script: find 'name="csrf_token" value="' and read up to the next quote.
    marker = 'name="csrf_token" value="'
    start = page.find(marker)
    assert start != -1
    start += len(marker)
    token = page[start:page.find('"', start)]
    assert len(token) > 20
    # The same token is offered to JavaScript clients in the page's meta tag.
    meta = CSRF_META.search(page)
    assert meta is not None and meta.group(1) == token
    # And that token is the one the server accepts.
    response = client.post("/login", data={"email": SESSION_USER[0], "password": SESSION_USER[1],
                                           "csrf_token": token})
    assert response.status_code == 302


def test_login_redirects_to_a_dashboard_that_greets_the_user(client: FlaskClient) -> None:
    response = login(client, *SESSION_USER)

    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    dashboard = client.get(response.headers["Location"])
    assert dashboard.status_code == 200
    page = dashboard.get_data(as_text=True)
    assert "<h1>Dashboard</h1>" in page
    assert "Welcome back, Load Test User." in page


def test_login_ignores_the_case_of_the_email(client: FlaskClient) -> None:
    response = login(client, "LoadTest.User@Example.COM", SESSION_USER[1])

    assert response.status_code == 302
    assert _is_logged_in(client)


def test_dashboard_shows_the_users_recent_orders_unread_count_and_cart(
    app: Flask, user_client: FlaskClient
) -> None:
    with app.app_context():
        recent = db.session.execute(text(
            "SELECT o.id, o.status, o.total_cents FROM orders o JOIN users u ON u.id = o.user_id "
            "WHERE u.email = :e ORDER BY o.created_at DESC, o.id DESC LIMIT 5"
        ), {"e": SESSION_USER[0]}).all()
        unread = db.session.scalar(text(
            "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id "
            "WHERE u.email = :e AND NOT n.read"
        ), {"e": SESSION_USER[0]})

    page = user_client.get("/dashboard").get_data(as_text=True)

    assert len(recent) == 5
    order_ids = [int(i) for i in re.findall(r"<tr><td>#(\d+)</td>", page)]
    assert order_ids == [oid for oid, _, _ in recent]
    for _, status, cents in recent:
        assert f"<td>{status}</td>" in page
        assert f"${cents // 100}.{cents % 100:02d}" in page
    assert f"{unread} unread notifications · 0 items in your cart" in page


@pytest.mark.parametrize("email, password", [
    (SESSION_USER[0], "WrongPassword!"),
    (SESSION_USER[0], SESSION_USER[1].lower()),
    ("nobody@example.com", SESSION_USER[1]),
    (SESSION_USER[0], ADMIN_USER[1]),  # another account's password
])
def test_wrong_credentials_are_401_and_open_no_session(
    client: FlaskClient, email: str, password: str
) -> None:
    response = login(client, email, password)

    assert response.status_code == 401
    assert "Invalid email or password." in response.get_data(as_text=True)
    assert not _is_logged_in(client)
    assert client.get("/api/notifications").status_code == 401


def test_login_form_with_missing_fields_is_422_and_opens_no_session(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": SESSION_USER[0],
                                           "csrf_token": csrf_token(client)})

    assert response.status_code == 422
    assert "password:" in response.get_data(as_text=True)
    assert not _is_logged_in(client)


@pytest.mark.parametrize("token", [None, "", "forged-token", "IjAxMjM0NTY3ODki.ZZZ.abc"])
def test_login_without_a_valid_csrf_token_is_400(client: FlaskClient, token: str | None) -> None:
    client.get("/login")  # a session exists, with its own token
    data = {"email": SESSION_USER[0], "password": SESSION_USER[1]}
    if token is not None:
        data["csrf_token"] = token

    response = client.post("/login", data=data)

    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert not _is_logged_in(client)


def test_csrf_token_from_another_session_is_refused(app: Flask, client: FlaskClient) -> None:
    other = app.test_client()
    stolen = csrf_token(other)

    response = client.post("/login", data={"email": SESSION_USER[0],
                                           "password": SESSION_USER[1], "csrf_token": stolen})

    assert response.status_code == 400
    assert not _is_logged_in(client)


@pytest.mark.parametrize("target", ["/account/settings", "/blog?page=2"])
def test_login_follows_a_same_site_next_path(client: FlaskClient, target: str) -> None:
    token = csrf_token(client)

    response = client.post("/login", query_string={"next": target},
                           data={"email": SESSION_USER[0], "password": SESSION_USER[1],
                                 "csrf_token": token})

    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", [
    "//evil.example",
    "//evil.example/dashboard",
    "https://evil.example/",
    "http:evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "evil.example",
])
def test_login_refuses_an_open_redirect_through_next(client: FlaskClient, target: str) -> None:
    token = csrf_token(client)

    response = client.post("/login", query_string={"next": target},
                           data={"email": SESSION_USER[0], "password": SESSION_USER[1],
                                 "csrf_token": token})

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/dashboard"
    assert "evil.example" not in location


@pytest.mark.parametrize("path", ["/dashboard", "/account/settings"])
def test_pages_behind_the_login_redirect_anonymous_visitors_to_login(
    client: FlaskClient, path: str
) -> None:
    response = client.get(path)

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [path]


def test_login_after_the_redirect_returns_to_the_page_asked_for(client: FlaskClient) -> None:
    login_url = client.get("/account/settings").headers["Location"]
    token = csrf_token(client)

    response = client.post(login_url, data={"email": SESSION_USER[0],
                                            "password": SESSION_USER[1], "csrf_token": token})

    assert response.headers["Location"] == "/account/settings"
    assert client.get("/account/settings").status_code == 200


def test_notifications_are_401_json_for_anonymous_visitors(client: FlaskClient) -> None:
    response = client.get("/api/notifications")

    assert response.status_code == 401
    assert response.mimetype == "application/json"
    assert response.json == {"error": "login required"}


def test_notifications_list_the_users_own_notifications_and_unread_count(
    app: Flask, user_client: FlaskClient
) -> None:
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT n.id, n.message, n.read FROM notifications n JOIN users u ON u.id = n.user_id "
            "WHERE u.email = :e ORDER BY n.created_at DESC, n.id DESC"
        ), {"e": SESSION_USER[0]}).all()

    response = user_client.get("/api/notifications")

    assert response.status_code == 200
    body = response.json
    assert body["unread"] == sum(1 for _, _, read in rows if not read) == 4
    assert [(n["id"], n["message"], n["read"]) for n in body["items"]] == [
        (nid, message, bool(read)) for nid, message, read in rows
    ]


def test_notifications_of_one_user_are_not_shown_to_another(
    app: Flask, admin_client: FlaskClient
) -> None:
    with app.app_context():
        admin_ids = set(db.session.scalars(text(
            "SELECT n.id FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.email = :e"
        ), {"e": ADMIN_USER[0]}))

    items = admin_client.get("/api/notifications").json["items"]

    assert {n["id"] for n in items} == admin_ids


def test_settings_page_shows_the_current_name(user_client: FlaskClient) -> None:
    response = user_client.get("/account/settings")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"Signed in as {SESSION_USER[0]}." in page
    assert 'name="name" value="Load Test User"' in page


def test_settings_post_without_csrf_is_400_and_changes_nothing(
    app: Flask, user_client: FlaskClient
) -> None:
    response = user_client.post("/account/settings", data={"name": "Mallory"})

    assert response.status_code == 400
    assert _user_name(app, SESSION_USER[0]) == "Load Test User"


def test_settings_post_with_csrf_updates_the_name(app: Flask, user_client: FlaskClient) -> None:
    token = csrf_token(user_client, "/account/settings")

    response = user_client.post("/account/settings",
                                data={"name": "  Renamed User  ", "csrf_token": token})

    assert response.status_code == 302
    assert response.headers["Location"] == "/account/settings"
    assert _user_name(app, SESSION_USER[0]) == "Renamed User"
    page = user_client.get("/account/settings").get_data(as_text=True)
    assert "Settings saved." in page
    assert 'value="Renamed User"' in page
    assert "Welcome back, Renamed User." in user_client.get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize("name", ["", "x" * 121])
def test_settings_refuse_an_empty_or_too_long_name(
    app: Flask, user_client: FlaskClient, name: str
) -> None:
    token = csrf_token(user_client, "/account/settings")

    response = user_client.post("/account/settings", data={"name": name, "csrf_token": token})

    assert response.status_code == 422
    assert _user_name(app, SESSION_USER[0]) == "Load Test User"


def test_logout_is_not_possible_with_get(user_client: FlaskClient) -> None:
    response = user_client.get("/logout")

    assert response.status_code == 405
    assert _is_logged_in(user_client)


def test_logout_without_csrf_is_400_and_keeps_the_session(user_client: FlaskClient) -> None:
    response = user_client.post("/logout")

    assert response.status_code == 400
    assert _is_logged_in(user_client)


def test_logout_with_csrf_ends_the_session(user_client: FlaskClient) -> None:
    page = user_client.get("/dashboard").get_data(as_text=True)
    # The logout button is a form in the page header carrying the token.
    assert re.search(r'<form method="post" action="/logout"', page)
    token = csrf_token(user_client, "/dashboard")

    response = user_client.post("/logout", data={"csrf_token": token})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert not _is_logged_in(user_client)
    assert user_client.get("/api/notifications").status_code == 401


def test_anonymous_logout_is_401(client: FlaskClient) -> None:
    token = csrf_token(client)

    response = client.post("/logout", data={"csrf_token": token})

    assert response.status_code == 401
