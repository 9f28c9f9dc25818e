"""shopfront wires swarmdeck's Server-Timing extension: off unless asked, and then each
profile's pages say how many queries they ran (the naive N+1s, the tuned fixes)."""

from __future__ import annotations

import pytest
from tests.shopfront.conftest import MakeApp, api_token

from swarmdeck.metrics.timing_header import parse


def queries(value: str) -> int:
    (db,) = [m for m in parse(value) if m.name == "db"]
    assert db.desc is not None
    return int(db.desc.split()[0])


def test_off_unless_asked(make_app: MakeApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWARMDECK_SERVER_TIMING", raising=False)
    assert "Server-Timing" not in make_app("naive").test_client().get("/blog").headers


@pytest.mark.parametrize(("path", "naive", "tuned"), [
    # naive: the posts, 20 lazy comment lists, each distinct author once; tuned: the posts
    # with their authors joined, the comment counts grouped
    ("/blog", 30, 2),
    # naive: the token's user, the count, the page, 20 lazy review lists, each distinct
    # category once; tuned: the user, the rest from the cache (the second request)
    ("/api/products?limit=20&page=2", 33, 1),
])
def test_each_profile_says_how_many_queries_it_ran(
        make_app: MakeApp, path: str, naive: int, tuned: int) -> None:
    for profile, expected in (("naive", naive), ("tuned", tuned)):
        client = make_app(profile, SWARMDECK_SERVER_TIMING=True).test_client()
        headers = ({"Authorization": f"Bearer {api_token(client)}"}
                   if path.startswith("/api/") else {})
        client.get(path, headers=headers)  # the tuned profile caches the first
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        assert queries(response.headers["Server-Timing"]) == expected, profile
