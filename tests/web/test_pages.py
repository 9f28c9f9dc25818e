"""The HTML pages: they answer, list and filter runs, link to them, escape run text."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from tests.web.conftest import HOST_A, HOST_B, Seeded
from tests.web.seeding import XSS_IMG, XSS_NAME


def _run_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-run-id="(\d+)">', html)]


def test_runs_page_lists_newest_first_with_links(client: FlaskClient, seeded: Seeded) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    ids = _run_ids(html)
    assert ids[0] == seeded.ids["running"] and ids == sorted(ids, reverse=True)
    assert len(ids) == 25
    assert f'href="/runs/{ids[-1]}"' in html
    assert 'rel="next" href="/?page=2"' in html


def test_runs_page_filters_and_keeps_them_when_paging(client: FlaskClient,
                                                       seeded: Seeded) -> None:
    html = client.get(f"/?host={HOST_B}").get_data(as_text=True)
    assert _run_ids(html) == [seeded.ids["other"]]
    html = client.get("/?status=failed").get_data(as_text=True)
    assert _run_ids(html) == [seeded.ids["dev"]]
    html = client.get("/?tag=branch%3Ddev").get_data(as_text=True)
    assert _run_ids(html) == [seeded.ids["dev"]]
    html = client.get("/?from=2024-05-02&to=2024-05-03").get_data(as_text=True)
    assert _run_ids(html) == [seeded.ids["other"], seeded.ids["dev"]]
    html = client.get("/?per_page=2&status=passed").get_data(as_text=True)
    assert 'href="/?status=passed&amp;per_page=2&amp;page=2"' in html
    html = client.get("/?tag=branch%3Dnope").get_data(as_text=True)
    assert "No runs match these filters." in html


def test_runs_page_bad_filter_is_a_400_page(client: FlaskClient) -> None:
    response = client.get("/?status=exploded")
    assert response.status_code == 400
    assert "status" in response.get_data(as_text=True)


def test_run_page_points_at_its_document(client: FlaskClient, seeded: Seeded) -> None:
    run_id = seeded.ids["running"]
    html = client.get(f"/runs/{run_id}").get_data(as_text=True)
    assert f'data-document-url="/api/runs/{run_id}/document"' in html
    assert 'data-status="running"' in html
    assert "/assets/report/report.js" in html and "/assets/report/vendor/uPlot.iife.min.js" in html
    assert "<script>" not in html  # every script is a file: the CSP forbids inline ones


def test_unknown_run_page_is_404(client: FlaskClient) -> None:
    response = client.get("/runs/99999")
    assert response.status_code == 404
    assert "99999" in response.get_data(as_text=True)


def test_compare_page(client: FlaskClient, seeded: Seeded) -> None:
    html = client.get("/compare").get_data(as_text=True)
    assert 'name="base"' in html and 'name="candidate"' in html
    assert "sd-report" not in html
    base, candidate = seeded.ids["old"], seeded.ids["dev"]
    html = client.get(f"/compare?base={base}&candidate={candidate}").get_data(as_text=True)
    assert f'data-document-url="/api/compare?base={base}&amp;candidate={candidate}"' in html
    assert client.get(f"/compare?base={base}&candidate=99999").status_code == 404
    assert client.get(f"/compare?base={base}").status_code == 400


def test_trends_page(client: FlaskClient) -> None:
    html = client.get("/trends").get_data(as_text=True)
    assert f'<option value="{HOST_A}"' in html and f'<option value="{HOST_B}"' in html
    html = client.get(f"/trends?host={HOST_B}").get_data(as_text=True)
    assert f'<option value="{HOST_B}" selected>' in html
    assert "data-trends-url=\"/api/trends?host=http://shop.internal:8000\"" in html


def test_run_text_is_escaped(client: FlaskClient, seeded: Seeded) -> None:
    html = client.get("/").get_data(as_text=True) + client.get(
        "/compare").get_data(as_text=True)
    assert "window.__xss" in html  # the payloads are shown ...
    assert "<script>window" not in html and XSS_NAME not in html  # ... as text
    assert "<img src=x" not in html and XSS_IMG not in html
