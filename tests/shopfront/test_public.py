"""Public pages: home, pricing, blog, the health check and the error pages."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from conftest import SECRET, MakeApp
from shopfront import create_app
from shopfront.extensions import db

H2 = re.compile(r"<h2>(.*?)</h2>")


def test_home_page_shows_the_featured_products_from_the_database(
    make_app: MakeApp, profile: str
) -> None:
    app = make_app(profile)
    with app.app_context():
        featured = db.session.execute(text(
            "SELECT p.id, p.name, p.price_cents, c.slug FROM products p "
            "JOIN categories c ON c.id = p.category_id WHERE p.featured ORDER BY p.id LIMIT 8"
        )).all()
        reviews = {pid: (total, n) for pid, total, n in db.session.execute(text(
            "SELECT product_id, SUM(rating), COUNT(*) FROM reviews GROUP BY product_id"
        ))}
        not_featured = db.session.scalar(text("SELECT name FROM products WHERE id = 1"))

    response = app.test_client().get("/")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<h1>Featured products</h1>" in page
    assert len(featured) == 8
    assert page.count('<div class="card">') == 8
    for pid, name, cents, slug in featured:
        assert f"<h3>{name}</h3>" in page
        assert f"<p>{slug} · ${cents // 100}.{cents % 100:02d}</p>" in page
        total, n = reviews.get(pid, (0, 0))
        if n:
            assert f"{round(total / n, 2)} ★ ({n} reviews)" in page
    assert f"<h3>{not_featured}</h3>" not in page


def test_pricing_page_lists_the_three_plans(client: FlaskClient) -> None:
    response = client.get("/pricing")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert H2.findall(page) == ["Starter", "Pro", "Business"]
    for price in ("$0", "$29", "$99"):
        assert f"<strong>{price}</strong> / month" in page
    assert "<li>Priority shipping</li>" in page


def _posts_from_db(app: Flask, limit: int, offset: int) -> list[tuple[str, str, str, int]]:
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT p.title, u.name, p.published_at, "
            "(SELECT COUNT(*) FROM comments c WHERE c.post_id = p.id) "
            "FROM posts p JOIN users u ON u.id = p.author_id "
            "ORDER BY p.published_at DESC, p.id DESC LIMIT :limit OFFSET :offset"
        ), {"limit": limit, "offset": offset}).all()
    return [(title, author, str(published)[:10], int(n)) for title, author, published, n in rows]


@pytest.mark.parametrize("page_number", [1, 2])
def test_blog_shows_posts_with_authors_and_comment_counts_from_the_database(
    make_app: MakeApp, profile: str, page_number: int
) -> None:
    app = make_app(profile)
    expected = _posts_from_db(app, 20, (page_number - 1) * 20)

    response = app.test_client().get(f"/blog?page={page_number}")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert len(expected) == 20
    assert H2.findall(page) == [title for title, _, _, _ in expected]
    for _, author, day, comments in expected:
        assert f"<small>by {author} · {day} · {comments} comments</small>" in page
    # Not every post has the same number of comments: the counts really come from the data.
    assert len({n for _, _, _, n in expected}) > 1


def test_blog_page_past_the_last_post_is_empty(client: FlaskClient) -> None:
    response = client.get("/blog?page=3")  # 40 posts at scale 1, 20 per page

    assert response.status_code == 200
    assert "No posts on this page." in response.get_data(as_text=True)
    assert H2.findall(response.get_data(as_text=True)) == []


@pytest.mark.parametrize("page_number", ["0", "-1", "abc", "10001"])
def test_blog_refuses_an_invalid_page_number(client: FlaskClient, page_number: str) -> None:
    response = client.get(f"/blog?page={page_number}")

    assert response.status_code == 422
    assert "Traceback" not in response.get_data(as_text=True)


def test_health_reports_ok_with_the_profile(make_app: MakeApp, profile: str) -> None:
    response = make_app(profile).test_client().get("/api/health")

    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "profile": profile}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("backend", ["sqlite-missing-directory", "postgresql-closed-port"])
def test_health_is_503_json_when_the_database_is_unreachable(
    tmp_path: Path, backend: str
) -> None:
    if backend == "sqlite-missing-directory":
        uri = f"sqlite:///{tmp_path / 'no-such-dir' / 'shop.db'}"
    else:
        uri = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/shop"
    app = create_app({"TESTING": True, "SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": uri,
                      "UPLOAD_FOLDER": str(tmp_path / "uploads")})

    response = app.test_client().get("/api/health")

    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert response.json == {"status": "error", "database": "unreachable"}
    assert not (tmp_path / "no-such-dir").exists()


def test_unknown_page_is_a_404_page_and_unknown_api_path_is_404_json(client: FlaskClient) -> None:
    page = client.get("/no-such-page")
    api = client.get("/api/no-such-endpoint")

    assert page.status_code == 404
    assert page.mimetype == "text/html"
    assert "<h1>404</h1>" in page.get_data(as_text=True)
    assert api.status_code == 404
    assert api.mimetype == "application/json"
    assert "error" in api.json


def test_wrong_method_is_405_not_a_server_error(client: FlaskClient) -> None:
    response = client.post("/api/health")

    assert response.status_code == 405
    assert response.json is not None and "error" in response.json
