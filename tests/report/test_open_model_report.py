"""An open-model run as every output shows it, from the store: the JSON summary, the
terminal, Markdown, the run document and a comparison each say that the latency counts from
when each iteration was due, and show the service time and the iterations beside it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from tests.report.runs import OPEN_SECONDS as SECONDS
from tests.report.runs import make_open_run, make_run

from swarmdeck.report.document import run_document
from swarmdeck.report.markdown import markdown_summary
from swarmdeck.report.model import load_report
from swarmdeck.report.terminal import summary
from swarmdeck.store import Store
from swarmdeck.verdict.comparison import compare_runs


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as opened:
        yield opened


def test_the_json_summary_says_what_the_latency_counts_from(store: Store) -> None:
    summary_json = load_report(store, make_open_run(store)).to_json()
    assert summary_json["latency"] == "from_due"
    totals = summary_json["totals"]
    assert totals["p99_ms"] == pytest.approx(300.0, rel=0.01)
    assert totals["service_latency"]["p99_ms"] == pytest.approx(2.0, rel=0.01)
    open_model = summary_json["open_model"]
    assert (open_model["first_users"], open_model["max_users"]) == (10, 20)
    iterations = open_model["iterations"]
    assert (iterations["scheduled"], iterations["started"], iterations["dropped"]) == (
        2005, 2000, 5)
    assert iterations["dropped_max_per_s"] == 5 and iterations["late"] == 40
    assert iterations["lag_max_ms"] == pytest.approx(298.1, rel=0.01)


def test_a_closed_model_run_says_it_counts_from_the_send(store: Store) -> None:
    summary_json = load_report(store, make_run(store, seconds=10)).to_json()
    assert summary_json["latency"] == "from_send"
    assert "open_model" not in summary_json
    assert "service_latency" not in summary_json["totals"]


def test_the_terminal_and_markdown_show_both_latencies_and_the_iterations(
        store: Store) -> None:
    report = load_report(store, make_open_run(store))
    console = Console(width=160, record=True, color_system=None)
    console.print(summary(report, console.width))
    text = console.export_text()
    assert "Open model: latency counts from when each iteration was due" in text
    assert "Iterations: 2,005 due" in text and "5 dropped (0.25%)" in text
    assert "Service time (from the send, as Locust measures it): p50 2.00" in text
    markdown = markdown_summary(report)
    assert "Open model: latency counts from when each iteration was due" in markdown
    assert "Service time (from the send): p50 2.0 ms" in markdown


def test_the_run_document_and_a_comparison_say_which_latency(store: Store) -> None:
    opened = make_open_run(store)
    header = run_document(store, opened)["header"]
    assert header["latency"] == "from_due"
    assert header["open_model"]["iterations"]["dropped"] == 5
    closed = make_run(store, seconds=SECONDS)
    assert compare_runs(store, opened, opened).latency == "from_due"
    assert compare_runs(store, closed, opened).latency == "mixed"
    assert compare_runs(store, closed, closed).latency == "from_send"


def test_the_run_document_has_the_iterations_per_second_on_the_timeline_s_grid(
        store: Store) -> None:
    doc = run_document(store, make_open_run(store))
    its = doc["iterations"]
    assert its["t"] == doc["timeline"]["t"] and its["step_s"] == doc["timeline"]["step_s"] == 1
    assert len(its["t"]) == SECONDS
    assert its["scheduled"][0] == its["started"][0] == 100 and its["dropped"][0] == 0
    assert (its["scheduled"][11], its["started"][11], its["dropped"][11]) == (105, 100, 5)
    assert its["lag_p95_ms"][0] == pytest.approx(0.1, rel=0.05)
    assert its["lag_p95_ms"][10] == pytest.approx(298.1, rel=0.01)  # the stall
    closed = run_document(store, make_run(store, seconds=SECONDS))
    assert closed["iterations"] is None
