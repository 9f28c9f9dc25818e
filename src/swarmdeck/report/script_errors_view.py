"""Script errors (exceptions in the script's tasks) as the terminal, the live view and the
Markdown summary show them, from the run's ``RunReport`` (or the live groups): a table of
type, place, count and sample message, and where the full tracebacks are. User text (the
message, file names) is never read as markup."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from swarmdeck.records import ScriptError
from swarmdeck.report import format as fmt
from swarmdeck.report.format import cell
from swarmdeck.report.model import RunReport

TOP = 10  # groups listed; the rest are summed in one line
MESSAGE_CHARS = 120  # of the sample message, in the terminal and Markdown


def live_line(groups: Sequence[ScriptError]) -> Text | None:
    """"script errors: 34, JSONDecodeError at public_pages.py:31" (the most frequent)."""
    if not groups:
        return None
    top = groups[0]
    more = f" (+{len(groups) - 1} more kinds)" if len(groups) > 1 else ""
    return Text(f"script errors: {fmt.count(sum(e.count for e in groups))}, "
                f"{top.type} at {top.where}{more}", style="red")


def _short(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= MESSAGE_CHARS else message[:MESSAGE_CHARS - 1] + "…"


def _ungrouped(report: RunReport) -> int:
    """Counted by Locust but not grouped (a run stored before the groups, a lost report)."""
    return max(report.script_error_count - sum(e.count for e in report.script_errors), 0)


def renderables(report: RunReport) -> list[RenderableType]:
    """The summary's "Script errors" table and the log's path; nothing when there were none."""
    if not report.script_error_count:
        return []
    table = Table(title=f"Script errors: {fmt.count(report.script_error_count)} (exceptions "
                  "in tasks: each ended its task early)", title_justify="left",
                  title_style="bold red", show_edge=False, pad_edge=False)
    table.add_column("Count", justify="right")
    table.add_column("Type")
    table.add_column("Where", overflow="fold")
    table.add_column("Sample message", overflow="fold")
    for e in report.script_errors[:TOP]:
        table.add_row(fmt.count(e.count), Text(e.type), Text(e.where), Text(_short(e.message)))
    rest = report.script_errors[TOP:]
    if rest:
        table.add_row(fmt.count(sum(e.count for e in rest)), Text(f"{len(rest)} more kinds"),
                      "", "")
    parts: list[RenderableType] = [table]
    ungrouped = _ungrouped(report)
    if ungrouped:
        parts.append(Text(f"{fmt.count(ungrouped)} counted by Locust without their type and "
                          "place", style="dim"))
    if report.script_errors_log:
        parts.append(Text.assemble("Tracebacks: ", Text(report.script_errors_log)))
    return parts


def markdown(report: RunReport) -> list[str]:
    """The Markdown summary's lines (a leading blank line); none without script errors."""
    if not report.script_error_count:
        return []
    lines = ["", f"**Script errors**: {report.script_error_count:,} (exceptions in tasks)", "",
             "| count | type | where | sample message |", "| ---: | --- | --- | --- |"]
    lines += [f"| {e.count:,} | {cell(e.type)} | {cell(e.where)} | {cell(_short(e.message))} |"
              for e in report.script_errors[:TOP]]
    rest = report.script_errors[TOP:]
    if rest:
        lines.append(f"| {sum(e.count for e in rest):,} | {len(rest)} more kinds | | |")
    ungrouped = _ungrouped(report)
    if ungrouped:
        lines.append(f"| {ungrouped:,} | (counted by Locust, not grouped) | | |")
    return lines
