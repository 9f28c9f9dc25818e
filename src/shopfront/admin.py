"""Admin workflows behind a session login: document upload, monthly report, customer import."""

from __future__ import annotations

import csv
import io
import os
import re
import uuid
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_login import current_user
from sqlalchemy import select
from werkzeug.utils import secure_filename

from shopfront import profiles
from shopfront.auth import admin_required
from shopfront.errors import ValidationError
from shopfront.extensions import db
from shopfront.models import Customer, Document, utcnow
from shopfront.params import json_object, str_field
from shopfront.sql import upsert

bp = Blueprint("admin", __name__)

DOCUMENT_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
PLANS = ("free", "pro", "enterprise")
MAX_IMPORT = 1000


@bp.post("/documents/upload")
@admin_required
def upload_document() -> tuple[Response, int]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError("file", "a CSV file is required")
    original = secure_filename(upload.filename) or "upload.csv"
    if not original.lower().endswith(".csv"):
        raise ValidationError("file", "must be a .csv file")
    document_type = request.form.get("document_type", "")
    if not DOCUMENT_TYPE.match(document_type):
        raise ValidationError("document_type", "must be a lowercase identifier, e.g. invoice_batch")
    content = upload.read()
    try:
        text = content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValidationError("file", f"is not a UTF-8 CSV file ({exc.__class__.__name__})") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ValidationError("file", "is empty; expected a header row")
    # Stored under a random name: the client's file name never reaches the file system.
    stored_name = f"{uuid.uuid4().hex}.csv"
    with open(os.path.join(current_app.config["UPLOAD_FOLDER"], stored_name), "wb") as fh:
        fh.write(content)
    document = Document(
        uploaded_by=current_user.id, original_name=original, stored_name=stored_name,
        document_type=document_type, rows=len(rows) - 1, size_bytes=len(content),
        notify_on_completion=request.form.get("notify_on_completion", "").lower() == "true",
    )
    db.session.add(document)
    db.session.commit()
    return jsonify(
        id=document.id, document_type=document.document_type, rows=document.rows,
        columns=rows[0], size_bytes=document.size_bytes, original_name=document.original_name,
    ), 201


@bp.get("/reports/monthly-summary")
@admin_required
def monthly_summary() -> Any:
    month = request.args.get("month", "")
    match = MONTH.match(month)
    if not match:
        raise ValidationError("month", "must be YYYY-MM, e.g. 2025-01")
    summary = profiles.monthly_summary(int(match.group(1)), int(match.group(2)))
    if request.args.get("format") == "json":
        return jsonify(summary)
    return render_template("report.html", summary=summary)


def _customer(raw: Any, index: int) -> dict[str, Any]:
    prefix = f"customers[{index}]."
    data = json_object(raw, prefix.rstrip("."))
    email = str_field(data, "email", prefix=prefix, max_length=255)
    if "@" not in email:
        raise ValidationError(prefix + "email", "must be an email address")
    plan = str_field(data, "plan", prefix=prefix, max_length=32)
    if plan not in PLANS:
        raise ValidationError(prefix + "plan", f"must be one of {', '.join(PLANS)}")
    return {
        "external_id": str_field(data, "external_id", prefix=prefix, max_length=64),
        "name": str_field(data, "name", prefix=prefix),
        "email": email.lower(),
        "plan": plan,
    }


@bp.post("/api/import/customers")
@admin_required
def import_customers() -> tuple[Response, int]:
    data = json_object(request.get_json(silent=True))
    source = str_field(data, "source", max_length=64)
    raw = data.get("customers")
    if not isinstance(raw, list) or not raw:
        raise ValidationError("customers", "must be a non-empty list")
    if len(raw) > MAX_IMPORT:
        raise ValidationError("customers", f"at most {MAX_IMPORT} per request")
    customers = {c["external_id"]: c for c in (_customer(item, i) for i, item in enumerate(raw))}
    now = utcnow()
    existing = set(db.session.scalars(
        select(Customer.external_id).where(Customer.external_id.in_(list(customers)))
    ))
    rows = [{**c, "source": source, "updated_at": now} for c in customers.values()]
    db.session.execute(upsert(
        Customer.__table__,
        rows, key=["external_id"],
        update={name: (lambda excluded, n=name: excluded[n])
                for name in ("name", "email", "plan", "source", "updated_at")},
    ))
    db.session.commit()
    return jsonify(source=source, created=len(customers) - len(existing),
                   updated=len(existing), received=len(raw)), 200
