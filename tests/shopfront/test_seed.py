"""``flask init-db --scale N``: a fresh, realistic and repeatable data set."""

from __future__ import annotations

import hashlib
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import inspect, text

from conftest import ADMIN_USER, API_USER, SESSION_USER, MakeApp, api_token, login
from shopfront.extensions import db
from shopfront.profiles import CATEGORY_INDEX

# Tables whose rows are fully determined by the scale and the seed (users hold salted hashes).
DATA_TABLES = ["categories", "products", "reviews", "posts", "comments", "orders",
               "order_items", "notifications", "customers"]


def _count(app: Flask, table: str) -> int:
    with app.app_context():
        return int(db.session.scalar(text(f"SELECT COUNT(*) FROM {table}")))


def _fingerprint(app: Flask) -> dict[str, str]:
    digests = {}
    with app.app_context():
        for table in DATA_TABLES:
            rows = db.session.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
            digests[table] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
        users = db.session.execute(text(
            "SELECT id, email, name, is_admin FROM users ORDER BY id")).all()
        digests["users"] = hashlib.sha256(repr([tuple(r) for r in users]).encode()).hexdigest()
    return digests


def test_init_db_reports_what_it_seeded_and_the_database_holds_it(
    app: Flask, runner: FlaskCliRunner
) -> None:
    with app.app_context():  # something to be dropped: init-db starts from scratch
        db.session.execute(text("INSERT INTO categories (id, slug, name) VALUES (99, 'x', 'X')"))
        db.session.commit()

    result = runner.invoke(args=["init-db", "--scale", "1"])

    assert result.exit_code == 0, result.output
    assert re.match(r"^Seeded scale 1 in \d+\.\ds: ", result.output)
    parts = result.output.strip().split(": ", 1)[1].split(", ")
    reported = {name: int(n.replace(",", "")) for n, name in (p.split(" ") for p in parts)}
    assert reported["products"] == 1000
    assert reported["orders"] == 2000
    assert reported["customers"] == 100
    assert reported["categories"] == 12
    assert reported["users"] == 3 + 500 + 12 + 100  # guide accounts, pool, staff, customers
    assert reported["posts"] == 40
    for table, n in reported.items():
        assert _count(app, table) == n, table
    assert "1,000 products" in result.output and "2,000 orders" in result.output


def test_init_db_on_the_tuned_profile_creates_the_category_index(
    app: Flask, runner: FlaskCliRunner
) -> None:
    assert runner.invoke(args=["init-db"]).exit_code == 0

    with app.app_context():
        names = {ix["name"] for ix in inspect(db.engine).get_indexes("products")}
    assert CATEGORY_INDEX in names


def test_same_seed_gives_the_same_data_and_another_seed_other_data(
    app: Flask, runner: FlaskCliRunner
) -> None:
    original = _fingerprint(app)  # the session's seed: scale 1, seed 42

    assert runner.invoke(args=["init-db", "--scale", "1", "--seed", "42"]).exit_code == 0
    assert _fingerprint(app) == original

    assert runner.invoke(args=["init-db", "--scale", "1", "--seed", "7"]).exit_code == 0
    other = _fingerprint(app)
    assert other["products"] != original["products"]
    assert other["orders"] != original["orders"]
    assert other["users"] == original["users"]  # the same accounts, whatever the seed


@pytest.mark.parametrize("scale", ["0", "101", "big"])
def test_init_db_refuses_a_scale_out_of_range_and_keeps_the_data(
    app: Flask, runner: FlaskCliRunner, scale: str
) -> None:
    with app.app_context():
        db.session.execute(text("DELETE FROM notifications"))
        db.session.commit()

    result = runner.invoke(args=["init-db", "--scale", scale])

    assert result.exit_code == 2
    assert "--scale" in result.output
    assert _count(app, "notifications") == 0  # nothing was re-seeded
    assert _count(app, "products") == 1000


@pytest.mark.parametrize("email, password, is_admin", [
    (*SESSION_USER, False),
    (*API_USER, False),
    (*ADMIN_USER, True),
])
def test_the_guide_accounts_log_in_with_the_guides_passwords(
    app: Flask, client: FlaskClient, email: str, password: str, is_admin: bool
) -> None:
    with app.app_context():
        flag = db.session.scalar(text("SELECT is_admin FROM users WHERE email = :e"),
                                 {"e": email})
    assert bool(flag) is is_admin

    assert login(client, email, password).status_code == 302
    report = client.get("/reports/monthly-summary?month=2025-01&format=json")
    assert report.status_code == (200 if is_admin else 403)
    assert api_token(client, email, password)


def test_exactly_one_guide_account_is_an_admin(app: Flask) -> None:
    with app.app_context():
        admins = db.session.scalars(text("SELECT email FROM users WHERE is_admin")).all()
    assert admins == [ADMIN_USER[0]]


@pytest.mark.parametrize("n", [1, 250, 500])
def test_pool_shoppers_log_in_with_the_api_password(client: FlaskClient, n: int) -> None:
    assert api_token(client, f"api.loadtest+{n}@example.com", API_USER[1])


def test_no_pool_shopper_beyond_the_pool(client: FlaskClient) -> None:
    response = client.post("/api/auth/login", json={"email": "api.loadtest+501@example.com",
                                                    "password": API_USER[1]})
    assert response.status_code == 401


def test_guide_products_exist_in_the_python_category(app: Flask) -> None:
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT p.id, c.slug FROM products p JOIN categories c ON c.id = p.category_id "
            "WHERE p.id BETWEEN 101 AND 105 ORDER BY p.id"
        )).all()
    assert [tuple(r) for r in rows] == [(pid, "python") for pid in range(101, 106)]


def test_orders_span_a_year_including_january_2025(app: Flask) -> None:
    with app.app_context():
        first, last = db.session.execute(text(
            "SELECT MIN(created_at), MAX(created_at) FROM orders")).one()
        january = db.session.scalar(text(
            "SELECT COUNT(*) FROM orders WHERE created_at >= '2025-01-01' "
            "AND created_at < '2025-02-01'"))
        mismatched = db.session.scalar(text(
            "SELECT COUNT(*) FROM orders o WHERE o.total_cents <> (SELECT SUM(quantity * "
            "unit_price_cents) FROM order_items i WHERE i.order_id = o.id)"))
    assert str(first) >= "2024-07-01" and str(last) < "2025-07-01"
    assert january > 100
    assert mismatched == 0  # every order's total is the sum of its lines


def test_guide_users_have_an_order_history_and_notifications(app: Flask) -> None:
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT u.email, (SELECT COUNT(*) FROM orders o WHERE o.user_id = u.id), "
            "(SELECT COUNT(*) FROM notifications n WHERE n.user_id = u.id AND NOT n.read) "
            "FROM users u WHERE u.id <= 3 ORDER BY u.id")).all()
    assert [tuple(r) for r in rows] == [
        (SESSION_USER[0], 20, 4), (API_USER[0], 20, 4), (ADMIN_USER[0], 0, 4)]


def test_seeded_data_is_the_same_for_both_profiles(make_app: MakeApp) -> None:
    assert _fingerprint(make_app("naive")) == _fingerprint(make_app("tuned"))
