"""The terminal's Thresholds table."""

from __future__ import annotations

from rich.console import Console

from swarmdeck.report.thresholds_view import renderables

from .reports import THRESHOLDS


def test_table_shows_each_threshold_and_pass_or_fail() -> None:
    console = Console(width=120, record=True, color_system=None)
    for part in renderables(THRESHOLDS):
        console.print(part)
    text = console.export_text()
    assert "Thresholds" in text
    assert "p95 < 300ms" in text and "80 ms" in text and "PASS" in text
    assert "error_rate < 1%" in text and "POST /api/orders <&>" in text
    assert "FAIL (abort)" in text


def test_no_thresholds_no_table() -> None:
    assert renderables(()) == []
