"""A capacity search's "Saturated first" line: the first series to reach its limit with the
rate, then the others that did; or, when none did, the closest."""

from __future__ import annotations

from swarmdeck.records import Saturation
from swarmdeck.report.capacity_view import saturation_line

UTILIZATION = Saturation(series="gunicorn.utilization", source="statsd://127.0.0.1:8125",
                         what="Gunicorn's workers busy", reached=True, rate=150.0, step=3,
                         value=82.0, limit=80.0, unit="%")
CPU = Saturation(series="cpu", source="process:123",
                 what="the target's CPU, % of the machine's cores", reached=True, rate=175.0,
                 step=4, value=91.0, limit=90.0, unit="%")
CONNECTIONS = Saturation(series="pg.connections", source="postgresql://", what="PostgreSQL's "
                         "connections (max_connections 100)", reached=False, rate=200.0,
                         step=2, value=60.0, limit=90.0, unit="")


def test_the_first_then_the_others_that_reached_their_limit() -> None:
    assert saturation_line((UTILIZATION, CPU, CONNECTIONS)) == (
        "Saturated first: gunicorn.utilization (Gunicorn's workers busy) 82% (limit 80%) at "
        "150/s; then cpu at 175/s")


def test_none_reached_names_the_closest_and_no_series_no_line() -> None:
    assert saturation_line((CONNECTIONS,)) == (
        "Saturated first: no monitored series reached its limit; closest: pg.connections "
        "(PostgreSQL's connections (max_connections 100)) 60 (limit 90) at 200/s")
    assert saturation_line(()) is None
