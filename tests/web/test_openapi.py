"""The OpenAPI document: valid OpenAPI 3.1, served, and describing every /api/ route."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from swarmdeck.web.openapi import openapi_document


def test_document_is_valid_openapi_31(client: FlaskClient) -> None:
    served = client.get("/api/openapi.json")
    assert served.status_code == 200
    document = served.get_json()
    assert document == openapi_document() and document["openapi"].startswith("3.1")
    validate(document)


def test_every_api_route_is_documented(app: Flask) -> None:
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")}
    assert routes == set(openapi_document()["paths"])
    methods: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            methods.setdefault(path, set()).update(
                m.lower() for m in rule.methods or () if m not in ("HEAD", "OPTIONS"))
    for path, item in openapi_document()["paths"].items():
        assert set(item) == methods[path], path
