"""The production backends: PostgreSQL for the data, Redis for the tuned profile's cache.

These use the real servers (``postgres_url``, ``redis_url`` fixtures): they skip visibly
without one, and fail under CI=true.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, text
from werkzeug.test import TestResponse

from conftest import ADDRESS, ADMIN_USER, SECRET, MakeApp, api_token, csrf_token, login
from shopfront import create_app
from shopfront.extensions import db
from shopfront.profiles import CATEGORY_INDEX
from shopfront.seed import init_db

PgApp = Callable[[str], Flask]


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def seeded_postgres(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The session's PostgreSQL database, seeded once at scale 1 for this module."""
    app = create_app({"TESTING": True, "SECRET_KEY": SECRET, "SHOPFRONT_PROFILE": "naive",
                      "SQLALCHEMY_DATABASE_URI": postgres_url, "CACHE_TYPE": "SimpleCache",
                      "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("pg-uploads"))})
    with app.app_context():
        counts = init_db(scale=1)
    _dispose(app)
    assert counts["products"] == 1000 and counts["orders"] == 2000
    return postgres_url


@pytest.fixture
def pg_app(seeded_postgres: str, tmp_path: Path) -> Iterator[PgApp]:
    """``pg_app(profile)``: an app on the seeded PostgreSQL database; engines closed after."""
    apps: list[Flask] = []

    def make(profile: str = "tuned") -> Flask:
        app = create_app({"TESTING": True, "SECRET_KEY": SECRET, "SHOPFRONT_PROFILE": profile,
                          "SQLALCHEMY_DATABASE_URI": seeded_postgres,
                          "CACHE_TYPE": "SimpleCache", "UPLOAD_FOLDER": str(tmp_path / "up")})
        apps.append(app)
        return app

    yield make
    for app in apps:
        _dispose(app)


def _scalar(app: Flask, sql: str, **params: Any) -> Any:
    with app.app_context():
        return db.session.scalar(text(sql), params)


def _bearer(client: FlaskClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(client)}"}


@pytest.mark.postgres
def test_postgres_is_seeded_and_healthy(pg_app: PgApp) -> None:
    app = pg_app("tuned")

    assert _scalar(app, "SELECT COUNT(*) FROM products") == 1000
    assert _scalar(app, "SELECT COUNT(*) FROM users") == 615
    health = app.test_client().get("/api/health")
    assert health.status_code == 200
    assert health.json == {"status": "ok", "database": "ok", "profile": "tuned"}


@pytest.mark.postgres
def test_postgres_checkout_sums_the_cart_and_uses_the_reset_sequence(pg_app: PgApp) -> None:
    app = pg_app("tuned")
    client = app.test_client()
    headers = _bearer(client)
    seeded_max = _scalar(app, "SELECT MAX(id) FROM orders")
    price = {pid: _scalar(app, "SELECT price_cents FROM products WHERE id = :id", id=pid)
             for pid in (101, 105)}

    client.post("/api/cart/items", json={"product_id": 101, "quantity": 2}, headers=headers)
    client.post("/api/cart/items", json={"product_id": 105, "quantity": 1}, headers=headers)
    cart = client.post("/api/cart/items", json={"product_id": 101, "quantity": 1},
                       headers=headers)

    assert cart.status_code == 201  # INSERT ... ON CONFLICT DO UPDATE summed the quantity
    assert {i["product_id"]: i["quantity"] for i in cart.json["items"]} == {101: 3, 105: 1}
    response = client.post("/api/orders", headers=headers, json={
        "shipping_address": ADDRESS, "payment_method": "card_token_test_visa"})

    assert response.status_code == 201
    expected = 3 * price[101] + price[105]
    assert response.json["total_cents"] == expected
    assert response.json["id"] > seeded_max  # the sequence was reset after the seeded ids
    assert _scalar(app, "SELECT total_cents FROM orders WHERE id = :id",
                   id=response.json["id"]) == expected
    assert _scalar(app, "SELECT COUNT(*) FROM order_items WHERE order_id = :id",
                   id=response.json["id"]) == 2
    assert client.get("/api/cart", headers=headers).json == {"items": [], "total_cents": 0}
    assert client.post("/api/orders", headers=headers, json={
        "shipping_address": ADDRESS, "payment_method": "card_token_x"}).status_code == 409


@pytest.mark.postgres
def test_postgres_refuses_ids_beyond_its_integer_range(pg_app: PgApp) -> None:
    client = pg_app("tuned").test_client()

    assert client.get(f"/api/products/{2**31}").status_code == 404
    response = client.post("/api/cart/items", json={"product_id": 2**31, "quantity": 1},
                           headers=_bearer(client))
    assert response.status_code == 422
    assert response.json["field"] == "product_id"


@pytest.mark.postgres
@pytest.mark.parametrize("month, start, end", [
    ("2025-01", "2025-01-01", "2025-02-01"),
    ("2024-12", "2024-12-01", "2025-01-01"),
])
def test_postgres_monthly_report_is_identical_in_both_profiles(
    pg_app: PgApp, month: str, start: str, end: str
) -> None:
    bodies = {}
    for profile in ("naive", "tuned"):
        client = pg_app(profile).test_client()
        assert login(client, *ADMIN_USER).status_code == 302
        response = client.get(f"/reports/monthly-summary?month={month}&format=json")
        assert response.status_code == 200
        bodies[profile] = response.json
    with pg_app("tuned").app_context():
        orders, revenue = db.session.execute(text(
            "SELECT COUNT(*), SUM(total_cents) FROM orders "
            "WHERE created_at >= :start AND created_at < :end"), {"start": start, "end": end}).one()

    assert bodies["naive"] == bodies["tuned"]
    assert (bodies["tuned"]["orders"], bodies["tuned"]["revenue_cents"]) == (orders, revenue)
    assert orders > 0
    assert all(day["date"].startswith(month) for day in bodies["tuned"]["by_day"])


def _without_head(response: TestResponse) -> str:
    """The page without its <head>, whose csrf-token meta differs per session."""
    return response.get_data(as_text=True).split("</head>")[-1]


@pytest.mark.postgres
@pytest.mark.parametrize("path", ["/", "/blog", "/api/products?category=python&limit=20",
                                  "/api/products?limit=50&page=3", "/api/products/103"])
def test_postgres_listings_are_identical_in_both_profiles(pg_app: PgApp, path: str) -> None:
    naive = pg_app("naive").test_client().get(path)
    tuned = pg_app("tuned").test_client().get(path)

    assert naive.status_code == tuned.status_code == 200
    assert _without_head(naive) == _without_head(tuned)


@pytest.mark.postgres
def test_postgres_profile_schema_follows_the_profile(pg_app: PgApp) -> None:
    def indexes(app: Flask) -> set[str]:
        with app.app_context():
            return {str(ix["name"]) for ix in inspect(db.engine).get_indexes("products")}

    assert CATEGORY_INDEX not in indexes(pg_app("naive"))
    assert CATEGORY_INDEX in indexes(pg_app("tuned"))


@pytest.mark.postgres
def test_postgres_customer_import_upserts_by_external_id(pg_app: PgApp) -> None:
    app = pg_app("tuned")
    client = app.test_client()
    assert login(client, *ADMIN_USER).status_code == 302
    headers = {"X-CSRFToken": csrf_token(client, "/dashboard")}
    external = f"pg_{uuid.uuid4().hex[:10]}"
    before = _scalar(app, "SELECT COUNT(*) FROM customers")
    seeded_max = _scalar(app, "SELECT MAX(id) FROM customers WHERE source = 'seed'")
    payload = {"source": "crm_sync", "customers": [
        {"external_id": external, "name": "Acme Corporation", "email": "ops@acme.example",
         "plan": "enterprise"},
        {"external_id": "crm_00002", "name": "Seeded, renamed", "email": "s@example.com",
         "plan": "free"},
    ]}

    first = client.post("/api/import/customers", json=payload, headers=headers)
    assert first.status_code == 200
    assert first.json == {"source": "crm_sync", "created": 1, "updated": 1, "received": 2}
    assert _scalar(app, "SELECT COUNT(*) FROM customers") == before + 1
    assert _scalar(app, "SELECT id FROM customers WHERE external_id = :e",
                   e=external) > seeded_max

    payload["customers"][0]["plan"] = "pro"
    second = client.post("/api/import/customers", json=payload, headers=headers)
    assert second.status_code == 200
    assert second.json == {"source": "crm_sync", "created": 0, "updated": 2, "received": 2}
    assert _scalar(app, "SELECT COUNT(*) FROM customers") == before + 1
    assert _scalar(app, "SELECT plan FROM customers WHERE external_id = :e", e=external) == "pro"
    assert _scalar(app, "SELECT name FROM customers WHERE external_id = 'crm_00002'") == (
        "Seeded, renamed")

    bad = client.post("/api/import/customers", headers=headers, json={
        "source": "crm", "customers": [{**payload["customers"][0], "plan": "gold"}]})
    assert bad.status_code == 422
    assert bad.json["field"] == "customers[0].plan"


@pytest.mark.postgres
def test_postgres_upload_records_the_document(pg_app: PgApp) -> None:
    app = pg_app("tuned")
    client = app.test_client()
    assert login(client, *ADMIN_USER).status_code == 302
    response = client.post("/documents/upload", content_type="multipart/form-data", data={
        "file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv"), "document_type": "invoice_batch",
        "csrf_token": csrf_token(client)})

    assert response.status_code == 201
    assert _scalar(app, "SELECT rows FROM documents WHERE id = :id", id=response.json["id"]) == 1


# -- Redis --------------------------------------------------------------------------------

@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def cache_prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"shopfront-test-{uuid.uuid4().hex}:"
    yield prefix
    keys = list(redis_client.scan_iter(match=f"{prefix}*"))
    if keys:
        redis_client.delete(*keys)


def _redis_app(make_app: MakeApp, profile: str, redis_url: str, prefix: str) -> Flask:
    return make_app(profile, CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_url,
                    CACHE_KEY_PREFIX=prefix)


@pytest.mark.redis
def test_tuned_profile_caches_the_listing_in_redis(
    make_app: MakeApp, redis_url: str, redis_client: redis.Redis, cache_prefix: str
) -> None:
    app = _redis_app(make_app, "tuned", redis_url, cache_prefix)
    client = app.test_client()

    first = client.get("/api/products?category=python&limit=20")

    assert first.status_code == 200
    keys = {k.decode() for k in redis_client.scan_iter(match=f"{cache_prefix}*")}
    assert f"{cache_prefix}products:python:1:20" in keys
    ttl = redis_client.ttl(f"{cache_prefix}products:python:1:20")
    assert 0 < ttl <= app.config["CACHE_DEFAULT_TIMEOUT"]
    # The second answer comes from Redis: even a changed row is not seen until expiry...
    with app.app_context():
        db.session.execute(text("UPDATE products SET name = 'Renamed' WHERE id = 101"))
        db.session.commit()
    second = client.get("/api/products?category=python&limit=20")
    assert second.json == first.json
    # ...and once the key is gone, the listing is computed afresh.
    redis_client.delete(f"{cache_prefix}products:python:1:20")
    third = client.get("/api/products?category=python&limit=20")
    assert [i["name"] for i in third.json["items"] if i["id"] == 101] == ["Renamed"]


@pytest.mark.redis
def test_naive_profile_writes_nothing_to_redis(
    make_app: MakeApp, redis_url: str, redis_client: redis.Redis, cache_prefix: str
) -> None:
    client = _redis_app(make_app, "naive", redis_url, cache_prefix).test_client()

    assert client.get("/api/products?category=python&limit=20").status_code == 200
    assert client.get("/").status_code == 200

    assert list(redis_client.scan_iter(match=f"{cache_prefix}*")) == []
