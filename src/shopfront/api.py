"""The JSON API with JWT bearer tokens: login, catalogue, cart, checkout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import flask_jwt_extended
from flask import Blueprint, Response, abort, jsonify, request
from flask_jwt_extended import JWTManager, create_access_token, get_jwt_identity
from sqlalchemy import delete, select

from shopfront import profiles
from shopfront.errors import Conflict, ValidationError
from shopfront.extensions import db
from shopfront.models import CartItem, Order, OrderItem, Product, User
from shopfront.params import int_param, json_object, str_field
from shopfront.sql import upsert

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_QUANTITY = 99
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL; larger ones cannot exist
ADDRESS_FIELDS = {  # field -> (required, max length)
    "full_name": (True, 120), "line1": (True, 200), "line2": (False, 200),
    "city": (True, 100), "state": (False, 100), "postal_code": (True, 20),
    "country": (True, 2),
}

F = TypeVar("F", bound=Callable[..., Any])


def jwt_required(*, optional: bool = False) -> Callable[[F], F]:
    """Flask-JWT-Extended's ``jwt_required``, keeping the view's type (the library's is Any)."""
    return cast(Callable[[F], F], flask_jwt_extended.jwt_required(optional=optional))


def init_jwt(jwt: JWTManager) -> None:
    """Every token problem is a 401 with a JSON reason (the library default is 422 for some)."""

    def unauthorized(reason: str) -> tuple[Response, int]:
        return jsonify(error=reason), 401

    jwt.unauthorized_loader(lambda msg: unauthorized(f"missing token: {msg}"))
    jwt.invalid_token_loader(lambda msg: unauthorized(f"invalid token: {msg}"))
    jwt.expired_token_loader(lambda header, payload: unauthorized("token expired"))
    jwt.user_lookup_error_loader(lambda header, payload: unauthorized("unknown user"))

    @jwt.user_lookup_loader
    def _lookup(header: dict[str, Any], payload: dict[str, Any]) -> User | None:
        return db.session.get(User, int(payload["sub"]))


def _body() -> dict[str, Any]:
    return json_object(request.get_json(silent=True))


def _user_id() -> int:
    return int(get_jwt_identity())


@bp.post("/auth/login")
def login() -> tuple[Response, int]:
    data = _body()
    email = str_field(data, "email", max_length=255).lower()
    password = str_field(data, "password")
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.check_password(password):
        return jsonify(error="invalid email or password"), 401
    token = create_access_token(identity=str(user.id))
    kind = "Bearer"  # OAuth's name of the token type (bandit took it for a password)
    return jsonify(access_token=token, token_type=kind), 200


@bp.get("/products")
@jwt_required(optional=True)
def products() -> Response:
    category = request.args.get("category") or None
    if category is not None and len(category) > 64:
        raise ValidationError("category", "must be at most 64 characters")
    limit = int_param(request.args.get("limit"), "limit", default=20, low=1, high=100)
    page = int_param(request.args.get("page"), "page", default=1, low=1, high=100_000)
    return jsonify(profiles.product_page(category, page, limit))


@bp.get("/products/<int:product_id>")
@jwt_required(optional=True)
def product(product_id: int) -> Response:
    item = profiles.product_detail(product_id) if product_id <= MAX_ID else None
    if item is None:
        abort(404, f"no product {product_id}")
    return jsonify(item)


def _cart(user_id: int) -> dict[str, Any]:
    rows = db.session.execute(
        select(CartItem.product_id, CartItem.quantity, Product.name, Product.price_cents)
        .join(Product, CartItem.product_id == Product.id)
        .where(CartItem.user_id == user_id).order_by(CartItem.product_id)
    ).all()
    items = [
        {"product_id": pid, "name": name, "quantity": qty, "unit_price_cents": price,
         "line_total_cents": qty * price}
        for pid, qty, name, price in rows
    ]
    return {"items": items, "total_cents": sum(i["line_total_cents"] for i in items)}


@bp.get("/cart")
@jwt_required()
def cart() -> Response:
    return jsonify(_cart(_user_id()))


@bp.post("/cart/items")
@jwt_required()
def add_to_cart() -> tuple[Response, int]:
    data = _body()
    product_id = int_param(data.get("product_id"), "product_id", low=1, high=MAX_ID)
    quantity = int_param(data.get("quantity"), "quantity", low=1, high=MAX_QUANTITY)
    if db.session.get(Product, product_id) is None:
        raise ValidationError("product_id", f"no product {product_id}")
    user_id = _user_id()
    table = CartItem.__table__
    db.session.execute(upsert(
        table,
        [{"user_id": user_id, "product_id": product_id, "quantity": quantity}],
        key=["user_id", "product_id"],
        update={"quantity": lambda excluded: table.c.quantity + excluded.quantity},
    ))
    db.session.commit()
    return jsonify(_cart(user_id)), 201


def _shipping_address(raw: Any) -> dict[str, str]:
    data = json_object(raw, "shipping_address")
    address = {}
    for field, (required, max_length) in ADDRESS_FIELDS.items():
        value = str_field(data, field, prefix="shipping_address.", required=required,
                          max_length=max_length)
        if value:
            address[field] = value
    if not address["country"].isalpha() or len(address["country"]) != 2:
        raise ValidationError("shipping_address.country", "must be a two-letter country code")
    address["country"] = address["country"].upper()
    return address


@bp.post("/orders")
@jwt_required()
def create_order() -> tuple[Response, int]:
    data = _body()
    address = _shipping_address(data.get("shipping_address"))
    payment_method = str_field(data, "payment_method", max_length=64)
    if not payment_method.startswith("card_token_"):
        raise ValidationError("payment_method", "must be a card token (card_token_...)")
    notes = str_field(data, "notes", required=False, max_length=500)
    user_id = _user_id()
    # Claim the cart atomically: two concurrent checkouts cannot both take the same items.
    claimed = db.session.execute(
        delete(CartItem).where(CartItem.user_id == user_id)
        .returning(CartItem.product_id, CartItem.quantity)
    ).all()
    if not claimed:
        db.session.rollback()
        raise Conflict("cart is empty", hint="add items with POST /api/cart/items first")
    prices = dict(db.session.execute(
        select(Product.id, Product.price_cents).where(Product.id.in_([p for p, _ in claimed]))
    ).all())
    items = [OrderItem(product_id=pid, quantity=qty, unit_price_cents=prices[pid])
             for pid, qty in sorted(claimed)]
    order = Order(
        user_id=user_id, status="placed", shipping_address=address,
        payment_method=payment_method, notes=notes,
        total_cents=sum(i.quantity * i.unit_price_cents for i in items), items=items,
    )
    db.session.add(order)
    db.session.commit()
    return jsonify(
        id=order.id, status=order.status, total_cents=order.total_cents,
        items=[{"product_id": i.product_id, "quantity": i.quantity,
                "unit_price_cents": i.unit_price_cents} for i in items],
    ), 201
