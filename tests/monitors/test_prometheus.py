"""A Prometheus endpoint served by prometheus_client: gauges as they are, counters as rates,
histograms as their rate and mean, ``?metric=`` to choose, and a source that dies fails
one line at a time."""

from __future__ import annotations

import math

from tests.monitors.prom_app import prom_app

from swarmdeck.monitors.prometheus import readings
from swarmdeck.monitors.runner import MonitorSet
from swarmdeck.monitors.sampler import Rates
from swarmdeck.monitors.spec import parse_spec


def test_counters_become_rates_gauges_stay_and_histograms_have_a_mean() -> None:
    with prom_app() as app:
        monitors = MonitorSet([parse_spec("prometheus+" + app.url)], lambda b: None)
        assert monitors.open_all() == [None]
        app.requests.labels(code="200").inc(10)
        app.queue.set(7)
        first = {r.name: r.value for r in monitors.sample_once(0, 1).readings}
        assert first['prom.app_queue_depth'] == 7
        app.requests.labels(code="200").inc(50)
        for _ in range(4):
            app.latency.observe(0.25)
        second = monitors.sample_once(0, 2)
        seen = {r.name: (r.value, r.unit) for r in second.readings}
        rate, unit = seen['prom.app_requests_total{code="200"}']
        assert unit == "/s" and rate > 0
        assert math.isclose(seen["prom.app_latency_seconds.mean"][0], 0.25)
        assert seen["prom.app_latency_seconds_count"][1] == "/s"
        assert not any("_bucket" in name or "_created" in name for name in seen)
        app.server.shutdown()
        app.server.server_close()
        lost = monitors.sample_once(0, 3)
        assert lost.error is not None and "cannot fetch" in lost.error
        monitors.stop()


def test_metric_names_choose_and_max_caps() -> None:
    with prom_app() as app:
        app.queue.set(3)
        chosen = MonitorSet([parse_spec(f"prometheus+{app.url}?metric=app_queue_depth")],
                            lambda b: None)
        chosen.open_all()
        assert [r.name for r in chosen.sample_once(0, 1).readings] == ["prom.app_queue_depth"]
        capped = MonitorSet([parse_spec(f"prometheus+{app.url}?max=2")], lambda b: None)
        capped.open_all()
        assert len(capped.sample_once(0, 1).readings) == 2


def test_text_that_is_not_prometheus_is_refused() -> None:
    try:
        readings("<html>not metrics</html>", Rates())
    except ValueError:
        return
    raise AssertionError("HTML parsed as Prometheus text")
