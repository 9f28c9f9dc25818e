"""Every write of the API, and every admin-only read, for every role: a role below the one
it needs gets 403 (before the body or the id is even looked at), the others get an answer
the OpenAPI document describes. The table must name every write the document has."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from tests.web.platform import Api, People, add_people

from swarmdeck.web import close_app, create_app
from swarmdeck.web.openapi import openapi_document

RANKS = ["viewer", "tester", "admin"]
# (method, path) -> the lowest role that may
NEEDS = {
    ("post", "/api/tokens"): "viewer",
    ("delete", "/api/tokens/{token_id}"): "viewer",
    ("get", "/api/users"): "admin",
    ("post", "/api/users"): "admin",
    ("patch", "/api/users/{user_id}"): "admin",
    ("delete", "/api/users/{user_id}"): "admin",
    ("get", "/api/audit"): "admin",
    ("post", "/api/tests"): "tester",
    ("put", "/api/tests/{test_id}"): "tester",
    ("delete", "/api/tests/{test_id}"): "tester",
    ("post", "/api/tests/{test_id}/runs"): "tester",
    ("post", "/api/runs/{run_id}/stop"): "tester",
    ("post", "/api/targets"): "admin",
    ("delete", "/api/targets/{target_id}"): "admin",
    ("post", "/api/targets/{target_id}/verify"): "admin",
    ("post", "/api/tests/{test_id}/schedules"): "tester",
    ("delete", "/api/schedules/{schedule_id}"): "tester",
    ("post", "/api/tests/{test_id}/webhooks"): "tester",
    ("delete", "/api/webhooks/{webhook_id}"): "tester",
    ("post", "/api/nodes/heartbeat"): "tester",
}


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> People:
    return add_people(f"sqlite:///{tmp_path_factory.mktemp('roles') / 'platform.db'}")


@pytest.fixture(scope="module")
def app(people: People) -> Iterator[Flask]:
    app = create_app({"SWARMDECK_DB": people.url, "TESTING": True})
    yield app
    close_app(app)


def test_the_table_names_every_write() -> None:
    writes = {(method, path) for path, item in openapi_document()["paths"].items()
              for method in item if method != "get"}
    assert writes <= set(NEEDS), writes - set(NEEDS)


@pytest.mark.parametrize("role", RANKS)
@pytest.mark.parametrize(("method", "path"), sorted(NEEDS))
def test_a_role_below_gets_403_the_others_a_documented_answer(
        app: Flask, people: People, role: str, method: str, path: str) -> None:
    api = Api(app, people.tokens[role])
    needs = NEEDS[(method, path)]
    allowed = RANKS.index(role) >= RANKS.index(needs)
    concrete = re.sub(r"\{\w+\}", "999", path)
    response = api.client.open(concrete, method=method.upper(), json={},
                               headers=api.headers)
    if not allowed:
        assert response.status_code == 403, (role, method, path)
        assert f"needs the {needs} role" in response.get_json()["error"]
    else:
        assert response.status_code not in (401, 403), (role, method, path)
    documented = openapi_document()["paths"][path][method]["responses"]
    assert str(response.status_code) in documented, (method, path, response.status_code,
                                                     response.get_json())
    api.call(method, path, response.status_code, {}, **{
        name: 999 for name in re.findall(r"\{(\w+)\}", path)})
