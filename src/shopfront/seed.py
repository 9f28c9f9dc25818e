"""``flask --app shopfront init-db --scale N``: a fresh schema and a realistic, repeatable data set.

Scale 1 holds 1,000 products and 2,000 orders; every quantity grows linearly with the scale,
up to ``MAX_SCALE`` (100,000 products, 200,000 orders). The same scale and seed always give
the same rows, so runs against different profiles see the same data.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import Table, func, select
from werkzeug.security import generate_password_hash

from shopfront import models, profiles
from shopfront.extensions import db

MAX_SCALE = 100
BATCH = 5_000

# The accounts the guide's four Locust scripts log in with: (email, password, name, admin).
GUIDE_ACCOUNTS = [
    ("loadtest.user@example.com", "SuperSecurePass123!", "Load Test User", False),
    ("api.loadtest@example.com", "StrongPassword456!", "API Load Test", False),
    ("admin.loadtest@example.com", "AdminPass789!", "Admin Load Test", True),
]
# A pool of API shoppers for load tests that need one cart per simulated user
# (api.loadtest+1@example.com ... +POOL_SIZE), all with the guide's API password.
POOL_SIZE = 500
POOL_PASSWORD = "StrongPassword456!"  # nosec B105  # the demo's documented test password

CATEGORIES = [
    ("python", "Python"), ("books", "Books"), ("laptops", "Laptops"), ("audio", "Audio"),
    ("cameras", "Cameras"), ("garden", "Garden"), ("kitchen", "Kitchen"), ("toys", "Toys"),
    ("sports", "Sports"), ("office", "Office"), ("games", "Games"), ("outdoor", "Outdoor"),
]
ADJECTIVES = ["Compact", "Classic", "Pro", "Ultra", "Eco", "Smart", "Rugged", "Deluxe",
              "Mini", "Heavy-duty", "Wireless", "Vintage", "Modular", "Portable"]
NOUNS = ["Widget", "Notebook", "Speaker", "Lens", "Kettle", "Backpack", "Keyboard", "Lamp",
         "Tent", "Puzzle", "Racket", "Headset", "Planter", "Monitor", "Guide", "Toolkit"]
STATUSES = ["placed", "paid", "shipped", "delivered", "refunded"]
STATUS_WEIGHTS = [10, 15, 25, 45, 5]
ORDERS_FROM = datetime(2024, 7, 1)  # orders span July 2024 to June 2025, 2025-01 included
ORDER_DAYS = 365


@dataclass(frozen=True)
class Volume:
    products: int
    orders: int
    customers: int
    posts: int
    staff: int = 12

    @classmethod
    def at(cls, scale: int) -> Volume:
        return cls(products=1_000 * scale, orders=2_000 * scale, customers=100 * scale,
                   posts=max(40, 10 * scale))


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db_command)


@click.command("init-db")
@click.option("--scale", type=click.IntRange(1, MAX_SCALE), default=1, show_default=True,
              help=f"Data volume: 1,000 products and 2,000 orders per unit (max {MAX_SCALE}).")
@click.option("--seed", "rng_seed", type=int, default=42, show_default=True,
              help="Random seed; the same seed and scale give the same data.")
@with_appcontext
def init_db_command(scale: int, rng_seed: int) -> None:
    """Drop and re-create every table, then seed SCALE units of data."""
    started = time.perf_counter()
    counts = init_db(scale, rng_seed)
    summary = ", ".join(f"{n:,} {name}" for name, n in counts.items())
    click.echo(f"Seeded scale {scale} in {time.perf_counter() - started:.1f}s: {summary}")


def init_db(scale: int = 1, rng_seed: int = 42) -> dict[str, int]:
    db.drop_all()
    db.create_all()
    counts = seed(scale, rng_seed)
    with db.engine.begin() as conn:
        profiles.apply_schema(conn, current_app.config["SHOPFRONT_PROFILE"])
    return counts


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(scale: int, rng_seed: int) -> dict[str, int]:
    rng = random.Random(rng_seed)  # nosec B311  # reproducible demo data, not secrets
    volume = Volume.at(scale)
    counts: dict[str, int] = {}
    with db.engine.begin() as conn:

        def insert(model: Any, rows: Iterator[dict[str, Any]]) -> None:
            table: Table = model.__table__
            n = 0
            for batch in _batches(rows):
                conn.execute(table.insert(), batch)
                n += len(batch)
            counts[table.name] = counts.get(table.name, 0) + n

        insert(models.Category, (
            {"id": i, "slug": slug, "name": name} for i, (slug, name) in enumerate(CATEGORIES, 1)
        ))
        insert(models.User, _users(volume))
        prices: dict[int, int] = {}
        insert(models.Product, _products(rng, volume, prices))
        insert(models.Review, _reviews(rng, volume))
        insert(models.Post, _posts(rng, volume))
        insert(models.Comment, _comments(rng, volume))
        order_items: list[dict[str, Any]] = []
        insert(models.Order, _orders(rng, volume, prices, order_items))
        insert(models.OrderItem, iter(order_items))
        insert(models.Notification, _notifications())
        insert(models.Customer, (
            {"id": i, "external_id": f"crm_{i:05d}", "name": f"Customer {i}",
             "email": f"ops{i}@customer.example", "plan": rng.choice(["free", "pro", "enterprise"]),
             "source": "seed", "updated_at": ORDERS_FROM}
            for i in range(1, volume.customers + 1)
        ))
        if conn.dialect.name == "postgresql":
            for table in db.metadata.sorted_tables:
                if "id" in table.c:
                    highest = select(func.coalesce(func.max(table.c.id), 0)).scalar_subquery()
                    conn.execute(select(func.setval(
                        func.pg_get_serial_sequence(table.name, "id"), highest + 1, False)))
    return counts


def _users(volume: Volume) -> Iterator[dict[str, Any]]:
    now = ORDERS_FROM
    uid = 0
    for email, password, name, admin in GUIDE_ACCOUNTS:
        uid += 1
        yield {"id": uid, "email": email, "name": name, "is_admin": admin,
               "password_hash": generate_password_hash(password), "created_at": now}
    pool_hash = generate_password_hash(POOL_PASSWORD)
    for n in range(1, POOL_SIZE + 1):
        uid += 1
        yield {"id": uid, "email": f"api.loadtest+{n}@example.com", "name": f"API Shopper {n}",
               "is_admin": False, "password_hash": pool_hash, "created_at": now}
    # Staff (blog authors) and ordinary customers cannot log in: nobody knows the password.
    locked_hash = generate_password_hash(random.SystemRandom().getrandbits(128).to_bytes(16).hex())
    for n in range(1, volume.staff + 1):
        uid += 1
        yield {"id": uid, "email": f"staff{n}@shopfront.example", "name": f"Staff Writer {n}",
               "is_admin": False, "password_hash": locked_hash, "created_at": now}
    for n in range(1, volume.customers + 1):
        uid += 1
        yield {"id": uid, "email": f"customer{n}@example.com", "name": f"Customer {n}",
               "is_admin": False, "password_hash": locked_hash, "created_at": now}


def _staff_ids(volume: Volume) -> range:
    first = len(GUIDE_ACCOUNTS) + POOL_SIZE + 1
    return range(first, first + volume.staff)


def _customer_ids(volume: Volume) -> range:
    first = _staff_ids(volume).stop
    return range(first, first + volume.customers)


def _products(rng: random.Random, volume: Volume,
              prices: dict[int, int]) -> Iterator[dict[str, Any]]:
    for pid in range(1, volume.products + 1):
        price = rng.randint(199, 49_999)
        prices[pid] = price
        category = 1 if 101 <= pid <= 105 else rng.randint(1, len(CATEGORIES))
        yield {
            "id": pid, "category_id": category, "sku": f"SKU-{pid:07d}",
            "name": f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {pid}",
            "description": f"A dependable {rng.choice(NOUNS).lower()} for everyday use.",
            "price_cents": price, "stock": rng.randint(0, 500),
            "featured": pid % 97 == 5, "created_at": ORDERS_FROM,
        }


def _reviews(rng: random.Random, volume: Volume) -> Iterator[dict[str, Any]]:
    rid = 0
    for pid in range(1, volume.products + 1):
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            rid += 1
            yield {"id": rid, "product_id": pid, "rating": rng.randint(1, 5),
                   "body": "Does what it says."}


def _posts(rng: random.Random, volume: Volume) -> Iterator[dict[str, Any]]:
    staff = _staff_ids(volume)
    for n in range(1, volume.posts + 1):
        yield {
            "id": n, "author_id": rng.choice(staff),
            "title": f"Shop notes #{n}: {rng.choice(ADJECTIVES).lower()} {rng.choice(NOUNS).lower()}s",
            "body": "What we learned this week about shipping, stock and our customers. " * 6,
            "published_at": ORDERS_FROM + timedelta(hours=n * 7),
        }


def _comments(rng: random.Random, volume: Volume) -> Iterator[dict[str, Any]]:
    cid = 0
    for post_id in range(1, volume.posts + 1):
        for _ in range(rng.randint(0, 20)):
            cid += 1
            yield {"id": cid, "post_id": post_id, "author_name": f"Reader {rng.randint(1, 999)}",
                   "body": "Thanks for sharing!", "created_at": ORDERS_FROM}


def _orders(rng: random.Random, volume: Volume, prices: dict[int, int],
            items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    customers = _customer_ids(volume)
    buyers = [1, 2]  # the guide's session and API users have an order history too
    address = {"full_name": "Seed Customer", "line1": "1 Main St", "city": "Austin",
               "state": "TX", "postal_code": "78701", "country": "US"}
    statuses = rng.choices(STATUSES, STATUS_WEIGHTS, k=volume.orders)
    item_id = 0
    for oid in range(1, volume.orders + 1):
        total = 0
        for pid in rng.sample(range(1, volume.products + 1), rng.randint(1, 4)):
            item_id += 1
            qty = rng.randint(1, 3)
            total += qty * prices[pid]
            items.append({"id": item_id, "order_id": oid, "product_id": pid, "quantity": qty,
                          "unit_price_cents": prices[pid]})
        created = ORDERS_FROM + timedelta(seconds=rng.randrange(ORDER_DAYS * 86_400))
        yield {
            "id": oid, "user_id": buyers[oid % 2] if oid <= 40 else rng.choice(customers),
            "status": statuses[oid - 1], "total_cents": total, "shipping_address": address,
            "payment_method": "card_token_seed", "notes": "", "created_at": created,
        }


def _notifications() -> Iterator[dict[str, Any]]:
    nid = 0
    for uid in range(1, len(GUIDE_ACCOUNTS) + 1):
        for n in range(1, 8):
            nid += 1
            yield {"id": nid, "user_id": uid, "message": f"Your weekly digest #{n} is ready",
                   "read": n <= 3, "created_at": ORDERS_FROM + timedelta(days=n)}
