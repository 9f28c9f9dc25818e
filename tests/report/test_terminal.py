"""The end-of-run summary in the terminal: readable in a wide terminal and in an
80-column CI log alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from tests.report.runs import make_run

from swarmdeck.report.model import load_report
from swarmdeck.report.terminal import summary
from swarmdeck.store import Store

NAMES = ("/a", "/api/reports/quarterly-summary", "/api/products/:id/reviews")


@pytest.fixture
def report(tmp_path: Path) -> Iterator[object]:
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        yield load_report(store, make_run(store, seconds=30, names=NAMES))


def _render(report: object, width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(summary(report, console.width))  # type: ignore[arg-type]
    return console.export_text().splitlines()


def test_a_wide_terminal_shows_every_latency_column_and_one_line_per_endpoint(
        report: object) -> None:
    lines = _render(report, 160)
    header = next(line for line in lines if "Endpoint" in line)
    for column in ("Requests", "Fails", "Fail %", "req/s", "p50 ms", "p95 ms", "p99 ms",
                   "p99.9 ms", "max ms"):
        assert column in header
    for method, name in (("GET", NAMES[0]), ("POST", NAMES[1]), ("GET", NAMES[2])):
        assert any(f"{method} {name} " in line for line in lines), name


def test_an_80_column_log_keeps_the_names_readable(report: object) -> None:
    lines = _render(report, 80)
    assert max(len(line) for line in lines) <= 80
    header = next(line for line in lines if "Endpoint" in line)
    assert "p95 ms" in header and "p99 ms" in header and "p99.9 ms" not in header
    first_column = [line.split("│")[0].strip() for line in lines if "│" in line]
    assert "".join(first_column[:8]).count("/api/reports/quarterly-summary") == 1  # folded
    assert any(line.startswith("baseline") for line in first_column)  # the stages fit too


def _run_with_failures(store: Store, *, failing: bool) -> int:
    """/ok: 9 successes at 10 ms a second and, when ``failing``, a timeout at 30 s;
    /down: only refused connections (1 ms) when ``failing``."""
    from datetime import UTC, datetime

    from tests.store.factories import make_interval, make_meta

    t0 = 1_714_564_800
    run_id = store.create_run(make_meta(started_at=datetime.fromtimestamp(t0, UTC)))
    for second in range(10):
        batch = [make_interval(t0 + second, "/ok", [10_000] * 9,
                               failed=[30_000_000] if failing else [])]
        if failing:
            batch.append(make_interval(t0 + second, "/down", [], failed=[1_000] * 3))
        store.add_intervals(run_id, batch)
    store.finish_run(run_id, "passed", datetime.fromtimestamp(t0 + 10, UTC))
    return run_id


def test_failed_requests_latency_is_shown_apart_only_when_some_failed(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        failing = load_report(store, _run_with_failures(store, failing=True))
        clean = load_report(store, _run_with_failures(store, failing=False))
    for width in (160, 80):
        lines = _render(failing, width)
        title = lines.index("Failed requests' response times (not in the percentiles above)")
        ok = next(line for line in lines[:title] if line.startswith("GET /ok "))
        assert "10.0" in ok and "30,000" not in ok  # the timeouts are not in its percentiles
        down = next(line for line in lines[:title] if line.startswith("GET /down "))
        assert down.split("│")[-1].strip() == "–"  # every request failed: no percentile
        cells = [[cell.strip() for cell in line.split("│")] for line in lines[title:]
                 if line.startswith(("GET ", "Aggregated"))]
        failed = {row[0]: row[1:] for row in cells}  # fails, p50, p95, max
        assert failed["GET /ok"] == ["10", "30,000", "30,000", "30,000"]
        assert failed["GET /down"] == ["30", "1.00", "1.00", "1.00"]
        assert failed["Aggregated"] == ["40", "1.00", "30,000", "30,000"]
    assert not any("Failed requests" in line for line in _render(clean, 160))
