"""The live terminal view while a run is in progress (rich), and its quiet twin for CI."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from swarmdeck.analysis.summary import LiveStats
from swarmdeck.labels import endpoint_label
from swarmdeck.plan import Plan
from swarmdeck.report import format as fmt
from swarmdeck.report.open_model_view import live_line as iterations_line
from swarmdeck.report.script_errors_view import live_line

BUSIEST = 8


def render(live: LiveStats | None, users: int, elapsed_s: float, total_s: float | None,
           run_id: int, host: str, notes: list[str]) -> RenderableType:
    if total_s:
        done = min(elapsed_s / total_s, 1.0)
        clock = (f"{fmt.duration(elapsed_s)} elapsed, "
                 f"{fmt.duration(max(total_s - elapsed_s, 0))} remaining")
    else:
        done = 0.0
        clock = f"{fmt.duration(elapsed_s)} elapsed (until the shape ends or Ctrl-C)"
    head = Text.assemble((f"Run {run_id} ", "bold"), f"{host}  {clock}")
    progress = Table.grid(padding=(0, 1))
    progress.add_row(ProgressBar(total=1.0, completed=done, width=60),
                     f"{done:.0%}" if total_s else "")
    parts: list[RenderableType] = [head, progress]
    if live is not None:
        w = live.window
        fail_pct = 100.0 * live.failures / live.requests if live.requests else 0.0
        parts.append(Text(
            f"users {users}   req/s {fmt.rate(w.rps)}   requests {fmt.count(live.requests)}   "
            f"failures {fmt.count(live.failures)} ({fmt.pct(fail_pct)})   "
            f"last {live.window_s}s: p50 {fmt.ms(w.p50_ms)}  p95 {fmt.ms(w.p95_ms)}  "
            f"p99 {fmt.ms(w.p99_ms)} ms"))
        iterations = iterations_line(live.iterations)
        if iterations is not None:
            parts.append(iterations)
        script_errors = live_line(live.script_errors)
        if script_errors is not None:
            parts.append(script_errors)
        table = Table(show_edge=False, pad_edge=False, title=f"Busiest endpoints, last "
                      f"{live.window_s}s", title_justify="left")
        table.add_column("Endpoint", overflow="ellipsis", no_wrap=True, max_width=58)
        for header in ("req/s", "fail", "p50", "p95", "p99"):
            table.add_column(header, justify="right")
        for e in sorted(live.endpoints, key=lambda e: -e.requests)[:BUSIEST]:
            table.add_row(Text(endpoint_label(e.method, e.name)), fmt.rate(e.rps),
                          fmt.count(e.failures), fmt.ms(e.p50_ms), fmt.ms(e.p95_ms),
                          fmt.ms(e.p99_ms))
        parts.append(table)
    parts.extend(Text(note, style="yellow") for note in notes)
    return Group(*parts)


class LiveView:
    """rich's Live display, refreshed by the engine once per second."""

    wants_live = True

    def __init__(self, console: Console) -> None:
        self.console = console
        self._live: Live | None = None
        self._notes: list[str] = []
        self._state: tuple[int, str, float | None] = (0, "", None)

    def started(self, run_id: int, plan: Plan, total_s: float | None) -> None:
        host = plan.host or ""
        self._state = (run_id, host, total_s)
        self._live = Live(render(None, 0, 0.0, total_s, run_id, host, self._notes),
                          console=self.console, auto_refresh=False, transient=True)
        self._live.start()

    def tick(self, live: LiveStats, users: int, elapsed_s: float) -> None:
        if self._live is not None:
            run_id, host, total_s = self._state
            self._live.update(render(live, users, elapsed_s, total_s, run_id, host, self._notes),
                              refresh=True)

    def message(self, text: str) -> None:
        self._notes.append(text)
        if self._live is None:
            self.console.print(Text(text))  # the user's text (a host, a name): no markup

    def stopped(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


class QuietView:
    """-q: nothing while running; only what the user must know."""

    wants_live = False

    def __init__(self, console: Console) -> None:
        self.console = console

    def started(self, run_id: int, plan: Plan, total_s: float | None) -> None:
        pass

    def tick(self, live: LiveStats, users: int, elapsed_s: float) -> None:
        pass

    def message(self, text: str) -> None:
        self.console.print(Text(text))

    def stopped(self) -> None:
        pass
