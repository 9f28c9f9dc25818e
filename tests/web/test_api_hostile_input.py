"""Hostile input to every /api/ endpoint of the OpenAPI document: path and query parameters
drawn from the document's own parameter schemas and from what an attacker or a broken
client sends (SQL metacharacters, huge and negative numbers, unicode, control characters,
empty values, unknown parameters). Whatever arrives, the answer is one the document
describes for that path, valid against its schema, and never a 500 or a traceback.

Hypothesis is used directly (not schemathesis): the document is ours and small, and the
strategies below say exactly what is sent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import jsonschema
import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.web.conftest import HOST_A, HOST_B, Seeded
from tests.web.seeding import seed_run

from swarmdeck.store import Store
from swarmdeck.web import close_app, create_app
from swarmdeck.web.openapi import openapi_document

DOCUMENT = openapi_document()
# every path that can be read: the reads are fuzzed here; the writes (the platform's POST,
# PUT, PATCH, DELETE, some of which start real runs) are checked per role, against the same
# document, by tests/web/test_roles.py
PATHS = sorted(path for path, item in DOCUMENT["paths"].items() if "get" in item)

SQL = ["'", "''", '"', "`", ";", "--", "/*", "*/", "%", "_", "\\", "' OR '1'='1",
       "1 OR 1=1", "1; DROP TABLE runs;--", "'; SELECT pg_sleep(5);--",
       "1) UNION SELECT * FROM runs--", "branch=main' --", "%' OR host LIKE '%"]
NUMBERS = ["0", "-1", "-0", "00", "+1", "1.5", "1e3", "1e309", "NaN", "inf", "0x10", "１２",
           "٣", "²", str(2**31), str(2**63 - 1), str(2**63), str(2**64), "9" * 40, "9" * 400]
DATES = ["2024-05-01", "0001-01-01", "9999-12-31", "2024-02-30", "2024-05-01T00:00:00Z",
         "9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
         "2024-05-01T25:00", "2024-13-01", "10000-01-01", "T", "2024-05-01 12:00"]
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)  # any unicode but
# lone surrogates, which no URL can carry (UTF-8 cannot encode them)


def hostile(*extra: str) -> st.SearchStrategy[str]:
    """What a query or path parameter may be sent as."""
    return st.one_of(st.sampled_from([*SQL, *NUMBERS, *DATES, *extra, "", " ", "\x00",
                                      "é", "😀", "\u202e", "a" * 5000]),
                     st.integers(-(10**30), 10**30).map(str), TEXT)


DAY = timedelta(days=1)
WHEN = st.one_of(  # dates and date-times anywhere in the calendar, in any offset
    st.sampled_from(DATES), st.dates().map(date.isoformat),
    st.datetimes(timezones=st.builds(timezone, st.timedeltas(-DAY + timedelta(minutes=1),
                                                             DAY - timedelta(minutes=1))))
    .map(datetime.isoformat),
    st.datetimes().map(datetime.isoformat))


def typed(param: dict[str, Any], known: list[str]) -> st.SearchStrategy[str]:
    """A value the parameter's schema and description allow, as a query string carries it."""
    schema = param["schema"]
    if "enum" in schema:
        return st.sampled_from([str(v) for v in schema["enum"]])
    if schema.get("type") == "integer":
        return st.integers(schema.get("minimum", -(2**70)),
                           schema.get("maximum", 2**70)).map(str)
    if "date" in param.get("description", "").lower():
        return WHEN
    if param["name"] == "tag":
        return st.one_of(st.sampled_from(known), st.tuples(TEXT, TEXT).map("=".join))
    return st.one_of(st.sampled_from(known), TEXT)


@pytest.fixture(scope="module", params=["sqlite",
                                        pytest.param("postgresql", marks=pytest.mark.postgres)])
def fuzz_store(request: pytest.FixtureRequest,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """A store with a few runs (finished, failed with tags, running, a baseline), on
    SQLite and on PostgreSQL (their drivers refuse different things: a NUL character, a
    number past 64 bits)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'runs.db'}"
        yield _seed(url)
        return
    postgres_url: str = request.getfixturevalue("postgres_url")
    schema = f"fuzz_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield _seed(url.render_as_string(hide_password=False))
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def _seed(url: str) -> Seeded:
    day = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    with Store.open(url) as store:
        ids = {"old": seed_run(store, started_at=day, host=HOST_A, seconds=5, seed=1),
               "dev": seed_run(store, started_at=day + DAY, host=HOST_A, seconds=5,
                               tags={"branch": "dev"}, status="failed", failure_every=2,
                               seed=2),
               "other": seed_run(store, started_at=day + 2 * DAY, host=HOST_B, seconds=5,
                                 seed=3)}
        store.set_baseline("release-1", ids["old"])
        ids["running"] = seed_run(store, started_at=datetime.now(UTC) - timedelta(seconds=5),
                                  host=HOST_A, status="running", seconds=5, seed=4)
    return Seeded(url, ids)


@pytest.fixture(scope="module")
def fuzz_client(fuzz_store: Seeded) -> Iterator[FlaskClient]:
    """The dashboard over that store, shared by every example of this module."""
    with Store.open(fuzz_store.url) as store:
        store.heartbeat(fuzz_store.ids["running"])  # alive: not marked crashed on open
    app = create_app({"SWARMDECK_DB": fuzz_store.url, "TESTING": True})
    yield app.test_client()
    close_app(app)


def request_for(path: str, seeded: Seeded) -> st.SearchStrategy[str]:
    """A URL of ``path``: each documented parameter absent, of its type or hostile, and
    sometimes an undocumented one."""
    ids = [str(i) for i in seeded.ids.values()]
    known = [*ids, HOST_A, HOST_B, "branch=main", "branch=dev", "2024-05-02",
             "2024-05-03T00:00:00Z", "/work/scenarios/locustfile.py"]
    path_params: dict[str, st.SearchStrategy[str]] = {}
    query: dict[str, st.SearchStrategy[str | None]] = {}
    for param in DOCUMENT["paths"][path]["get"].get("parameters", []):
        values = st.one_of(typed(param, known), hostile(*known))
        if param["in"] == "path":
            path_params[param["name"]] = st.one_of(st.sampled_from(ids), values)
        else:
            query[param["name"]] = st.one_of(st.none(), values)
    query["x" + "\u00e9'; --"] = st.one_of(st.none(), hostile())  # not in the document

    @st.composite
    def build(draw: st.DrawFn) -> str:
        url = path
        for name, strategy in path_params.items():
            url = url.replace("{" + name + "}", quote(draw(strategy), safe=""))
        params = {name: value for name, strategy in query.items()
                  if (value := draw(strategy)) is not None}
        return f"{url}?{urlencode(params)}" if params else url

    return build()


def check_answer(path: str, url: str, response: Any) -> None:
    """One of the answers the document describes for ``path``, valid against its schema."""
    text = response.get_data(as_text=True)
    responses = DOCUMENT["paths"][path]["get"]["responses"]
    assert response.status_code < 500, (url, response.status_code, text[:500])  # the store
    # is up: a 503 here is the database refusing the input, a 500 a crash
    assert str(response.status_code) in responses, (url, response.status_code, text[:500])
    # a parameter's own text, echoed in its error, may be anything: "Traceback" too
    # (Hypothesis draws the test's own string constants), so the echoes are left out
    said = text
    parts = urlsplit(url)
    given = [v for _, v in parse_qsl(parts.query, keep_blank_values=True)]
    for value in given + [unquote(segment) for segment in parts.path.split("/")]:
        forms = {form for v in (value, value.strip())  # the API may strip it first
                 for form in (v, repr(v), json.dumps(v)[1:-1])}
        for echo in sorted(forms, key=len, reverse=True):
            said = said.replace(echo, "") if echo else said
    assert "Traceback" not in said and 'File "' not in said, (url, text[:2000])
    assert response.mimetype == "application/json", (url, response.mimetype)
    schema = responses[str(response.status_code)]["content"]["application/json"]["schema"]
    try:
        jsonschema.Draft202012Validator(
            {**schema, "components": DOCUMENT["components"]}).validate(response.get_json())
    except jsonschema.ValidationError as exc:
        pytest.fail(f"{url} -> {response.status_code}: {exc.message} at {list(exc.path)}")


@pytest.mark.parametrize("path", PATHS)
@given(data=st.data())
@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_no_parameter_breaks_an_api_endpoint(path: str, fuzz_client: FlaskClient,
                                             fuzz_store: Seeded, data: st.DataObject) -> None:
    url = data.draw(request_for(path, fuzz_store), label="url")
    check_answer(path, url, fuzz_client.get(url))


@pytest.mark.parametrize(("path", "url", "status"), [
    ("/api/runs/{run_id}", "/api/runs/9223372036854775808", 404),  # past 64 bits
    ("/api/runs/{run_id}", "/api/runs/2147483648", 404),  # past PostgreSQL's INTEGER
    ("/api/runs/{run_id}/document", "/api/runs/9223372036854775808/document", 404),
    ("/api/compare", "/api/compare?base=1&candidate=2147483648", 400),
    ("/api/compare", "/api/compare?base=1&candidate=%C2%B2", 400),  # "²".isdigit()
    ("/api/runs", "/api/runs?page=" + "9" * 5000, 400),  # too long for int()
    ("/api/runs", "/api/runs?to=9999-12-31", 400),  # the day after overflows
    ("/api/runs", "/api/runs?from=0001-01-01T00:00:00%2B14:00", 400),  # so does UTC
    ("/api/trends", "/api/trends?host=%00", 400),  # PostgreSQL refuses NUL
    ("/api/runs", "/api/runs?host=a%00&tag=%00=%00", 400),
])
def test_the_inputs_that_once_failed(path: str, url: str, status: int,
                                     fuzz_client: FlaskClient) -> None:
    """Found by the test above (500s, or 503s from PostgreSQL), kept as plain examples."""
    response = fuzz_client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    check_answer(path, url, response)
