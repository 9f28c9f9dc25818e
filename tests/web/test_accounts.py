"""Accounts and roles: logging in, sessions, personal API tokens, users, the audit log,
and every forbidden action a 403 for each role; the answers match the OpenAPI document."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from tests.web.platform import (
    NAME_OF,
    PASSWORDS,
    Api,
    People,
    bearer,
    csrf_of,
    log_in,
)

from swarmdeck.cli import main
from swarmdeck.store import Store
from swarmdeck.store.platform import Accounts
from swarmdeck.web import Auth, close_app, create_app

BOOTSTRAP = "bootstrap-token-0123456789"


@pytest.fixture
def app(people: People) -> Iterator[Flask]:
    app = create_app({"SWARMDECK_DB": people.url, "TESTING": True,
                      "AUTH": Auth(token=BOOTSTRAP)})
    yield app
    close_app(app)


def test_with_users_nothing_is_open_but_login_and_health(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/api/runs").status_code == 401
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me", headers=bearer("sdt_not-a-token")).status_code == 401
    page = client.get("/account")
    assert page.status_code == 302 and "/login?next=/account" in page.headers["Location"]
    assert client.get("/login").status_code == 200
    assert Api(app, None).call("get", "/api/health", 200) == {"status": "ok"}


def test_login_with_a_password_makes_a_session(app: Flask) -> None:
    client = app.test_client()
    token = csrf_of(client)
    no_csrf = client.post("/login", data={"account-name": "tess",
                                          "account-password": PASSWORDS["tess"]})
    assert no_csrf.status_code == 400
    wrong = client.post("/login", data={"account-name": "tess", "account-password": "nope",
                                        "account-csrf_token": token})
    assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
    assert client.get("/api/me").status_code == 401
    log_in(client, "tester")
    assert client.get("/api/me").get_json() == {"name": "tess", "role": "tester",
                                                "user_id": 2}
    page = client.get("/").get_data(as_text=True)
    assert "tess · tester" in page and "Log out" in page
    client.post("/logout", data={"csrf_token": csrf_of(client, "/account")})
    assert client.get("/api/me").status_code == 401


def test_a_password_change_ends_the_sessions(app: Flask, people: People) -> None:
    client = log_in(app.test_client(), "viewer")
    assert client.get("/api/me").status_code == 200
    Api(app, people.tokens["admin"]).call("patch", "/api/users/{user_id}", 200,
                                          {"password": "a-new-password"},
                                          user_id=people.ids["viewer"])
    assert client.get("/api/me").status_code == 401


def test_session_writes_need_the_csrf_header(app: Flask) -> None:
    client = log_in(app.test_client(), "tester")
    refused = client.post("/api/tokens", json={"name": "ci"})
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["error"]
    made = client.post("/api/tokens", json={"name": "ci"},
                       headers={"X-CSRFToken": csrf_of(client, "/account")})
    assert made.status_code == 201


def test_personal_tokens_are_shown_once_and_revocable(app: Flask, people: People) -> None:
    api = Api(app, people.tokens["viewer"])
    made = api.call("post", "/api/tokens", 201, {"name": "<b>ci</b>"})
    secret = made["token"]
    assert secret.startswith("sdt_") and made["prefix"] == secret[:8]
    mine = Api(app, secret)
    assert mine.call("get", "/api/me", 200)["name"] == "vic"
    listed = mine.call("get", "/api/tokens", 200)["tokens"]
    assert [t["name"] for t in listed] == ["tests", "<b>ci</b>"]
    assert all("token" not in t for t in listed)
    with Store.open(people.url) as store, store.engine.connect() as connection:
        dump = "\n".join(str(row) for row in connection.exec_driver_sql(
            "SELECT * FROM api_tokens"))  # only a digest is stored
    assert secret not in dump
    client = log_in(app.test_client(), "viewer")
    page = client.get("/account").get_data(as_text=True)
    assert secret not in page and "&lt;b&gt;ci&lt;/b&gt;" in page
    mine.call("delete", "/api/tokens/{token_id}", 200, token_id=made["id"])
    assert app.test_client().get("/api/me", headers=bearer(secret)).status_code == 401
    # another user's token is not yours to revoke
    Api(app, people.tokens["tester"]).call("delete", "/api/tokens/{token_id}", 404,
                                           token_id=1)


def test_the_account_page_creates_a_token_and_shows_it_once(app: Flask) -> None:
    client = log_in(app.test_client(), "tester")
    made = client.post("/account", data={"name": "laptop",
                                         "csrf_token": csrf_of(client, "/account")})
    secret = made.get_data(as_text=True).split('id="sd-new-token">')[1].split("<")[0]
    assert client.get("/api/me", headers=bearer(secret)).status_code == 200
    assert secret not in client.get("/account").get_data(as_text=True)


# every API action and page, the lowest role allowed it; anything lower gets 403
ACTIONS = [
    ("get", "/api/users", None, "admin"),
    ("post", "/api/users", {"name": "newbie", "password": "12345678", "role": "viewer"},
     "admin"),
    ("patch", "/api/users/{viewer}", {"role": "viewer"}, "admin"),
    ("get", "/api/audit", None, "admin"),
    ("get", "/api/runs", None, "viewer"),
    ("get", "/api/me", None, "viewer"),
]
PAGES = [("/admin/users", "admin"), ("/audit", "admin"), ("/account", "viewer"),
         ("/", "viewer")]
RANKS = ["viewer", "tester", "admin"]


@pytest.mark.parametrize("role", RANKS)
def test_every_forbidden_action_is_a_403(app: Flask, people: People, role: str) -> None:
    api = Api(app, people.tokens[role])
    for method, path, body, needs in ACTIONS:
        template = path.replace("{viewer}", "{user_id}")
        allowed = RANKS.index(role) >= RANKS.index(needs)
        expected = (201 if method == "post" else 200) if allowed else 403
        api.call(method, template, expected, body, user_id=people.ids["viewer"])
    client = log_in(app.test_client(), role)
    for path, needs in PAGES:
        allowed = RANKS.index(role) >= RANKS.index(needs)
        assert client.get(path).status_code == (200 if allowed else 403), (role, path)
    csrf = csrf_of(client, "/account")
    removed = client.post(f"/admin/users/{people.ids['viewer']}/remove",
                          data={"csrf_token": csrf})
    assert removed.status_code == (302 if role == "admin" else 403)


def test_admins_manage_users_but_not_the_last_admin(app: Flask, people: People) -> None:
    api = Api(app, people.tokens["admin"])
    new = api.call("post", "/api/users", 201, {"name": "newbie", "password": "12345678",
                                               "role": "tester"})
    api.call("post", "/api/users", 409, {"name": "newbie", "password": "12345678",
                                         "role": "tester"})
    api.call("post", "/api/users", 400, {"name": "a b", "password": "12345678",
                                         "role": "tester"})
    api.call("post", "/api/users", 400, {"name": "short", "password": "1234",
                                         "role": "tester"})
    api.call("post", "/api/users", 400, {"name": "x", "password": "12345678", "role": "god"})
    api.call("post", "/api/users", 400, ["not", "an", "object"])
    api.call("patch", "/api/users/{user_id}", 409, {"role": "viewer"},
             user_id=people.ids["admin"])
    api.call("delete", "/api/users/{user_id}", 409, user_id=people.ids["admin"])
    api.call("delete", "/api/users/{user_id}", 404, user_id=999)
    assert api.call("delete", "/api/users/{user_id}", 200, user_id=new["id"])["name"] == \
        "newbie"
    names = [u["name"] for u in api.call("get", "/api/users", 200)["users"]]
    assert names == ["ada", "tess", "vic"]


def test_the_audit_log_says_who_did_what(app: Flask, people: People) -> None:
    api = Api(app, people.tokens["admin"])
    api.call("post", "/api/users", 201, {"name": "newbie", "password": "s3cret-pass",
                                         "role": "tester"})
    api.call("patch", "/api/users/{user_id}", 200, {"password": "an0ther-pass"},
             user_id=people.ids["tester"])
    entries = api.call("get", "/api/audit", 200)["entries"]
    seen = [(e["actor"], e["action"], e["kind"], e["subject"]) for e in entries[:2]]
    assert seen == [("ada", "changed", "user", "tess"), ("ada", "created", "user", "newbie")]
    assert entries[0]["detail"] == {"password": "changed"}
    client = log_in(app.test_client(), "admin")
    page = client.get("/audit").get_data(as_text=True)
    assert "newbie" in page and "s3cret-pass" not in page and "an0ther-pass" not in page


def test_the_bootstrap_token_still_works_and_acts_as_admin(app: Flask) -> None:
    api = Api(app, BOOTSTRAP)
    assert api.call("get", "/api/me", 200) == {"name": "bootstrap", "role": "admin",
                                               "user_id": None}
    api.call("get", "/api/users", 200)
    api.call("post", "/api/tokens", 400, {"name": "x"})  # no account to hold a token


def test_secrets_never_reach_the_log(app: Flask, people: People,
                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    client.post("/login", data={"account-name": "ada", "account-password": "wrong-guess",
                                "account-csrf_token": csrf_of(client)})
    log_in(client, "admin")
    client.get("/api/me", headers=bearer(people.tokens["viewer"] + "x"))
    text = caplog.text
    for secret in (*PASSWORDS.values(), "wrong-guess", *people.tokens.values()):
        assert secret not in text


def test_user_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    stdin = tmp_path / "password"
    stdin.write_text("first-password\n")
    with stdin.open() as given:
        monkeypatch.setattr("sys.stdin", given)
        assert main(["user", "add", "root", "--role", "admin", "--password-stdin",
                     "--db", url]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["user", "add", "guest", "--db", url]) == 2  # no terminal to ask on
    assert "--password-stdin" in capsys.readouterr().err
    with Store.open(url) as store:
        accounts = Accounts(store)
        assert accounts.check_login("root", "first-password") is not None
        assert [(a.name, a.role) for a in accounts.users()] == [("root", "admin")]
    stdin.write_text("second-password\n")
    with stdin.open() as given:
        monkeypatch.setattr("sys.stdin", given)
        assert main(["user", "passwd", "root", "--password-stdin", "--db", url]) == 0
    assert main(["user", "rm", "root", "--db", url]) == 2  # the last admin stays
    assert "last admin" in capsys.readouterr().err
    assert main(["user", "rm", "nobody", "--db", url]) == 2
    with Store.open(url) as store:
        assert Accounts(store).check_login("root", "second-password") is not None
        assert Accounts(store).check_login("root", "first-password") is None
    assert "second-password" not in capsys.readouterr().out
    assert NAME_OF["admin"] == "ada"


def test_every_route_needs_credentials_but_the_open_ones(app: Flask) -> None:
    """Walks the app's URL map: without credentials, every API route answers 401 and every
    page redirects to the login page (or answers 401 to a POST)."""
    client = app.test_client()
    open_paths = {"/login", "/api/health"}
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "report_assets.static") or rule.rule in open_paths:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", "1").replace(f"<{name}>", "x")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            if path.startswith("/api/"):
                assert response.status_code == 401, (method, path)
            elif method == "GET":
                assert response.status_code == 302, (method, path)
                assert "/login" in response.headers["Location"], (method, path)
            else:
                assert response.status_code == 401, (method, path)
            checked += 1
    assert checked > 40
