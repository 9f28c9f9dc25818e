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
