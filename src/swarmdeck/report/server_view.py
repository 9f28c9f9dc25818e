"""Where the time went, in the terminal summary: per endpoint whose server sent
``Server-Timing``, the client's mean latency split into the server's part (``app``: of it
``db`` and ``tpl``) and the rest (network and queueing in front of the app), and the queries
per request (median, p95, max). Nothing when no endpoint had the header."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from swarmdeck.analysis.server_split import ServerSummary
from swarmdeck.analysis.summary import EndpointSummary
from swarmdeck.labels import endpoint_label
from swarmdeck.report import format as fmt

TITLE = ("Where the time went (Server-Timing): mean ms per response; client = server + rest "
         "(network, queueing in front of the app)")


def _part(server: ServerSummary, name: str) -> str:
    metric = server.metric(name)
    return fmt.ms(metric.share_ms) if metric is not None else "–"


def renderables(endpoints: Sequence[EndpointSummary]) -> list[RenderableType]:
    rows = [(e, e.server) for e in endpoints if e.server is not None]
    if not rows:
        return []
    table = Table(title=Text(TITLE, style="table.title"), title_justify="left",
                  show_edge=False, pad_edge=False)
    table.add_column("Endpoint", overflow="fold", min_width=12)
    for header in ("Timed", "Client", "Server", "DB", "Tpl", "Rest",
                   "Queries p50/p95/max"):
        table.add_column(header, justify="right")
    for e, s in rows:
        queries = s.queries
        table.add_row(
            Text(endpoint_label(e.method, e.name)),
            fmt.count(s.responses) + (f" ({s.coverage:.0%})" if s.coverage < 0.995 else ""),
            fmt.ms(s.client_mean_ms), fmt.ms(s.server_mean_ms),
            _part(s, "db"), _part(s, "tpl"), fmt.ms(s.rest_mean_ms),
            f"{queries.p50}/{queries.p95}/{queries.max}" if queries else "–")
    return [table]
