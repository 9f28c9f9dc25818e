"""The classifier of request names: which URL parts are ids (and fold into {id}), which are
words (and stay), and the positions learned as variable during a run."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swarmdeck.engine.naming import LEARN_AFTER, NameGrouper, segment_template


def template(name: str) -> str:
    return NameGrouper().template(name)


@pytest.mark.parametrize(("name", "expected"), [
    ("/items/7", "/items/{id}"),
    ("/anything/items/837261", "/anything/items/{id}"),
    ("/items/7.json", "/items/{id}.json"),
    ("/users/42/orders/1001/lines/3", "/users/{id}/orders/{id}/lines/{id}"),
    ("/o/3f2a1b4c-1111-2222-3333-444455556666/x", "/o/{id}/x"),
    ("/o/3F2A1B4C-1111-2222-3333-444455556666", "/o/{id}"),
    ("/blob/deadbeef01", "/blob/{id}"),
    ("/commit/9fceb02d0ae598e95dc970b74767f19372d61af8", "/commit/{id}"),
    ("/t/AbCdEfGhIjKlMn12", "/t/{id}"),
    ("/reset/aB3-dE_fG5hIjK7l", "/reset/{id}"),
    ("/s/x7k9m2p4q8", "/s/{id}"),
    ("/reports/2024-05-01", "/reports/{id}"),
    ("/events/2024-05-01T10:30:00Z", "/events/{id}"),
    ("/files/report-2024-05-01.pdf", "/files/report-{id}.pdf"),
    ("/archive/2024/05/01", "/archive/{id}/{id}/{id}"),
    ("/item-12345", "/item-{id}"),
    ("/jwt/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
     "/jwt/{id}.{id}.{id}"),
])
def test_ids_fold(name: str, expected: str) -> None:
    assert template(name) == expected


@pytest.mark.parametrize("name", [
    "/api/v2/products", "/api/v1/users", "/blog", "/reports/monthly-summary",
    "/static/app.css", "/static/jquery-3.6.0.min.js", "/", "/api/health", "/a/b/c",
    "/v1.2.3/download", "/how-to-load-test-flask-apps-2", "/video/h264", "/mp3player2go",
    "/windows10pro", "/page-2", "/café/crème", "/dashboard/", "/a//b",
    "/products/[id]", "/products/{id}", "/products/<int:id>",
])
def test_words_stay(name: str) -> None:
    assert template(name) == name


@pytest.mark.parametrize("name", [
    "GET /pricing", "POST /login", "checkout", "Product page 123456", "items/42",
    "ws://host/123", "[12345]",
])
def test_names_that_are_not_urls_are_never_touched(name: str) -> None:
    """A name= the user chose (no leading /, http:// or https://) is theirs."""
    assert template(name) == name


@pytest.mark.parametrize(("name", "expected"), [
    ("/search?q=shoes&page=2", "/search?page={}&q={}"),
    ("/search?page=3&q=hats", "/search?page={}&q={}"),  # the same endpoint, keys sorted
    ("/search?q=a&q=b", "/search?q={}"),
    ("/export?debug", "/export?debug"),
    ("/export?", "/export?"),
    ("/items/12?expand=true", "/items/{id}?expand={}"),
    ("/blog?id=[id]", "/blog?id=[id]"),  # Locust's own convention, written by the user
    ("/blog?id=[id]&page=4", "/blog?id=[id]&page={}"),
    ("/page#section-12345", "/page#section-{id}"),
])
def test_query_strings_fold_by_key(name: str, expected: str) -> None:
    assert template(name) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("http://127.0.0.1:8089/items/123", "http://127.0.0.1:8089/items/{id}"),
    ("https://api.example.com/v2/users/9f86d081884c7d65", "https://api.example.com/v2/users/{id}"),
    ("HTTP://Host/a?x=1", "HTTP://Host/a?x={}"),
    ("http://host?x=1", "http://host?x={}"),
    ("http://host", "http://host"),
])
def test_absolute_urls_keep_their_host(name: str, expected: str) -> None:
    assert template(name) == expected


def test_a_position_whose_values_keep_changing_is_learned() -> None:
    grouper = NameGrouper()
    users = [f"/users/{name}" for name in ("alice", "bob", "carol", "dave", "erin", "frank",
                                            "grace", "heidi", "ivan", "judy", "mallory",
                                            "niaj", "olivia", "peggy", "rupert", "sybil",
                                            "trent", "victor", "walter", "xena", "yolanda")]
    assert len(users) == LEARN_AFTER + 1
    assert [grouper.template(u) for u in users[:LEARN_AFTER]] == users[:LEARN_AFTER]
    assert grouper.generation == 0
    assert grouper.template(users[LEARN_AFTER]) == "/users/{id}"  # one value too many
    assert grouper.generation == 1  # caches of earlier templates are stale now
    assert grouper.template("/users/alice") == "/users/{id}"
    assert grouper.template("/users/zoe/orders") == "/users/{id}/orders"
    assert grouper.template("/users") == "/users"
    # other prefixes, and words under them, are left alone
    assert grouper.template("/api/v2/products") == "/api/v2/products"
    assert grouper.template("/blog/alice") == "/blog/alice"


def test_the_first_segment_is_never_learned() -> None:
    """Top-level routes are many and fixed (/login, /pricing, /blog, ...)."""
    grouper = NameGrouper(learn_after=3)
    pages = [f"/{page}" for page in ("login", "pricing", "blog", "about", "cart", "help")]
    assert [grouper.template(p) for p in pages] == pages


def test_learning_is_per_prefix_and_bounded() -> None:
    grouper = NameGrouper(learn_after=3, max_prefixes=2)
    for value in ("a", "b", "c"):
        for root in ("x", "y", "z"):  # /z/... is a third prefix: not tracked
            grouper.template(f"/{root}/{value}")
    assert grouper.template("/x/d") == "/x/{id}"
    assert grouper.template("/y/d") == "/y/{id}"
    assert grouper.template("/z/d") == "/z/d"
    assert grouper.variable == {"/x", "/y"}


def test_learning_deeper_positions_uses_the_template_prefix() -> None:
    grouper = NameGrouper(learn_after=2)
    for order in (1, 2, 3):
        for status in ("open", "paid", "sent"):
            grouper.template(f"/orders/{order}/{status}")
    # under /orders/{id}: open, paid, sent are 3 values > 2
    assert grouper.template("/orders/4/lost") == "/orders/{id}/{id}"


# -- properties ------------------------------------------------------------------------

SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFXYZ0123456789-_.~", max_size=40)
QUERY = st.lists(st.tuples(st.text(alphabet="abcxyz_019", min_size=1, max_size=8),
                           st.text(alphabet="abcxyz0123456789-", max_size=20)), max_size=4)


@st.composite
def urls(draw: st.DrawFn) -> str:
    path = "/" + "/".join(draw(st.lists(SEGMENT, min_size=1, max_size=6)))
    query = draw(QUERY)
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")


@given(urls())
def test_no_run_of_four_digits_survives(name: str) -> None:
    assert not re.search(r"\d{4}", template(name))


@given(urls())
def test_classifying_a_template_changes_nothing(name: str) -> None:
    grouper = NameGrouper()
    once = grouper.template(name)
    assert grouper.template(once) == once
    assert NameGrouper().template(once) == once


@given(SEGMENT)
def test_a_segment_template_is_stable(segment: str) -> None:
    once = segment_template(segment)
    assert segment_template(once) == once
    assert ("/" in once) is ("/" in segment)


@given(st.text(max_size=60).filter(lambda s: not s.startswith(("/", "http://", "https://"))))
def test_anything_that_is_not_a_url_is_kept(name: str) -> None:
    if name[:8].lower().startswith(("http://", "https://")):
        return
    assert template(name) == name
