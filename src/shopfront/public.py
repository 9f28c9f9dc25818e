"""Public pages: home, pricing, blog, and the health check."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from sqlalchemy import text

from shopfront import profiles
from shopfront.extensions import db
from shopfront.params import int_param

bp = Blueprint("public", __name__)

PLANS = [
    {"name": "Starter", "price": "0", "features": ["Browse the catalogue", "Community support"]},
    {"name": "Pro", "price": "29", "features": ["Priority shipping", "Order history export"]},
    {"name": "Business", "price": "99", "features": ["Bulk ordering", "Invoices", "SLA"]},
]


@bp.get("/")
def index() -> str:
    return render_template("index.html", products=profiles.featured_products())


@bp.get("/pricing")
def pricing() -> str:
    return render_template("pricing.html", plans=PLANS)


@bp.get("/blog")
def blog() -> str:
    page = int_param(request.args.get("page"), "page", default=1, low=1, high=10_000)
    return render_template("blog.html", posts=profiles.blog_page(page, 20), page=page)


@bp.get("/api/health")
def health() -> tuple[Response, int]:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any database failure makes us unhealthy
        current_app.logger.warning("health check: database unreachable: %s", exc)
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok", profile=profiles.profile()), 200
