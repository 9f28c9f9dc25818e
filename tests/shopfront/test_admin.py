"""Admin workflows: document upload, the monthly report, the customer import."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

from conftest import ADMIN_USER, MakeApp, csrf_token, login
from shopfront.extensions import db

GUIDE_CSV = (b"Invoice ID,Customer,Amount,Date\n"
             b"1001,Acme Corp,1499.00,2025-01-10\n1002,Globex,799.00,2025-01-11\n")
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.csv$")
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
GUIDE_IMPORT = {
    "source": "crm_sync",
    "customers": [
        {"external_id": "crm_10001", "name": "Acme Corporation", "email": "ops@acme.example",
         "plan": "enterprise"},
        {"external_id": "crm_10002", "name": "Globex Inc", "email": "it@globex.example",
         "plan": "pro"},
    ],
}


def _scalar(app: Flask, sql: str, **params: Any) -> Any:
    with app.app_context():
        return db.session.scalar(text(sql), params)


def _upload(client: FlaskClient, content: bytes, filename: str = "invoices.csv", *,
            document_type: str = "invoice_batch", token: str | None = "fetch",
            accept: str = "text/html", **form: str) -> TestResponse:
    data: dict[str, Any] = {"file": (io.BytesIO(content), filename, "text/csv"),
                            "document_type": document_type, **form}
    if token == "fetch":
        token = csrf_token(client)
    if token is not None:
        data["csrf_token"] = token
    return client.post("/documents/upload", data=data, content_type="multipart/form-data",
                       headers={"Accept": accept})


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _tree(root: Path) -> set[Path]:
    """Every file under root, except the SQLite database and its journals."""
    return {p for p in root.rglob("*") if p.is_file() and ".db" not in p.name}


# -- document upload ----------------------------------------------------------------------

def test_upload_counts_rows_and_stores_the_file_under_a_random_name(
    app: Flask, admin_client: FlaskClient, uploads: Path
) -> None:
    response = _upload(admin_client, GUIDE_CSV, notify_on_completion="true")

    assert response.status_code == 201
    body = response.json
    assert body["rows"] == 2  # the header row is not counted
    assert body["columns"] == ["Invoice ID", "Customer", "Amount", "Date"]
    assert body["document_type"] == "invoice_batch"
    assert body["size_bytes"] == len(GUIDE_CSV)
    assert body["original_name"] == "invoices.csv"
    (stored,) = _files(uploads)
    assert STORED_NAME.match(stored)
    assert "invoices" not in stored
    assert (uploads / stored).read_bytes() == GUIDE_CSV
    with app.app_context():
        row = db.session.execute(text(
            "SELECT d.stored_name, d.original_name, d.rows, d.size_bytes, d.notify_on_completion, "
            "u.email FROM documents d JOIN users u ON u.id = d.uploaded_by WHERE d.id = :id"
        ), {"id": body["id"]}).one()
    assert tuple(row) == (stored, "invoices.csv", 2, len(GUIDE_CSV), 1, ADMIN_USER[0])


def test_two_uploads_of_the_same_name_keep_both_files(
    admin_client: FlaskClient, uploads: Path
) -> None:
    first = _upload(admin_client, GUIDE_CSV)
    second = _upload(admin_client, b"a,b\n1,2\n")

    assert first.status_code == second.status_code == 201
    assert len(_files(uploads)) == 2
    assert first.json["id"] != second.json["id"]


def test_upload_ignores_blank_lines_and_a_byte_order_mark(admin_client: FlaskClient) -> None:
    content = "\ufeffsku,qty\n\nSKU-1,2\n , \nSKU-2,3\n\n".encode()

    response = _upload(admin_client, content)

    assert response.status_code == 201
    assert response.json["columns"] == ["sku", "qty"]
    assert response.json["rows"] == 2


@pytest.mark.parametrize("filename", [
    "../../etc/passwd.csv",
    "..\\..\\etc\\passwd.csv",
    "/etc/passwd.csv",
    "uploads/../../escape.csv",
])
def test_path_traversal_in_the_file_name_writes_nothing_outside_the_upload_folder(
    tmp_path: Path, admin_client: FlaskClient, uploads: Path, filename: str
) -> None:
    before = _tree(tmp_path)

    response = _upload(admin_client, GUIDE_CSV, filename)

    assert response.status_code == 201
    assert "/" not in response.json["original_name"]
    assert "\\" not in response.json["original_name"]
    new = _tree(tmp_path) - before
    assert len(new) == 1
    (path,) = new
    assert path.parent == uploads
    assert STORED_NAME.match(path.name)
    assert not (tmp_path / "etc").exists()
    assert not (tmp_path.parent / "etc").exists()
    assert not (tmp_path / "escape.csv").exists()


def test_upload_over_the_size_limit_is_413(make_app: MakeApp) -> None:
    app = make_app(MAX_CONTENT_LENGTH=1024)
    client = app.test_client()
    assert login(client, *ADMIN_USER).status_code == 302
    token = csrf_token(client)
    content = b"id,payload\n" + b"".join(b"%d,%s\n" % (i, b"x" * 60) for i in range(64))
    assert len(content) > 1024

    response = _upload(client, content, token=token)

    assert response.status_code == 413
    assert _files(Path(app.config["UPLOAD_FOLDER"])) == []
    assert _scalar(app, "SELECT COUNT(*) FROM documents") == 0
    # Just under the limit is accepted.
    assert _upload(client, GUIDE_CSV, token=token).status_code == 201


def test_upload_by_a_non_admin_is_403(
    app: Flask, user_client: FlaskClient, uploads: Path
) -> None:
    response = _upload(user_client, GUIDE_CSV)

    assert response.status_code == 403
    assert _files(uploads) == []
    assert _scalar(app, "SELECT COUNT(*) FROM documents") == 0


def test_anonymous_upload_is_401(app: Flask, client: FlaskClient, uploads: Path) -> None:
    response = _upload(client, GUIDE_CSV)

    assert response.status_code == 401
    assert _files(uploads) == []
    assert _scalar(app, "SELECT COUNT(*) FROM documents") == 0


@pytest.mark.parametrize("content, filename, document_type, field", [
    ("Kunde,Straße\nMüller,Hauptstraße 1\n".encode("latin-1"), "kunden.csv", "invoice_batch",
     "file"),
    (b"\xff\xfe\x00a\x00,\x00b", "utf16.csv", "invoice_batch", "file"),
    (GUIDE_CSV, "invoices.txt", "invoice_batch", "file"),
    (GUIDE_CSV, "invoices.csv.exe", "invoice_batch", "file"),
    (GUIDE_CSV, "invoices", "invoice_batch", "file"),
    (b"", "empty.csv", "invoice_batch", "file"),
    (b"\n \n", "blank.csv", "invoice_batch", "file"),
    (GUIDE_CSV, "invoices.csv", "Invoice Batch", "document_type"),
    (GUIDE_CSV, "invoices.csv", "", "document_type"),
    (GUIDE_CSV, "invoices.csv", "../etc", "document_type"),
])
def test_upload_refuses_what_is_not_a_utf8_csv_naming_the_field(
    app: Flask, admin_client: FlaskClient, uploads: Path,
    content: bytes, filename: str, document_type: str, field: str,
) -> None:
    response = _upload(admin_client, content, filename, document_type=document_type,
                       accept="application/json")

    assert response.status_code == 422
    assert response.json["field"] == field
    assert _files(uploads) == []
    assert _scalar(app, "SELECT COUNT(*) FROM documents") == 0


def test_upload_without_a_file_is_422(admin_client: FlaskClient, uploads: Path) -> None:
    response = admin_client.post("/documents/upload", data={
        "document_type": "invoice_batch", "csrf_token": csrf_token(admin_client)})

    assert response.status_code == 422
    assert _files(uploads) == []


def test_upload_error_is_a_page_for_a_browser(admin_client: FlaskClient) -> None:
    response = _upload(admin_client, GUIDE_CSV, "invoices.txt")

    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "must be a .csv file" in response.get_data(as_text=True)


# -- monthly report -----------------------------------------------------------------------

def _month_from_db(app: Flask, start: str, end: str) -> tuple[int, int, int]:
    with app.app_context():
        orders, revenue = db.session.execute(text(
            "SELECT COUNT(*), COALESCE(SUM(total_cents), 0) FROM orders "
            "WHERE created_at >= :start AND created_at < :end"
        ), {"start": start, "end": end}).one()
        units = db.session.scalar(text(
            "SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i "
            "JOIN orders o ON o.id = i.order_id WHERE o.created_at >= :start AND o.created_at < :end"
        ), {"start": start, "end": end})
    return int(orders), int(revenue), int(units)


@pytest.mark.parametrize("month, start, end", [
    ("2025-01", "2025-01-01", "2025-02-01"),
    ("2024-12", "2024-12-01", "2025-01-01"),  # the month that ends at a new year
])
def test_monthly_report_aggregates_the_orders_of_the_month(
    make_app: MakeApp, profile: str, month: str, start: str, end: str
) -> None:
    app = make_app(profile)
    client = app.test_client()
    assert login(client, *ADMIN_USER).status_code == 302
    orders, revenue, units = _month_from_db(app, start, end)
    assert orders > 0

    response = client.get(f"/reports/monthly-summary?month={month}&format=json")

    assert response.status_code == 200
    body = response.json
    assert body["month"] == month
    assert (body["orders"], body["revenue_cents"], body["units"]) == (orders, revenue, units)
    assert body["average_order_cents"] == revenue // orders
    assert sum(body["by_status"].values()) == orders
    assert set(body["by_status"]) <= {"placed", "paid", "shipped", "delivered", "refunded"}
    assert all(day["date"].startswith(month) for day in body["by_day"])
    assert sum(day["orders"] for day in body["by_day"]) == orders
    assert sum(day["revenue_cents"] for day in body["by_day"]) == revenue
    top = body["top_products"]
    assert len(top) == 5
    assert [p["revenue_cents"] for p in top] == sorted((p["revenue_cents"] for p in top),
                                                       reverse=True)
    with app.app_context():
        best = db.session.execute(text(
            "SELECT i.product_id, SUM(i.quantity * i.unit_price_cents) AS revenue FROM order_items i "
            "JOIN orders o ON o.id = i.order_id WHERE o.created_at >= :start AND o.created_at < :end "
            "GROUP BY i.product_id ORDER BY revenue DESC, i.product_id LIMIT 1"
        ), {"start": start, "end": end}).one()
    assert (top[0]["product_id"], top[0]["revenue_cents"]) == tuple(best)


def test_monthly_report_of_a_month_without_orders_is_zero(admin_client: FlaskClient) -> None:
    body = admin_client.get("/reports/monthly-summary?month=2023-03&format=json").json

    assert body == {"month": "2023-03", "orders": 0, "revenue_cents": 0, "units": 0,
                    "by_status": {}, "by_day": [], "top_products": [], "average_order_cents": 0}


def test_monthly_report_as_a_page(app: Flask, admin_client: FlaskClient) -> None:
    orders, _, units = _month_from_db(app, "2025-01-01", "2025-02-01")

    response = admin_client.get("/reports/monthly-summary?month=2025-01")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Monthly summary · 2025-01</h1>" in page
    assert f"{orders} orders · {units} units" in page


@pytest.mark.parametrize("month", ["2025-13", "2025-00", "2025-1", "25-01", "january", "",
                                   "2025-01-01", "2025-01' OR '1'='1"])
def test_monthly_report_refuses_a_bad_month(admin_client: FlaskClient, month: str) -> None:
    response = admin_client.get("/reports/monthly-summary",
                                query_string={"month": month, "format": "json"})

    assert response.status_code == 422
    assert response.json["field"] == "month"


def test_monthly_report_is_for_admins_only(user_client: FlaskClient) -> None:
    response = user_client.get("/reports/monthly-summary?month=2025-01&format=json")

    assert response.status_code == 403
    assert "orders" not in response.json


def test_monthly_report_sends_anonymous_browsers_to_login(client: FlaskClient) -> None:
    page = client.get("/reports/monthly-summary?month=2025-01")
    api = client.get("/reports/monthly-summary?month=2025-01&format=json")

    assert page.status_code == 302
    assert page.headers["Location"].startswith("/login?next=")
    assert api.status_code == 401
    assert api.json == {"error": "login required"}


# -- customer import ----------------------------------------------------------------------

def _meta_token(client: FlaskClient) -> str:
    """What a JavaScript client does: read the token from the page's meta tag."""
    match = CSRF_META.search(client.get("/dashboard").get_data(as_text=True))
    assert match
    return match.group(1)


def _import(client: FlaskClient, payload: Any, token: str | None = "fetch") -> TestResponse:
    if token == "fetch":
        token = _meta_token(client)
    headers = {} if token is None else {"X-CSRFToken": token}
    return client.post("/api/import/customers", json=payload, headers=headers)


def _customers(app: Flask) -> dict[str, tuple[str, str, str, str]]:
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT external_id, name, email, plan, source FROM customers"
        )).all()
    return {eid: (name, email, plan, source) for eid, name, email, plan, source in rows}


def test_import_creates_then_updates_customers_by_external_id(
    app: Flask, admin_client: FlaskClient
) -> None:
    seeded = _customers(app)
    token = _meta_token(admin_client)

    first = _import(admin_client, GUIDE_IMPORT, token)

    assert first.status_code == 200
    assert first.json == {"source": "crm_sync", "created": 2, "updated": 0, "received": 2}
    after_first = _customers(app)
    assert len(after_first) == len(seeded) + 2
    assert after_first["crm_10001"] == ("Acme Corporation", "ops@acme.example", "enterprise",
                                        "crm_sync")

    changed = {"source": "crm_nightly", "customers": [
        {**GUIDE_IMPORT["customers"][0], "plan": "pro", "email": "Billing@ACME.example"},
        GUIDE_IMPORT["customers"][1],
    ]}
    second = _import(admin_client, changed, token)

    assert second.status_code == 200
    assert second.json == {"source": "crm_nightly", "created": 0, "updated": 2, "received": 2}
    after_second = _customers(app)
    assert len(after_second) == len(seeded) + 2
    assert after_second["crm_10001"] == ("Acme Corporation", "billing@acme.example", "pro",
                                         "crm_nightly")
    assert after_second["crm_10002"] == ("Globex Inc", "it@globex.example", "pro", "crm_nightly")
    assert {k: v for k, v in after_second.items() if k in seeded} == seeded


def test_import_updates_a_seeded_customer_and_creates_a_new_one(
    app: Flask, admin_client: FlaskClient
) -> None:
    seeded = _customers(app)
    payload = {"source": "crm_sync", "customers": [
        {"external_id": "crm_00001", "name": "Renamed", "email": "new@example.com",
         "plan": "free"},
        {"external_id": "crm_20000", "name": "Fresh", "email": "fresh@example.com",
         "plan": "pro"},
        {"external_id": "crm_20000", "name": "Fresh Twice", "email": "fresh@example.com",
         "plan": "pro"},
    ]}

    response = _import(admin_client, payload)

    assert response.json == {"source": "crm_sync", "created": 1, "updated": 1, "received": 3}
    after = _customers(app)
    assert len(after) == len(seeded) + 1
    assert after["crm_00001"] == ("Renamed", "new@example.com", "free", "crm_sync")
    assert after["crm_20000"][0] == "Fresh Twice"  # the last occurrence wins


@pytest.mark.parametrize("payload, field", [
    ({"source": "crm", "customers": [{**GUIDE_IMPORT["customers"][0], "plan": "platinum"}]},
     "customers[0].plan"),
    ({"source": "crm", "customers": [GUIDE_IMPORT["customers"][0],
                                     {**GUIDE_IMPORT["customers"][1], "plan": None}]},
     "customers[1].plan"),
    ({"source": "crm", "customers": [GUIDE_IMPORT["customers"][0],
                                     {**GUIDE_IMPORT["customers"][1], "email": "not-an-email"}]},
     "customers[1].email"),
    ({"source": "crm", "customers": [{"name": "No id", "email": "a@b.c", "plan": "pro"}]},
     "customers[0].external_id"),
    ({"source": "crm", "customers": ["crm_10001"]}, "customers[0]"),
    ({"source": "crm", "customers": []}, "customers"),
    ({"source": "crm", "customers": {"external_id": "crm_1"}}, "customers"),
    ({"customers": GUIDE_IMPORT["customers"]}, "source"),
    ([GUIDE_IMPORT], "body"),
])
def test_invalid_import_is_422_naming_the_field_and_changes_nothing(
    app: Flask, admin_client: FlaskClient, payload: Any, field: str
) -> None:
    before = _customers(app)

    response = _import(admin_client, payload)

    assert response.status_code == 422
    assert response.json["field"] == field
    assert _customers(app) == before


def test_import_of_more_than_1000_customers_is_refused(
    app: Flask, admin_client: FlaskClient
) -> None:
    customers = [{"external_id": f"bulk_{i}", "name": f"Bulk {i}", "email": f"b{i}@example.com",
                  "plan": "free"} for i in range(1001)]

    response = _import(admin_client, {"source": "bulk", "customers": customers})

    assert response.status_code == 422
    assert response.json["field"] == "customers"
    assert not any(k.startswith("bulk_") for k in _customers(app))


def test_import_is_for_admins_only(app: Flask, user_client: FlaskClient) -> None:
    before = _customers(app)

    response = _import(user_client, GUIDE_IMPORT)

    assert response.status_code == 403
    assert _customers(app) == before


def test_anonymous_import_is_401(app: Flask, client: FlaskClient) -> None:
    before = _customers(app)

    response = _import(client, GUIDE_IMPORT, csrf_token(client))

    assert response.status_code == 401
    assert response.json == {"error": "login required"}
    assert _customers(app) == before
