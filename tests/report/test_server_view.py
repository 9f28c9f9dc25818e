"""What the server said, in every view: the JSON summary's endpoints[].server, the terminal
summary's split, the run document, and the comparison's server-side medians."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from tests.report.runs import make_run

from swarmdeck.report.comparison_view import comparison_markdown, renderables
from swarmdeck.report.document import run_document
from swarmdeck.report.model import load_report
from swarmdeck.report.terminal import summary
from swarmdeck.store import Store
from swarmdeck.verdict.comparison import compare_runs


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as opened:
        yield opened


def render(renderable: object) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_the_json_summary_splits_client_latency(store: Store) -> None:
    run_id = make_run(store, queries=23, seconds=30)
    report = load_report(store, run_id)
    by_name = {e["name"]: e for e in report.to_json()["endpoints"]}
    assert by_name["/b"]["server"] is None  # its server said nothing
    server = by_name["/a"]["server"]
    a = next(e for e in report.endpoints if e.name == "/a")
    assert server["responses"] == a.requests - a.failures and server["coverage"] == 1.0
    assert server["server_metric"] == "app"
    # the split adds up: client = server + rest; the server is 80% of it, db 60%
    assert abs(server["server_mean_ms"] + server["rest_mean_ms"]
               - server["client_mean_ms"]) < 0.002
    assert abs(server["server_mean_ms"] / server["client_mean_ms"] - 0.8) < 0.01
    assert abs(server["metrics"]["db"]["share_ms"] / server["client_mean_ms"] - 0.6) < 0.01
    assert server["queries"] == {"p50": 23, "p95": 23, "max": 23, "mean": 23.0}
    repeat = server["metrics"]["sql-repeat"]
    assert repeat["count"]["p50"] == 22 and repeat["desc"].startswith("#1a2b3c4d SELECT")
    assert run_document(store, run_id)["endpoints"][0]["server"] == server


def test_the_terminal_shows_where_the_time_went(store: Store) -> None:
    text = render(summary(load_report(store, make_run(store, queries=7, seconds=20))))
    assert "Where the time went" in text
    after = text.split("Where the time went", 1)[1]
    line = next(line for line in after.splitlines() if line.startswith("GET /a "))
    assert line.split()[-1] == "7/7/7"  # queries p50/p95/max


def test_without_the_header_no_split_is_shown(store: Store) -> None:
    report = load_report(store, make_run(store, seconds=10))
    assert "Where the time went" not in render(summary(report))
    assert all(e["server"] is None for e in report.to_json()["endpoints"])


def test_the_comparison_puts_server_medians_side_by_side(store: Store) -> None:
    naive = make_run(store, queries=41, seconds=30)
    tuned = make_run(store, queries=3, seconds=30, seed=2)
    comparison = compare_runs(store, naive, tuned)
    queries = [c for c in comparison.server if c.metric == "queries"]
    assert [(c.label, c.base, c.candidate) for c in queries] == [("GET /a", 41, 3)]
    assert {c.metric for c in comparison.server} == {"queries", "app", "db"}
    text = render(renderables(comparison)[2:])  # after the table and its counts
    assert "GET /a: 41 → 3 queries · app" in text
    assert "GET /a: 41 → 3 queries" in comparison_markdown(comparison)
