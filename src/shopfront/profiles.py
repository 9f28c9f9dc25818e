"""The two performance profiles, side by side.

``naive`` carries the bottlenecks the Flask load-testing guide names: N+1 queries on the
blog and on product listings, no index on the product category, no caching of the home
page and listings, and the monthly report computed row by row in Python. ``tuned`` fixes
each one (eager loading, an index, Flask-Caching, SQL aggregation). Both return the same
data for the same database; the views never know which one ran.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask, current_app
from sqlalchemy import Select, func, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import joinedload

from shopfront.extensions import cache, db
from shopfront.models import Category, Comment, Order, OrderItem, Post, Product, Review

FEATURED_LIMIT = 8
CATEGORY_INDEX = "ix_products_category_id"

T = TypeVar("T")


def profile() -> str:
    return str(current_app.config["SHOPFRONT_PROFILE"])


def apply_schema(connection: Connection, name: str) -> None:
    """Create (tuned) or drop (naive) the product-category index. Idempotent."""
    if name == "tuned":
        connection.execute(
            text(f"CREATE INDEX IF NOT EXISTS {CATEGORY_INDEX} ON products (category_id)")
        )
    else:
        connection.execute(text(f"DROP INDEX IF EXISTS {CATEGORY_INDEX}"))


def ensure_schema(app: Flask) -> None:
    """Apply the configured profile's schema at start-up, once the tables exist.

    Several Gunicorn workers may start at once: a concurrent worker winning the race is fine.
    """
    with app.app_context():
        try:
            if not inspect(db.engine).has_table("products"):
                return  # not initialised yet: ``flask --app shopfront init-db`` applies it
        except DBAPIError as exc:
            # The database is down: start anyway, so /api/health can answer 503.
            app.logger.warning("profile schema not applied, database unreachable: %s", exc)
            return
        try:
            with db.engine.begin() as conn:
                apply_schema(conn, app.config["SHOPFRONT_PROFILE"])
        except DBAPIError as exc:  # another worker did it first
            app.logger.info("profile schema already being applied: %s", exc.__class__.__name__)


def _cached(key: str, compute: Callable[[], T]) -> T:
    """The tuned profile serves repeated reads from Flask-Caching; naive recomputes."""
    if profile() == "naive":
        return compute()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value)
    return value  # type: ignore[no-any-return]


# -- products -----------------------------------------------------------------------------

def _rating(total: int, count: int) -> float | None:
    return round(total / count, 2) if count else None


def product_dicts(products: Iterable[Product]) -> list[dict[str, Any]]:
    """Serialise products with their category and review summary."""
    products = list(products)
    if profile() == "naive":
        # One lazy load of product.reviews per product: the N+1 pattern.
        stats = {p.id: (sum(r.rating for r in p.reviews), len(p.reviews)) for p in products}
    else:
        rows = db.session.execute(
            select(Review.product_id, func.sum(Review.rating), func.count(Review.id))
            .where(Review.product_id.in_([p.id for p in products]))
            .group_by(Review.product_id)
        ).all() if products else []
        stats = {pid: (int(total), int(count)) for pid, total, count in rows}
    result = []
    for p in products:
        total, count = stats.get(p.id, (0, 0))
        result.append({
            "id": p.id,
            "sku": p.sku,
            "name": p.name,
            "price_cents": p.price_cents,
            "price": f"{p.price_cents // 100}.{p.price_cents % 100:02d}",
            "stock": p.stock,
            "featured": p.featured,
            "category": p.category.slug,
            "rating": _rating(total, count),
            "review_count": count,
        })
    return result


def _product_query() -> Select[Product]:
    query = select(Product).order_by(Product.id)
    if profile() == "tuned":
        query = query.options(joinedload(Product.category))
    return query


def featured_products() -> list[dict[str, Any]]:
    def compute() -> list[dict[str, Any]]:
        products = db.session.scalars(
            _product_query().where(Product.featured.is_(True)).limit(FEATURED_LIMIT)
        ).all()
        return product_dicts(products)

    return _cached("featured-products", compute)


def product_page(category: str | None, page: int, limit: int) -> dict[str, Any]:
    """One page of the catalogue, optionally in one category (by slug), with the total."""

    def compute() -> dict[str, Any]:
        query = _product_query()
        if category:
            query = query.join(Category, Product.category_id == Category.id).where(
                Category.slug == category
            )
        total = db.session.scalar(
            select(func.count()).select_from(query.order_by(None).subquery())
        ) or 0
        products = db.session.scalars(query.limit(limit).offset((page - 1) * limit)).unique()
        return {
            "items": product_dicts(products),
            "page": page,
            "limit": limit,
            "total": total,
            "pages": (total + limit - 1) // limit,
            "category": category,
        }

    return _cached(f"products:{category or ''}:{page}:{limit}", compute)


def product_detail(product_id: int) -> dict[str, Any] | None:
    product = db.session.scalar(_product_query().where(Product.id == product_id))
    if product is None:
        return None
    (item,) = product_dicts([product])
    item["description"] = product.description
    return item


# -- blog ---------------------------------------------------------------------------------

def blog_page(page: int, per_page: int) -> list[dict[str, Any]]:
    """Posts, newest first, with their authors and comment counts."""
    query = select(Post).order_by(Post.published_at.desc(), Post.id.desc())
    query = query.limit(per_page).offset((page - 1) * per_page)
    if profile() == "naive":
        posts = db.session.scalars(query).all()
        # post.author and post.comments are lazy: 1 + 2N queries, all comments loaded.
        counts = {post.id: len(post.comments) for post in posts}
    else:
        posts = db.session.scalars(query.options(joinedload(Post.author))).all()
        rows = db.session.execute(
            select(Comment.post_id, func.count(Comment.id))
            .where(Comment.post_id.in_([p.id for p in posts]))
            .group_by(Comment.post_id)
        ).all() if posts else []
        counts = {post_id: int(n) for post_id, n in rows}
    return [
        {
            "id": post.id,
            "title": post.title,
            "excerpt": post.body[:160],
            "author": post.author.name,
            "published_at": post.published_at.isoformat(),
            "comment_count": counts.get(post.id, 0),
        }
        for post in posts
    ]


# -- monthly report -----------------------------------------------------------------------

def _month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1)
    end = datetime(year + month // 12, month % 12 + 1, 1)
    return start, end


def monthly_summary(year: int, month: int) -> dict[str, Any]:
    start, end = _month_bounds(year, month)
    in_month = (Order.created_at >= start) & (Order.created_at < end)
    if profile() == "naive":
        body = _monthly_summary_in_python(in_month)
    else:
        body = _monthly_summary_in_sql(in_month)
    orders, revenue = body["orders"], body["revenue_cents"]
    return {
        "month": f"{year:04d}-{month:02d}",
        **body,
        "average_order_cents": revenue // orders if orders else 0,
    }


def _top_products(per_product: dict[int, tuple[str, int, int]]) -> list[dict[str, Any]]:
    ranked = sorted(per_product.items(), key=lambda kv: (-kv[1][2], kv[0]))[:5]
    return [
        {"product_id": pid, "name": name, "units": units, "revenue_cents": revenue}
        for pid, (name, units, revenue) in ranked
    ]


def _monthly_summary_in_python(in_month: Any) -> dict[str, Any]:
    orders = db.session.scalars(select(Order).where(in_month).order_by(Order.id)).all()
    by_status: Counter[str] = Counter()
    by_day: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_product: dict[int, tuple[str, int, int]] = {}
    revenue = units = 0
    for order in orders:
        by_status[order.status] += 1
        day = by_day[order.created_at.date().isoformat()]
        day[0] += 1
        day[1] += order.total_cents
        revenue += order.total_cents
        for item in order.items:  # lazy: one query per order
            name, n, cents = per_product.get(item.product_id, (item.product.name, 0, 0))
            per_product[item.product_id] = (
                name, n + item.quantity, cents + item.quantity * item.unit_price_cents
            )
            units += item.quantity
    return {
        "orders": len(orders),
        "revenue_cents": revenue,
        "units": units,
        "by_status": dict(sorted(by_status.items())),
        "by_day": [
            {"date": d, "orders": n, "revenue_cents": cents}
            for d, (n, cents) in sorted(by_day.items())
        ],
        "top_products": _top_products(per_product),
    }


def _monthly_summary_in_sql(in_month: Any) -> dict[str, Any]:
    session = db.session
    count, revenue = session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.total_cents), 0)).where(in_month)
    ).one()
    units = session.scalar(
        select(func.coalesce(func.sum(OrderItem.quantity), 0)).join(Order).where(in_month)
    )
    by_status = session.execute(
        select(Order.status, func.count(Order.id)).where(in_month).group_by(Order.status)
    ).all()
    day = func.date(Order.created_at)
    by_day = session.execute(
        select(day, func.count(Order.id), func.sum(Order.total_cents))
        .where(in_month).group_by(day).order_by(day)
    ).all()
    item_revenue = func.sum(OrderItem.quantity * OrderItem.unit_price_cents)
    top = session.execute(
        select(Product.id, Product.name, func.sum(OrderItem.quantity), item_revenue)
        .select_from(OrderItem).join(Order).join(Product, OrderItem.product_id == Product.id)
        .where(in_month).group_by(Product.id, Product.name)
        .order_by(item_revenue.desc(), Product.id).limit(5)
    ).all()
    return {
        "orders": int(count),
        "revenue_cents": int(revenue),
        "units": int(units or 0),
        "by_status": dict(sorted((status, int(n)) for status, n in by_status)),
        "by_day": [
            {"date": str(d), "orders": int(n), "revenue_cents": int(cents)}
            for d, n, cents in by_day
        ],
        "top_products": [
            {"product_id": pid, "name": name, "units": int(n), "revenue_cents": int(cents)}
            for pid, name, n, cents in top
        ],
    }
