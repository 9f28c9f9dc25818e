"""Number formatting shared by every terminal view."""

from __future__ import annotations


def ms(value: float | None) -> str:
    """Milliseconds with the precision a reader can use: 4.12, 38.5, 1,204; "–" for none
    (a percentile of no successful request)."""
    if value is None:
        return "–"
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def count(value: int) -> str:
    return f"{value:,}"


def rate(value: float) -> str:
    return f"{value:,.1f}"


def pct(value: float) -> str:
    return f"{value:.2f}%"


def duration(seconds: float) -> str:
    seconds = max(round(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def cell(value: object) -> str:
    """Text safe inside a table cell: pipes, backticks and HTML brackets escaped, one line."""
    text = "" if value is None else str(value)
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")
            .replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", " ").replace("\n", " "))
