"""Platform fixtures' helpers: a store with one user per role, clients logged in as each
(a session, or a personal API token), and a checker of any API answer (any method)
against the OpenAPI document."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jsonschema
from flask import Flask
from flask.testing import FlaskClient

from swarmdeck.store import Store
from swarmdeck.store.platform import Accounts
from swarmdeck.web.openapi import openapi_document

PASSWORDS = {"ada": "admin-pass-123", "tess": "tester-pass-123", "vic": "viewer-pass-123"}
ROLE_OF = {"ada": "admin", "tess": "tester", "vic": "viewer"}
NAME_OF = {role: name for name, role in ROLE_OF.items()}


@dataclass(frozen=True)
class People:
    url: str
    ids: dict[str, int]  # role -> user id
    tokens: dict[str, str]  # role -> a personal API token


def visitor(wait_s: float) -> str:
    """A locustfile: one user class that loads ``/`` every ``wait_s`` seconds."""
    return f"""from locust import HttpUser, constant, task


class Visitor(HttpUser):
    wait_time = constant({wait_s})

    @task
    def home(self):
        self.client.get("/")
"""


def add_people(url: str) -> People:
    with Store.open(url) as store:
        accounts = Accounts(store)
        ids, tokens = {}, {}
        for name, role in ROLE_OF.items():
            account = accounts.add_user(name, PASSWORDS[name], role, actor="test")
            ids[role] = account.id
            tokens[role] = accounts.create_token(account.id, "tests", actor=name)[1]
    return People(url, ids, tokens)


def csrf_of(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="(?:account-)?csrf_token" type="hidden" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def log_in(client: FlaskClient, role: str) -> FlaskClient:
    name = NAME_OF[role]
    token = csrf_of(client)
    response = client.post("/login", data={"account-name": name,
                                           "account-password": PASSWORDS[name],
                                           "account-csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Api:
    """Calls the API with a principal's token and checks every answer against the
    OpenAPI document's schema for its path, method and status."""

    def __init__(self, app: Flask, token: str | None) -> None:
        self.client = app.test_client()
        self.headers = bearer(token) if token else {}
        self.document = openapi_document()

    def schema(self, template: str, method: str, status: int) -> dict[str, Any]:
        operation = self.document["paths"][template][method]
        responses = operation["responses"]
        assert str(status) in responses, f"{method.upper()} {template}: {status} undocumented"
        content = responses[str(status)]["content"]["application/json"]
        return {**content["schema"], "components": self.document["components"]}

    def call(self, method: str, template: str, status: int, json: Any = None,
             **params: Any) -> Any:
        path = template.format(**params)
        response = self.client.open(path, method=method.upper(), json=json,
                                    headers=self.headers)
        assert response.status_code == status, (method, path,
                                                response.get_data(as_text=True)[:400])
        assert response.mimetype == "application/json"
        body = response.get_json()
        jsonschema.Draft202012Validator(self.schema(template, method, status)).validate(body)
        return body
