"""Findings from what the server said (Server-Timing): each fires on the pattern it names,
stays quiet on the fixed version, and names the fix."""

from __future__ import annotations

import random

from swarmdeck.analysis.findings import FindingInputs, find
from swarmdeck.analysis.server_split import ServerStep
from swarmdeck.analysis.summary import EndpointSummary, summarize_endpoint
from swarmdeck.metrics import EndpointInterval
from swarmdeck.metrics.server_timing import ServerTiming
from swarmdeck.records.verdict import Finding

REVIEWS = "SELECT reviews.id, reviews.product_id, ... FROM reviews WHERE ? = reviews.product_id"
ORDERS = "SELECT orders.id, orders.status, ... FROM orders WHERE orders.created_at >= ?"


def endpoint(name: str, headers: list[str], client_ms: float = 50.0) -> EndpointSummary:
    """An endpoint's summary whose server sent ``headers``, one per successful request."""
    data = EndpointInterval(start=0, method="GET", name=name)
    for _ in headers:
        data.histogram.record(int(client_ms * 1000))
    data.requests = len(headers)
    data.server_timing = ServerTiming()
    data.server_timing.add_headers(headers, client_ms * len(headers))
    return summarize_endpoint(data, 60.0)


def our_header(rows: int, *, db_ms: float = 5.0, app_ms: float = 20.0, slow_ms: float = 0.5,
               slow: str = REVIEWS, eager: bool = False) -> str:
    """What swarmdeck's extension sends for a list page of ``rows`` rows, lazily loaded
    (1 + rows queries) or eagerly (2)."""
    queries = 2 if eager else 1 + rows
    header = (f'app;dur={app_ms}, db;dur={db_ms};desc="{queries} queries", '
              f'sql-slow;dur={slow_ms};desc="#11223344 {slow}"')
    if not eager:
        header += f', sql-repeat;dur={db_ms * 0.8};desc="{rows}x #55667788 {REVIEWS}"'
    return header


def codes(found: list[Finding]) -> list[tuple[str, str | None]]:
    return [(f.code, f.endpoint) for f in found]


def test_n_plus_one_names_the_repeated_statement_and_eager_loading() -> None:
    rng = random.Random(1)
    page = endpoint("/", [our_header(rng.choice([8, 12, 20])) for _ in range(50)])
    (finding,) = find(FindingInputs(endpoints=[page]))
    assert (finding.code, finding.endpoint, finding.severity) == ("n-plus-one", "GET /",
                                                                  "warning")
    evidence = finding.evidence
    assert evidence["queries_max"] == 21 and evidence["repeated_max"] == 20
    assert evidence["statement"] == REVIEWS and evidence["fingerprint"] == "55667788"
    assert (evidence["table"], evidence["column"]) == ("reviews", "product_id")
    assert "grows with the rows on the page" in finding.message
    assert ".options(selectinload(Parent.reviews))" in finding.fix
    assert "joinedload" in finding.fix


def test_eager_loading_and_few_repeats_are_not_n_plus_one() -> None:
    eager = endpoint("/", [our_header(20, eager=True) for _ in range(50)])
    three = endpoint("/b", [our_header(3) for _ in range(50)])  # 3 repeats of 4 queries
    few = endpoint("/c", [our_header(20) for _ in range(4)])  # too few timed responses
    assert find(FindingInputs(endpoints=[eager, three, few])) == []


def test_slow_query_when_one_statement_dominates_database_time() -> None:
    report = endpoint("/report", [our_header(1, db_ms=120, app_ms=150, slow_ms=100,
                                             slow=ORDERS, eager=True) for _ in range(40)])
    (finding,) = find(FindingInputs(endpoints=[report]))
    assert finding.code == "slow-query" and finding.evidence["statement"] == ORDERS
    assert finding.evidence["share_of_db"] > 0.8
    assert "index" in finding.fix and "GROUP BY" in finding.fix
    # many cheap statements, none dominating: not this finding
    spread = endpoint("/s", [our_header(1, db_ms=120, slow_ms=5, eager=True)] * 40)
    assert find(FindingInputs(endpoints=[spread])) == []


def test_heavy_in_request_for_seconds_of_server_time() -> None:
    heavy = endpoint("/reports/monthly", ['app;dur=2400, db;dur=300;desc="3 queries"'] * 30,
                     client_ms=2500)
    (finding,) = find(FindingInputs(endpoints=[heavy]))
    assert finding.code == "heavy-in-request" and "2.4 s" in finding.message
    assert "Celery" in finding.fix and "202" in finding.fix


def test_cache_ineffective_when_reads_rarely_hit() -> None:
    cold = endpoint("/", ['app;dur=5, cache;dur=1;desc="2 reads", cache-miss;desc="2 misses"']
                    * 45 + ['app;dur=5, cache-hit;desc="1 hit"'] * 5)
    (finding,) = find(FindingInputs(endpoints=[cold]))
    assert finding.code == "cache-ineffective"
    assert (finding.evidence["hits"], finding.evidence["misses"]) == (5, 90)
    warm = endpoint("/", ['app;dur=5, cache-hit;desc="1 hit"'] * 45
                    + ['app;dur=5, cache-miss;desc="1 miss"'] * 5)
    assert find(FindingInputs(endpoints=[warm])) == []


def steps(rest: list[float], server: list[float]) -> list[ServerStep]:
    return [ServerStep(start=1000 + 10 * i, seconds=10, users=10 * (i + 1), responses=100,
                       client_ms=s + r, server_ms=s) for i, (r, s) in enumerate(zip(rest, server))]


def test_queueing_when_only_the_time_in_front_of_the_app_grows() -> None:
    found = find(FindingInputs(server_steps=steps([2, 3, 40, 250, 180, 3], [12] * 6)))
    (finding,) = found
    assert finding.code == "queueing" and finding.endpoint is None
    assert finding.evidence["users"] == 40 and finding.evidence["rest_ms"] == 250
    assert "workers" in finding.fix and "gthread" in finding.fix
    # the server itself slowed down as much: not a queue in front of it
    assert find(FindingInputs(server_steps=steps([2, 3, 40, 250, 180, 3],
                                                 [12, 12, 60, 300, 200, 12]))) == []
    # small waits: nothing to say
    assert find(FindingInputs(server_steps=steps([2, 3, 4, 20, 8, 3], [12] * 6))) == []


def test_slow_query_names_the_statement_as_pg_stat_statements_counted_it() -> None:
    from swarmdeck.records.monitors import TopQuery

    report = endpoint("/report", [our_header(1, db_ms=120, app_ms=150, slow_ms=100,
                                             slow=ORDERS, eager=True) for _ in range(40)])
    counted = TopQuery(query="SELECT orders.id, orders.status, orders.total FROM orders "
                             "WHERE orders.created_at >= $1", calls=412, total_ms=41_937.5,
                       mean_ms=101.8, rows=412)
    unrelated = TopQuery(query="SELECT 1", calls=9, total_ms=99_000.0, mean_ms=1.0, rows=9)
    (finding,) = find(FindingInputs(endpoints=[report], top_queries=[unrelated, counted]))
    assert finding.code == "slow-query"
    assert finding.evidence["pg_query"] == counted.query
    assert finding.evidence["pg_calls"] == 412
    assert "412 times" in finding.message and "41.9 s" in finding.message
    assert counted.query in finding.fix and "EXPLAIN ANALYZE" in finding.fix
    # without the monitor, the fix says how to get the name
    (plain,) = find(FindingInputs(endpoints=[report]))
    assert "pg_query" not in plain.evidence and "--monitor postgresql://" in plain.fix
