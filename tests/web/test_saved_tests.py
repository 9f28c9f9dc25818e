"""Saved tests: uploaded (checked, not run) or read from the allowed folder, versioned on
every edit, deleted without losing their versions; the API per role, against OpenAPI."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from tests.web.platform import Api, People, csrf_of, log_in

from swarmdeck.web import close_app, create_app

LOCUSTFILE = """from locust import HttpUser, task


class Visitor(HttpUser):
    @task
    def home(self):
        self.client.get("/")
"""
XSS = '<script>document.title="pwned"</script><img src=x onerror=alert(1)>'


def new_test(**changes: object) -> dict[str, object]:
    return {"name": "home page", "locustfile": {"name": "home.py", "source": LOCUSTFILE},
            "host": "http://127.0.0.1:8000", "users": 2, "spawn_rate": 2,
            "run_time": "5s", "thresholds": ["p95 < 500ms"], "tags": {"team": "shop"},
            **changes}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    allowed = tmp_path / "locustfiles"
    (allowed / "nested").mkdir(parents=True)
    (allowed / "nested" / "shop.py").write_text(LOCUSTFILE)
    (tmp_path / "outside.py").write_text(LOCUSTFILE)
    return allowed


@pytest.fixture
def app(people: People, folder: Path) -> Iterator[Flask]:
    app = create_app({"SWARMDECK_DB": people.url, "TESTING": True,
                      "LOCUSTFILE_DIR": str(folder)})
    yield app
    close_app(app)


def test_a_test_is_saved_and_every_edit_is_a_version(app: Flask, people: People) -> None:
    api = Api(app, people.tokens["tester"])
    made = api.call("post", "/api/tests", 201, new_test())
    assert made["versions"] == 1 and made["created_by"] == "tess"
    first_sha = made["current"]["locustfile"]["sha256"]
    assert made["current"]["settings"] == {
        "host": "http://127.0.0.1:8000", "users": 2, "spawn_rate": 2.0, "run_time_s": 5.0,
        "shape": None, "thresholds": ["p95 < 500ms"], "tags": {"team": "shop"}, "regions": {}}
    edited = api.call("put", "/api/tests/{test_id}", 200,
                      {**new_test(users=7), "locustfile": None}, test_id=made["id"])
    assert edited["versions"] == 2
    assert edited["current"]["settings"]["users"] == 7
    assert edited["current"]["locustfile"]["sha256"] == first_sha  # kept
    changed = LOCUSTFILE.replace('"/"', '"/about"')
    third = api.call("put", "/api/tests/{test_id}", 200,
                     new_test(locustfile={"name": "about.py", "source": changed}),
                     test_id=made["id"])
    assert third["current"]["locustfile"]["name"] == "about.py"
    assert third["current"]["locustfile"]["sha256"] != first_sha
    versions = api.call("get", "/api/tests/{test_id}/versions", 200, test_id=made["id"])
    assert [v["version"] for v in versions["versions"]] == [3, 2, 1]
    one = api.call("get", "/api/tests/{test_id}/versions/{version}", 200,
                   test_id=made["id"], version=1)
    assert one["locustfile"]["source"] == LOCUSTFILE and one["settings"]["users"] == 2
    api.call("get", "/api/tests/{test_id}/versions/{version}", 404, test_id=made["id"],
             version=9)
    viewer = Api(app, people.tokens["viewer"])
    assert [t["name"] for t in viewer.call("get", "/api/tests", 200)["tests"]] == \
        ["home page"]
    api.call("delete", "/api/tests/{test_id}", 200, test_id=made["id"])
    api.call("get", "/api/tests/{test_id}", 404, test_id=made["id"])
    assert viewer.call("get", "/api/tests", 200)["tests"] == []
    audit = Api(app, people.tokens["admin"]).call("get", "/api/audit", 200)["entries"]
    assert [(e["actor"], e["action"], e["kind"]) for e in audit[:4]] == [
        ("tess", "deleted", "test"), ("tess", "changed", "test"),
        ("tess", "changed", "test"), ("tess", "created", "test")]


@pytest.mark.parametrize(("changes", "message"), [
    ({"locustfile": {"name": "bad.py", "source": "class A(HttpUser:\n"}}, "bad.py:1: "),
    ({"locustfile": {"name": "none.py", "source": "x = 1\n"}}, "none.py:1: no User class"),
    ({"locustfile": {"name": "big.py", "source": "#" * (300 * 1024)}}, "too large"),
    ({"locustfile": None}, "a test needs a locustfile"),
    ({"locustfile_path": "nested/shop.py"}, "not both"),
    ({"host": "nowhere"}, "host must be"),
    ({"name": ""}, "a test needs a name"),
])
def test_bad_tests_are_refused_with_the_reason(app: Flask, people: People,
                                               changes: dict[str, object],
                                               message: str) -> None:
    api = Api(app, people.tokens["tester"])
    body = api.call("post", "/api/tests", 400, new_test(**changes))
    assert message in body["error"], body


def test_a_locustfile_from_the_allowed_folder_only(app: Flask, people: People) -> None:
    api = Api(app, people.tokens["tester"])
    made = api.call("post", "/api/tests", 201,
                    {**new_test(locustfile=None), "locustfile_path": "nested/shop.py"})
    assert made["current"]["locustfile"] == {
        "name": "shop.py", "path": "nested/shop.py",
        "sha256": made["current"]["locustfile"]["sha256"]}
    for escape in ("../outside.py", "/etc/passwd", "nested/../../outside.py", "."):
        refused = api.call("post", "/api/tests", 400,
                           {**new_test(locustfile=None), "locustfile_path": escape})
        assert "not under the allowed folder" in refused["error"], escape
    missing = api.call("post", "/api/tests", 400,
                       {**new_test(locustfile=None), "locustfile_path": "nope.py"})
    assert "no locustfile" in missing["error"]


@pytest.mark.parametrize("role", ["viewer", "tester", "admin"])
def test_only_testers_and_admins_change_tests(app: Flask, people: People, role: str) -> None:
    owner = Api(app, people.tokens["tester"])
    made = owner.call("post", "/api/tests", 201, new_test())
    api = Api(app, people.tokens[role])
    allowed = role != "viewer"
    api.call("get", "/api/tests/{test_id}", 200, test_id=made["id"])
    api.call("post", "/api/tests", 201 if allowed else 403, new_test())
    api.call("put", "/api/tests/{test_id}", 200 if allowed else 403, new_test(),
             test_id=made["id"])
    api.call("delete", "/api/tests/{test_id}", 200 if allowed else 403, test_id=made["id"])
    client = log_in(app.test_client(), role)
    assert client.get("/tests").status_code == 200
    assert client.get("/tests/new").status_code == (200 if allowed else 403)
    assert ("New test" in client.get("/tests").text) is allowed


def test_the_form_uploads_a_locustfile_and_shows_errors(app: Flask, people: People) -> None:
    client = log_in(app.test_client(), "tester")
    fields = {"name": XSS, "host": "http://127.0.0.1:8000", "users": "3",
              "spawn_rate": "1", "run_time": "10s", "shape": "", "thresholds": "p95 < 1s",
              "tags": f"note={XSS}", "locustfile_path": ""}
    bad = client.post("/tests/new", data={
        **fields, "csrf_token": csrf_of(client, "/tests/new"),
        "locustfile": (io.BytesIO(b"from locust import User\nclass A(User)\n"), "x.py")},
        content_type="multipart/form-data")
    assert bad.status_code == 400 and "x.py:2: " in bad.text
    made = client.post("/tests/new", data={
        **fields, "csrf_token": csrf_of(client, "/tests/new"),
        "locustfile": (io.BytesIO(LOCUSTFILE.encode()), "home.py")},
        content_type="multipart/form-data")
    assert made.status_code == 302
    page = client.get(made.headers["Location"]).text
    assert "<script>document.title" not in page and "&lt;script&gt;" in page
    assert "home.py" in page and "p95 &lt; 1s" in page
    edit = client.get(made.headers["Location"] + "/edit").text
    assert "&lt;script&gt;" in edit and "<script>document" not in edit
    no_csrf = client.post("/tests/new", data=fields)
    assert no_csrf.status_code == 400
