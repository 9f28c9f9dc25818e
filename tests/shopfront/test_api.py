"""The JSON API: JWT login, catalogue, cart and checkout."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import jwt as pyjwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token, decode_token
from sqlalchemy import text

from conftest import ADDRESS, API_USER, MakeApp, api_token, login
from shopfront.extensions import db

GUIDE_PRODUCTS = [101, 102, 103, 104, 105]


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(part: str) -> dict[str, Any]:
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _scalar(app: Flask, sql: str, **params: Any) -> Any:
    with app.app_context():
        return db.session.scalar(text(sql), params)


def _order(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"shipping_address": dict(ADDRESS),
                            "payment_method": "card_token_test_visa",
                            "notes": "Please leave at front desk"}
    body.update(overrides)
    return body


@pytest.fixture
def api_headers(app: Flask) -> dict[str, str]:
    """The API user's bearer token, minted as /api/auth/login does (without its slow hash).

    For the many parametrised cases; the tests that need the login itself use auth_headers.
    """
    with app.app_context():
        user_id = db.session.scalar(text("SELECT id FROM users WHERE email = :e"),
                                    {"e": API_USER[0]})
        return _bearer(create_access_token(identity=str(user_id)))


# -- login and tokens ---------------------------------------------------------------------

def test_api_login_returns_a_bearer_token_for_the_user(app: Flask, client: FlaskClient) -> None:
    response = client.post("/api/auth/login", json={"email": API_USER[0], "password": API_USER[1]})

    assert response.status_code == 200
    assert response.json["token_type"] == "Bearer"
    token = response.json["access_token"]
    user_id = _scalar(app, "SELECT id FROM users WHERE email = :e", e=API_USER[0])
    with app.app_context():
        assert decode_token(token)["sub"] == str(user_id)
    assert client.get("/api/cart", headers=_bearer(token)).status_code == 200


@pytest.mark.parametrize("email, password", [
    (API_USER[0], "WrongPassword!"),
    ("nobody@example.com", API_USER[1]),
    ("api.loadtest+1@example.com", "SuperSecurePass123!"),
])
def test_api_login_with_wrong_credentials_is_401(
    client: FlaskClient, email: str, password: str
) -> None:
    response = client.post("/api/auth/login", json={"email": email, "password": password})

    assert response.status_code == 401
    assert response.json == {"error": "invalid email or password"}
    assert "access_token" not in response.json


@pytest.mark.parametrize("body, field", [
    ({"email": API_USER[0]}, "password"),
    ({"password": API_USER[1]}, "email"),
    ({"email": 5, "password": API_USER[1]}, "email"),
    ([API_USER[0], API_USER[1]], "body"),
])
def test_api_login_with_a_malformed_body_is_422_naming_the_field(
    client: FlaskClient, body: Any, field: str
) -> None:
    response = client.post("/api/auth/login", json=body)

    assert response.status_code == 422
    assert response.json["field"] == field


def test_api_login_without_json_is_422(client: FlaskClient) -> None:
    response = client.post("/api/auth/login", data="email=x&password=y",
                           content_type="application/x-www-form-urlencoded")

    assert response.status_code == 422
    assert response.json["field"] == "body"


def test_token_expired_at_the_configured_lifetime_is_refused(make_app: MakeApp) -> None:
    client = make_app(JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=-1)).test_client()
    token = api_token(client)

    response = client.get("/api/cart", headers=_bearer(token))

    assert response.status_code == 401
    assert response.json == {"error": "token expired"}


def test_expired_token_is_refused_but_a_fresh_one_works(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        expired = create_access_token(identity="2", expires_delta=timedelta(seconds=-30))
        fresh = create_access_token(identity="2")

    assert client.get("/api/cart", headers=_bearer(expired)).status_code == 401
    assert client.post("/api/cart/items", json={"product_id": 101, "quantity": 1},
                       headers=_bearer(expired)).status_code == 401
    assert client.get("/api/cart", headers=_bearer(fresh)).status_code == 200


def _tampered(token: str, how: str) -> str:
    header, payload, signature = token.split(".")
    claims = _unb64(payload)
    if how == "signature-altered":
        flipped = "A" if signature[5] != "A" else "B"
        return f"{header}.{payload}.{signature[:5]}{flipped}{signature[6:]}"
    if how == "claims-altered":  # become user 3 (the admin), keeping the old signature
        return f"{header}.{_b64({**claims, 'sub': '3'})}.{signature}"
    if how == "other-key":
        return pyjwt.encode(claims, "another-secret-key-of-sufficient-length-0123456789",
                            algorithm="HS256")
    if how == "alg-none":
        return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}."
    if how == "truncated":
        return f"{header}.{payload}"
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["signature-altered", "claims-altered", "other-key",
                                 "alg-none", "truncated"])
def test_tampered_token_is_401(client: FlaskClient, api_headers: dict[str, str],
                               how: str) -> None:
    token = api_headers["Authorization"].removeprefix("Bearer ")
    assert client.get("/api/cart", headers=api_headers).status_code == 200

    response = client.get("/api/cart", headers=_bearer(_tampered(token, how)))

    assert response.status_code == 401
    assert response.json["error"].startswith("invalid token")


def test_token_for_a_user_that_does_not_exist_is_401(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        token = create_access_token(identity="999999")

    response = client.get("/api/cart", headers=_bearer(token))

    assert response.status_code == 401
    assert response.json == {"error": "unknown user"}


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/api/cart", None),
    ("POST", "/api/cart/items", {"product_id": 101, "quantity": 1}),
    ("POST", "/api/orders", _order()),
])
@pytest.mark.parametrize("authorization", [None, "Bearer", "Basic dXNlcjpwYXNz", "Bearer  "])
def test_cart_and_orders_need_a_token(
    app: Flask, client: FlaskClient, method: str, path: str, body: Any,
    authorization: str | None,
) -> None:
    orders_before = _scalar(app, "SELECT COUNT(*) FROM orders")
    headers = {} if authorization is None else {"Authorization": authorization}

    response = client.open(path, method=method, json=body, headers=headers)

    assert response.status_code == 401
    assert response.mimetype == "application/json"
    assert "error" in response.json
    assert _scalar(app, "SELECT COUNT(*) FROM cart_items") == 0
    assert _scalar(app, "SELECT COUNT(*) FROM orders") == orders_before


# -- catalogue ----------------------------------------------------------------------------

def _category_ids(app: Flask, slug: str) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(text(
            "SELECT p.id FROM products p JOIN categories c ON c.id = p.category_id "
            "WHERE c.slug = :slug ORDER BY p.id"
        ), {"slug": slug}))


def test_product_listing_in_a_category_is_paginated(
    make_app: MakeApp, profile: str, api_headers: dict[str, str]
) -> None:
    app = make_app(profile)
    client = app.test_client()
    expected = _category_ids(app, "python")
    total = len(expected)
    pages = -(-total // 20)
    assert total > 20

    seen: list[int] = []
    for page in range(1, pages + 1):
        response = client.get(f"/api/products?category=python&limit=20&page={page}",
                              headers=api_headers)
        assert response.status_code == 200
        body = response.json
        assert (body["total"], body["pages"], body["page"], body["limit"]) == (
            total, pages, page, 20)
        assert body["category"] == "python"
        assert {item["category"] for item in body["items"]} == {"python"}
        assert len(body["items"]) == (20 if page < pages else total - 20 * (pages - 1))
        seen += [item["id"] for item in body["items"]]
    assert seen == expected
    assert set(GUIDE_PRODUCTS) <= set(seen)

    beyond = client.get(f"/api/products?category=python&limit=20&page={pages + 1}")
    assert beyond.status_code == 200
    assert beyond.json["items"] == [] and beyond.json["total"] == total


def test_product_listing_without_category_covers_the_catalogue(client: FlaskClient) -> None:
    body = client.get("/api/products").json

    assert body["total"] == 1000
    assert body["pages"] == 50
    assert body["limit"] == 20 and body["page"] == 1 and body["category"] is None
    assert [item["id"] for item in body["items"]] == list(range(1, 21))


def test_product_listing_for_an_unknown_category_is_empty(client: FlaskClient) -> None:
    body = client.get("/api/products?category=no-such-category").json

    assert body["items"] == [] and body["total"] == 0 and body["pages"] == 0


def test_listed_product_fields_match_the_database(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        row = db.session.execute(text(
            "SELECT p.sku, p.name, p.price_cents, p.stock, p.featured, c.slug "
            "FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = 102"
        )).one()
        ratings = db.session.scalars(text("SELECT rating FROM reviews WHERE product_id = 102")).all()

    items = client.get("/api/products?category=python&limit=100").json["items"]
    (item,) = [i for i in items if i["id"] == 102]

    sku, name, cents, stock, featured, slug = row
    assert item == {
        "id": 102, "sku": sku, "name": name, "price_cents": cents,
        "price": f"{cents // 100}.{cents % 100:02d}", "stock": stock, "featured": bool(featured),
        "category": slug,
        "rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
        "review_count": len(ratings),
    }


@pytest.mark.parametrize("query, field", [
    ("limit=101", "limit"),
    ("limit=0", "limit"),
    ("limit=abc", "limit"),
    ("limit=2.5", "limit"),
    ("page=0", "page"),
    ("page=x", "page"),
    ("category=" + "p" * 65, "category"),
])
def test_product_listing_refuses_bad_parameters_naming_the_field(
    client: FlaskClient, query: str, field: str
) -> None:
    prefix = "" if query.startswith("category=") else "category=python&"
    response = client.get(f"/api/products?{prefix}{query}")

    assert response.status_code == 422
    assert response.mimetype == "application/json"
    assert response.json["field"] == field
    assert response.json["error"]


def test_limit_of_100_is_accepted(client: FlaskClient) -> None:
    response = client.get("/api/products?limit=100")

    assert response.status_code == 200
    assert len(response.json["items"]) == 100


@pytest.mark.parametrize("product_id", GUIDE_PRODUCTS)
def test_guide_products_have_a_detail_page(
    app: Flask, client: FlaskClient, product_id: int
) -> None:
    with app.app_context():
        name, description, cents = db.session.execute(text(
            "SELECT name, description, price_cents FROM products WHERE id = :id"
        ), {"id": product_id}).one()

    response = client.get(f"/api/products/{product_id}")

    assert response.status_code == 200
    body = response.json
    assert body["id"] == product_id
    assert body["category"] == "python"
    assert (body["name"], body["description"], body["price_cents"]) == (name, description, cents)


@pytest.mark.parametrize("product_id", ["0", "1001", "999999", "99999999999999999999"])
def test_unknown_product_is_404_json(client: FlaskClient, product_id: str) -> None:
    response = client.get(f"/api/products/{product_id}")

    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert "error" in response.json


def test_non_numeric_product_id_is_404(client: FlaskClient) -> None:
    response = client.get("/api/products/abc")

    assert response.status_code == 404
    assert response.mimetype == "application/json"


# -- cart ---------------------------------------------------------------------------------

def _price(app: Flask, product_id: int) -> int:
    return int(_scalar(app, "SELECT price_cents FROM products WHERE id = :id", id=product_id))


def test_add_to_cart_returns_the_cart_and_stores_it(
    app: Flask, client: FlaskClient, auth_headers: dict[str, str]
) -> None:
    price = _price(app, 101)

    response = client.post("/api/cart/items", json={"product_id": 101, "quantity": 2},
                           headers=auth_headers)

    assert response.status_code == 201
    assert response.json["items"] == [{
        "product_id": 101, "name": response.json["items"][0]["name"], "quantity": 2,
        "unit_price_cents": price, "line_total_cents": 2 * price,
    }]
    assert response.json["total_cents"] == 2 * price
    assert client.get("/api/cart", headers=auth_headers).json == response.json
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT u.email, c.product_id, c.quantity FROM cart_items c "
            "JOIN users u ON u.id = c.user_id"
        )).all()
    assert [tuple(r) for r in rows] == [(API_USER[0], 101, 2)]


def test_adding_the_same_product_twice_sums_the_quantity(
    app: Flask, client: FlaskClient, auth_headers: dict[str, str]
) -> None:
    client.post("/api/cart/items", json={"product_id": 103, "quantity": 2}, headers=auth_headers)
    client.post("/api/cart/items", json={"product_id": 105, "quantity": 1}, headers=auth_headers)

    response = client.post("/api/cart/items", json={"product_id": 103, "quantity": 3},
                           headers=auth_headers)

    assert response.status_code == 201
    lines = {i["product_id"]: i["quantity"] for i in response.json["items"]}
    assert lines == {103: 5, 105: 1}
    assert response.json["total_cents"] == 5 * _price(app, 103) + _price(app, 105)
    assert _scalar(app, "SELECT COUNT(*) FROM cart_items") == 2


def test_carts_are_per_user(client: FlaskClient, auth_headers: dict[str, str]) -> None:
    client.post("/api/cart/items", json={"product_id": 101, "quantity": 1}, headers=auth_headers)
    other = api_token(client, "api.loadtest+1@example.com", API_USER[1])

    response = client.get("/api/cart", headers=_bearer(other))

    assert response.json == {"items": [], "total_cents": 0}


@pytest.mark.parametrize("quantity", [0, -1, 100, "x", 1.5, True, None, [1]])
def test_add_to_cart_refuses_a_bad_quantity(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], quantity: Any
) -> None:
    response = client.post("/api/cart/items", json={"product_id": 101, "quantity": quantity},
                           headers=api_headers)

    assert response.status_code == 422
    assert response.json["field"] == "quantity"
    assert _scalar(app, "SELECT COUNT(*) FROM cart_items") == 0


@pytest.mark.parametrize("product_id", [999_999, 0, "abc", None, 99999999999999999999])
def test_add_to_cart_refuses_an_unknown_product(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], product_id: Any
) -> None:
    response = client.post("/api/cart/items", json={"product_id": product_id, "quantity": 1},
                           headers=api_headers)

    assert response.status_code == 422
    assert response.json["field"] == "product_id"
    assert _scalar(app, "SELECT COUNT(*) FROM cart_items") == 0


def test_add_to_cart_with_a_non_object_body_is_422(
    client: FlaskClient, auth_headers: dict[str, str]
) -> None:
    response = client.post("/api/cart/items", json=[101, 1], headers=auth_headers)

    assert response.status_code == 422
    assert response.json["field"] == "body"


# -- orders -------------------------------------------------------------------------------

def test_order_on_an_empty_cart_is_409(
    app: Flask, client: FlaskClient, auth_headers: dict[str, str]
) -> None:
    before = _scalar(app, "SELECT COUNT(*) FROM orders")

    response = client.post("/api/orders", json=_order(), headers=auth_headers)

    assert response.status_code == 409
    assert response.mimetype == "application/json"
    assert response.json["error"] == "cart is empty"
    assert _scalar(app, "SELECT COUNT(*) FROM orders") == before


def _without(address_field: str) -> dict[str, Any]:
    return {k: v for k, v in ADDRESS.items() if k != address_field}


@pytest.mark.parametrize("body, field", [
    (_order(shipping_address=_without("city")), "shipping_address.city"),
    (_order(shipping_address={**ADDRESS, "city": "   "}), "shipping_address.city"),
    (_order(shipping_address=_without("postal_code")), "shipping_address.postal_code"),
    (_order(shipping_address={**ADDRESS, "country": "USA"}), "shipping_address.country"),
    (_order(shipping_address={**ADDRESS, "country": "1X"}), "shipping_address.country"),
    (_order(shipping_address={**ADDRESS, "line1": 12}), "shipping_address.line1"),
    (_order(shipping_address="123 Testing Lane, Austin"), "shipping_address"),
    ({"payment_method": "card_token_test_visa"}, "shipping_address"),
    (_order(payment_method="paypal:me@example.com"), "payment_method"),
    (_order(payment_method=""), "payment_method"),
    (_order(payment_method=None), "payment_method"),
    (_order(notes="x" * 501), "notes"),
])
def test_invalid_order_is_422_naming_the_field_and_keeps_the_cart(
    app: Flask, client: FlaskClient, api_headers: dict[str, str],
    body: dict[str, Any], field: str,
) -> None:
    client.post("/api/cart/items", json={"product_id": 101, "quantity": 1}, headers=api_headers)
    before = _scalar(app, "SELECT COUNT(*) FROM orders")

    response = client.post("/api/orders", json=body, headers=api_headers)

    assert response.status_code == 422
    assert response.json["field"] == field
    assert _scalar(app, "SELECT COUNT(*) FROM orders") == before
    assert len(client.get("/api/cart", headers=api_headers).json["items"]) == 1


def test_valid_order_is_stored_with_the_cart_total_and_empties_the_cart(
    app: Flask, client: FlaskClient, auth_headers: dict[str, str]
) -> None:
    for product_id, quantity in [(101, 2), (104, 1), (101, 1)]:
        client.post("/api/cart/items", json={"product_id": product_id, "quantity": quantity},
                    headers=auth_headers)
    cart = client.get("/api/cart", headers=auth_headers).json
    expected_total = 3 * _price(app, 101) + _price(app, 104)
    assert cart["total_cents"] == expected_total

    address = {**ADDRESS, "country": "us"}
    response = client.post("/api/orders", json=_order(shipping_address=address),
                           headers=auth_headers)

    assert response.status_code == 201
    body = response.json
    assert body["status"] == "placed"
    assert body["total_cents"] == expected_total
    assert body["total_cents"] == sum(i["quantity"] * i["unit_price_cents"] for i in body["items"])
    assert [(i["product_id"], i["quantity"]) for i in body["items"]] == [(101, 3), (104, 1)]
    assert client.get("/api/cart", headers=auth_headers).json == {"items": [], "total_cents": 0}
    with app.app_context():
        email, total, status, shipping, payment, notes = db.session.execute(text(
            "SELECT u.email, o.total_cents, o.status, o.shipping_address, o.payment_method, "
            "o.notes FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id = :id"
        ), {"id": body["id"]}).one()
        lines = db.session.execute(text(
            "SELECT product_id, quantity, unit_price_cents FROM order_items "
            "WHERE order_id = :id ORDER BY product_id"
        ), {"id": body["id"]}).all()
        seeded_max = db.session.scalar(text("SELECT MAX(id) FROM orders WHERE id <> :id"),
                                       {"id": body["id"]})
    assert (email, total, status, payment) == (API_USER[0], expected_total, "placed",
                                               "card_token_test_visa")
    assert notes == "Please leave at front desk"
    assert json.loads(shipping) == {**ADDRESS, "country": "US"}
    assert [tuple(r) for r in lines] == [(101, 3, _price(app, 101)), (104, 1, _price(app, 104))]
    assert body["id"] > seeded_max
    # The cart was claimed: a second checkout has nothing to buy.
    assert client.post("/api/orders", json=_order(), headers=auth_headers).status_code == 409


def test_order_appears_on_the_users_dashboard(
    app: Flask, client: FlaskClient, auth_headers: dict[str, str]
) -> None:
    client.post("/api/cart/items", json={"product_id": 102, "quantity": 1}, headers=auth_headers)
    order_id = client.post("/api/orders", json=_order(), headers=auth_headers).json["id"]

    assert login(client, *API_USER).status_code == 302
    page = client.get("/dashboard").get_data(as_text=True)

    assert f"<tr><td>#{order_id}</td>" in page
