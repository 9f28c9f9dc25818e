"""naive and tuned: the same answers on the same data, with fewer queries for tuned."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, inspect, text

from conftest import ADDRESS, ADMIN_USER, MakeApp, api_token, login
from shopfront import create_app
from shopfront.extensions import db
from shopfront.profiles import CATEGORY_INDEX

# The per-session CSRF token is the only part of a page that may differ between two apps.
CSRF_META = re.compile(r'<meta name="csrf-token" content="[^"]+">')

PUBLIC_PATHS = [
    "/",
    "/blog",
    "/blog?page=2",
    "/api/products",
    "/api/products?page=7&limit=50",
    "/api/products?category=python&limit=20",
    "/api/products?category=python&limit=20&page=2",
    "/api/products?category=audio&limit=100",
    "/api/products/101",
    "/api/products/102",
    "/api/products/1000",
]


@pytest.fixture
def both(make_app: MakeApp) -> dict[str, Flask]:
    """One app per profile, each on its own copy of the same seeded database."""
    return {"naive": make_app("naive"), "tuned": make_app("tuned")}


def _body(response: Any) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    return CSRF_META.sub("", response.get_data(as_text=True))


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_naive_and_tuned_answer_identically(both: dict[str, Flask], path: str) -> None:
    naive = both["naive"].test_client().get(path)
    tuned_client = both["tuned"].test_client()
    tuned = tuned_client.get(path)

    assert naive.mimetype == tuned.mimetype
    assert _body(naive) == _body(tuned)
    assert len(_body(naive)) > 200
    # A repeated request (served from the cache in tuned) is still the same answer.
    assert _body(tuned_client.get(path)) == _body(tuned)


@pytest.mark.parametrize("month", ["2025-01", "2024-07", "2025-06", "2024-12"])
def test_monthly_report_is_identical_in_both_profiles(
    both: dict[str, Flask], month: str
) -> None:
    bodies = {}
    for name, app in both.items():
        client = app.test_client()
        assert login(client, *ADMIN_USER).status_code == 302
        response = client.get(f"/reports/monthly-summary?month={month}&format=json")
        assert response.status_code == 200
        bodies[name] = response.json

    assert bodies["naive"] == bodies["tuned"]
    assert bodies["naive"]["orders"] > 0
    assert len(bodies["naive"]["top_products"]) == 5


def test_identical_answers_after_new_writes(both: dict[str, Flask]) -> None:
    """Orders placed the same way in both apps are reported the same way."""
    for app in both.values():
        client = app.test_client()
        headers = {"Authorization": f"Bearer {api_token(client)}"}
        for product_id in (101, 103, 101):
            client.post("/api/cart/items", json={"product_id": product_id, "quantity": 2},
                        headers=headers)
        order = client.post("/api/orders", headers=headers, json={
            "shipping_address": ADDRESS, "payment_method": "card_token_test_visa"})
        assert order.status_code == 201
        with app.app_context():  # move the new order into a reported month
            db.session.execute(text(
                "UPDATE orders SET created_at = '2025-01-15 12:00:00' WHERE id = :id"),
                {"id": order.json["id"]})
            db.session.commit()
    bodies = []
    for app in both.values():
        client = app.test_client()
        assert login(client, *ADMIN_USER).status_code == 302
        bodies.append(client.get("/reports/monthly-summary?month=2025-01&format=json").json)

    assert bodies[0] == bodies[1]


def _indexes(app: Flask) -> set[str]:
    with app.app_context():
        return {str(ix["name"]) for ix in inspect(db.engine).get_indexes("products")}


def test_only_the_tuned_profile_indexes_the_product_category(both: dict[str, Flask]) -> None:
    assert CATEGORY_INDEX == "ix_products_category_id"
    assert CATEGORY_INDEX in _indexes(both["tuned"])
    assert CATEGORY_INDEX not in _indexes(both["naive"])


def test_switching_profile_on_the_same_database_applies_its_schema(make_app: MakeApp) -> None:
    tuned = make_app("tuned")
    assert CATEGORY_INDEX in _indexes(tuned)

    naive = create_app({**tuned.config, "SHOPFRONT_PROFILE": "naive"})
    assert CATEGORY_INDEX not in _indexes(naive)
    again = create_app({**tuned.config, "SHOPFRONT_PROFILE": "tuned"})
    assert CATEGORY_INDEX in _indexes(again)


@contextmanager
def _counting(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _statements(app: Flask, client: FlaskClient, path: str) -> int:
    with _counting(app) as statements:
        assert client.get(path).status_code == 200
    return len(statements)


@pytest.mark.parametrize("path, items", [
    ("/blog", 20),
    ("/api/products?category=python&limit=20", 20),
    ("/api/products?limit=20", 20),
    ("/", 8),
])
def test_naive_issues_a_query_per_item_and_tuned_a_constant_few(
    both: dict[str, Flask], path: str, items: int
) -> None:
    naive = _statements(both["naive"], both["naive"].test_client(), path)
    tuned = _statements(both["tuned"], both["tuned"].test_client(), path)

    assert naive > tuned
    assert naive >= items + 1  # the N+1: one query per item listed, at least
    assert tuned <= 3


@pytest.mark.parametrize("path", ["/", "/api/products?category=python&limit=20"])
def test_tuned_serves_repeated_listings_from_the_cache(both: dict[str, Flask], path: str) -> None:
    naive_client = both["naive"].test_client()
    tuned_client = both["tuned"].test_client()
    _statements(both["tuned"], tuned_client, path)

    assert _statements(both["tuned"], tuned_client, path) == 0
    assert _statements(both["naive"], naive_client, path) == _statements(
        both["naive"], naive_client, path) > 0


def test_naive_report_queries_per_order_and_tuned_does_not(both: dict[str, Flask]) -> None:
    counts = {}
    for name, app in both.items():
        client = app.test_client()
        assert login(client, *ADMIN_USER).status_code == 302
        counts[name] = _statements(app, client,
                                   "/reports/monthly-summary?month=2025-01&format=json")
        orders = client.get("/reports/monthly-summary?month=2025-01&format=json").json["orders"]

    assert counts["naive"] > orders
    assert counts["tuned"] < 10
