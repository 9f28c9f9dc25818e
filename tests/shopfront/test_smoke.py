from __future__ import annotations

from flask.testing import FlaskClient


def test_home_page_lists_featured_products(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "Featured products" in response.get_data(as_text=True)
