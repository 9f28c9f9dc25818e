"""Findings from what the server said of each request (``Server-Timing``, through the
endpoint summaries' ``server`` and the per-step ``ServerStep``s): each names the fix.

- ``n-plus-one``: one statement shape run many times per request (the lazy load of a
  relationship, row by row) — eager loading;
- ``slow-query``: one statement shape, slow, most of an endpoint's database time — an
  index, or the aggregation in SQL;
- ``heavy-in-request``: an endpoint whose server time is long enough to be a job (a
  report, an import) — a background queue;
- ``cache-ineffective``: a cache read but rarely hit under load;
- ``queueing``: the client's latency far above the server's while the server's stays flat
  — requests wait for a worker.

Pure heuristics over ``FindingInputs`` (analysis/findings.py). Every threshold is a module
constant, explained in docs/findings.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from swarmdeck.analysis.findings import FindingInputs
from swarmdeck.analysis.server_split import MetricStats, ServerStep, ServerSummary
from swarmdeck.analysis.statements import pg_statement
from swarmdeck.analysis.summary import EndpointSummary
from swarmdeck.labels import endpoint_label as label
from swarmdeck.records.monitors import TopQuery
from swarmdeck.records.verdict import Finding

MIN_TIMED = 5  # responses with the header an endpoint needs for any of these findings
# n-plus-one: the most repeated statement ran at least this many times in the median request
NPLUS_MIN_REPEAT = 5
NPLUS_MIN_SHARE = 0.25  # ...and was at least this share of the request's queries
# slow-query: the slowest statement's median at least this many ms...
SLOW_QUERY_MS = 20.0
SLOW_SHARE = 0.5  # ...its time at least this share of the endpoint's database time...
SLOW_SAME = 0.5  # ...and the same statement the slowest in at least this share of requests
# heavy-in-request: the server's median time at least this many ms
HEAVY_MS = 1000.0
# cache-ineffective: at least this many cache reads, of which fewer than this share hit
CACHE_MIN_READS = 50
CACHE_MIN_HIT = 0.5
# queueing: in the step where the time in front of the app (client - server) was the
# longest, at least QUEUE_MS and QUEUE_RATIO times the server's time, while the server's
# time was at most SERVER_FLAT times its median over the run, and the time in front at
# least QUEUE_GROWTH times its shortest
QUEUE_MS = 100.0
QUEUE_RATIO = 2.0
SERVER_FLAT = 2.0
QUEUE_GROWTH = 3.0
QUEUE_MIN_STEP = 10  # responses with the header a step needs to count

_STATEMENT = re.compile(r"^#(?P<fingerprint>[0-9a-f]{8})\s*(?P<text>.*)$", re.DOTALL)
_LOOKUP = re.compile(
    r"\bFROM\s+(?P<table>[\w.\"]+)\s+WHERE\s+(?:\?\s*=\s*(?P=table)\.(?P<a>\w+)|"
    r"(?P=table)\.(?P<b>\w+)\s*=\s*\?)", re.IGNORECASE)


def find_server(inputs: FindingInputs) -> list[Finding]:
    found: list[Finding] = []
    for e in inputs.endpoints:
        s = e.server
        if s is None or s.responses < MIN_TIMED:
            continue
        for finding in (n_plus_one(e, s), slow_query(e, s, inputs.top_queries),
                        heavy_in_request(e, s), cache_ineffective(e, s)):
            if finding is not None:
                found.append(finding)
    found += queueing(inputs.server_steps)
    return found


def _statement(metric: MetricStats | None) -> tuple[str | None, str | None]:
    """(fingerprint, text) of the statement a sql-* metric's desc names."""
    if metric is None or metric.desc is None:
        return None, None
    match = _STATEMENT.match(metric.desc)
    if match is None:
        return None, metric.desc or None
    return match.group("fingerprint"), match.group("text").strip() or None


def _ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def n_plus_one(e: EndpointSummary, s: ServerSummary) -> Finding | None:
    """The most repeated statement (``sql-repeat``) ran NPLUS_MIN_REPEAT+ times in the
    median request and was NPLUS_MIN_SHARE+ of its queries."""
    repeat, queries = s.metric("sql-repeat"), s.queries
    if repeat is None or repeat.count is None or queries is None or queries.p50 == 0:
        return None
    times = repeat.count
    if times.p50 < NPLUS_MIN_REPEAT or times.p50 / queries.p50 < NPLUS_MIN_SHARE:
        return None
    fingerprint, text = _statement(repeat)
    lookup = _LOOKUP.search(text or "")
    table = lookup.group("table").strip('"') if lookup else None
    column = (lookup.group("a") or lookup.group("b")) if lookup else None
    varies = queries.max > queries.p50 or queries.p95 != queries.p50
    db = s.metric("db")
    what = (f"{table} one {column} at a time" if table and column else
            "the same statement once per row")
    if table and column and column != "id":  # a collection: products -> their reviews
        eager = (f".options(selectinload(Parent.{table})), Parent.{table} being the "
                 f"relationship that loads {table} by {column}")
    elif table:  # a many-to-one: each post's author by id
        one = table[:-1] if table.endswith("s") and not table.endswith("ss") else table
        eager = (f".options(joinedload(Child.{one})), Child.{one} being the relationship "
                 f"that loads {table} by {column or 'id'}")
    else:
        eager = ".options(selectinload(...)) on the relationship it loads"
    return Finding(
        "n-plus-one", "warning", label(e.method, e.name),
        f"the median request ran {queries.p50} queries (p95 {queries.p95}, max "
        f"{queries.max}), {times.p50} of them the same statement, loading {what}"
        + (f": {text}" if text else "")
        + (" — the count grows with the rows on the page" if varies else "")
        + ": an N+1, a query per row instead of one for all",
        {"queries_p50": queries.p50, "queries_p95": queries.p95, "queries_max": queries.max,
         "repeated_p50": times.p50, "repeated_max": times.max, "statement": text,
         "fingerprint": fingerprint, "table": table, "column": column,
         "repeated_ms_p50": repeat.p50_ms, "db_ms": db.share_ms if db else None,
         "server_ms": s.server_mean_ms, "responses": s.responses},
        "load the related rows with the query that loads the page's rows, not one query per "
        f"row: in SQLAlchemy add {eager} (selectinload for a collection, joinedload for a "
        "many-to-one); or compute what the page shows (counts, sums) in SQL with GROUP BY. "
        "Django: prefetch_related / select_related; Rails: includes")


def slow_query(e: EndpointSummary, s: ServerSummary,
               top_queries: Sequence[TopQuery] = ()) -> Finding | None:
    """The slowest statement (``sql-slow``): its median SLOW_QUERY_MS+, SLOW_SHARE+ of the
    endpoint's database time, the same statement in SLOW_SAME+ of the requests. With a
    PostgreSQL monitor's ``pg_stat_statements`` figures, it names the statement as
    PostgreSQL counted it: its calls and total time during the run."""
    slow, db = s.metric("sql-slow"), s.metric("db")
    if slow is None or db is None or slow.p50_ms is None or slow.share_ms is None:
        return None
    if slow.p50_ms < SLOW_QUERY_MS or not db.share_ms:
        return None
    share = slow.share_ms / db.share_ms
    same = slow.desc_share or 0.0
    if share < SLOW_SHARE or same < SLOW_SAME:
        return None
    fingerprint, text = _statement(slow)
    pg = pg_statement(text, top_queries)
    evidence: dict[str, object] = {
        "statement": text, "fingerprint": fingerprint, "p50_ms": slow.p50_ms,
        "p95_ms": slow.p95_ms, "share_of_db": round(share, 4), "slowest_in": round(same, 4),
        "db_ms": db.share_ms, "server_ms": s.server_mean_ms, "responses": s.responses}
    if pg is not None:
        evidence |= {"pg_query": pg.query, "pg_calls": pg.calls,
                     "pg_total_ms": round(pg.total_ms, 3), "pg_mean_ms": round(pg.mean_ms, 3)}
    return Finding(
        "slow-query", "warning", label(e.method, e.name),
        f"one statement was the slowest in {same:.0%} of the requests and took "
        f"{share:.0%} of the database time ({_ms(slow.p50_ms)} median, "
        f"{_ms(slow.p95_ms)} p95" + (f"): {text}" if text else ")")
        + (f"; PostgreSQL (pg_stat_statements) ran it {pg.calls:,} times during the run, "
           f"{pg.total_ms / 1000:,.1f} s in all ({_ms(pg.mean_ms)} a call)" if pg else ""),
        evidence,
        (f"run EXPLAIN ANALYZE on it as PostgreSQL names it ({pg.query}): " if pg else
         "run EXPLAIN (EXPLAIN ANALYZE on PostgreSQL) on it: ")
        + "a sequential scan under a WHERE or a JOIN wants an index on the filtered column "
        "(CREATE INDEX ... ON table (column)); a query that reads many rows to sum or count "
        "them in Python wants the aggregation in SQL (GROUP BY, SUM, COUNT)"
        + ("" if pg else "; with PostgreSQL, a postgresql monitor (--monitor "
           "postgresql://...) with pg_stat_statements names the statement and its total time"))


def heavy_in_request(e: EndpointSummary, s: ServerSummary) -> Finding | None:
    """The server's median time (app or total) HEAVY_MS+."""
    server = s.metric(s.server_metric) if s.server_metric else None
    if server is None or server.p50_ms is None or server.p50_ms < HEAVY_MS:
        return None
    queries = s.queries
    return Finding(
        "heavy-in-request", "warning", label(e.method, e.name),
        f"the server spent {server.p50_ms / 1000:.1f} s on the median request (p95 "
        f"{(server.p95_ms or 0) / 1000:.1f} s" + (f", {queries.p50} queries" if queries else "")
        + "): work of this size (a report, an import, an export) holds a worker for its "
        "whole length, and every request queued behind it waits",
        {"server_p50_ms": server.p50_ms, "server_p95_ms": server.p95_ms,
         "queries_p50": queries.p50 if queries else None, "responses": s.responses},
        "move it out of the request: enqueue a background job (Celery, RQ) and answer "
        "202 Accepted with a URL to poll or a notification when done, or precompute it on a "
        "schedule; if it must stay in the request, make it cheaper first (aggregate in SQL, "
        "an index) and give it its own worker pool")


def _cache_counts(s: ServerSummary) -> tuple[int, int]:
    """(hits, misses): the extension's cache-hit / cache-miss counts, or a cache metric's
    HIT / MISS descs (a CDN's ``cdn-cache;desc=HIT``)."""
    hit, miss = s.metric("cache-hit"), s.metric("cache-miss")
    if hit is not None or miss is not None:
        def total(m: MetricStats | None) -> int:
            return round(m.count.mean * m.count.responses) if m and m.count else 0
        return total(hit), total(miss)
    return 0, 0


def cache_ineffective(e: EndpointSummary, s: ServerSummary) -> Finding | None:
    """CACHE_MIN_READS+ cache reads, fewer than CACHE_MIN_HIT of them hits."""
    hits, misses = _cache_counts(s)
    reads = hits + misses
    if reads < CACHE_MIN_READS or hits / reads >= CACHE_MIN_HIT:
        return None
    return Finding(
        "cache-ineffective", "warning", label(e.method, e.name),
        f"only {hits} of {reads} cache reads found a value ({hits / reads:.0%}): the cache "
        "costs a round trip on every request and saves little",
        {"hits": hits, "misses": misses, "hit_ratio": round(hits / reads, 4),
         "responses": s.responses},
        "check what keys the page caches: a key that includes the user, a timestamp or a "
        "random value never repeats; a timeout shorter than the time between two requests "
        "for the same key never hits; a per-process cache (SimpleCache) under many workers "
        "is cold in each: use a shared one (Redis, Memcached)")


def queueing(steps: Sequence[ServerStep]) -> list[Finding]:
    """The step with the longest time in front of the app (client − server)."""
    usable = [st for st in steps if st.responses >= QUEUE_MIN_STEP and st.server_ms is not None]
    if len(usable) < 3:
        return []
    worst = max(usable, key=lambda st: st.rest_ms or 0.0)
    rest, server = worst.rest_ms or 0.0, worst.server_ms or 0.0
    servers = sorted(st.server_ms or 0.0 for st in usable)
    typical = servers[len(servers) // 2]
    shortest = min(st.rest_ms or 0.0 for st in usable)
    if rest < QUEUE_MS or rest < QUEUE_RATIO * server or server > SERVER_FLAT * typical \
            or rest < QUEUE_GROWTH * max(shortest, 0.1):
        return []
    users = f" at {worst.users} users" if worst.users is not None else ""
    return [Finding(
        "queueing", "warning", None,
        f"requests waited in front of the app: in the worst {worst.seconds}-s step{users} "
        f"the client saw {_ms(worst.client_ms)} on average while the server spent "
        f"{_ms(server)} (its median over the run: {_ms(typical)}); {_ms(rest)} went to "
        f"waiting for a worker and the network, against {_ms(shortest)} at best",
        {"start": worst.start, "users": worst.users, "client_ms": round(worst.client_ms, 3),
         "server_ms": round(server, 3), "rest_ms": round(rest, 3),
         "server_median_ms": round(typical, 3), "rest_min_ms": round(shortest, 3)},
        "the app had no free worker: add Gunicorn workers (-w 2×cores+1 for CPU-bound "
        "work), use a threaded or async worker class for I/O-bound apps (--worker-class "
        "gthread --threads 4), or make each request hold its worker for less (see the "
        "other findings); a proxy in front (nginx) with X-Request-Start tells the app its "
        "queue time")]
