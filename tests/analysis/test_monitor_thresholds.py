"""Thresholds on monitor series: the grammar of the other thresholds with ``monitor:``, the
run's mean without a window, the worst window's mean with one."""

from __future__ import annotations

import pytest

from swarmdeck.analysis.monitor_thresholds import evaluate_monitor, show_value
from swarmdeck.plan.gates import threshold_from_text
from swarmdeck.plan.values import Invalid
from swarmdeck.records.monitors import MonitorSeries

CPU = MonitorSeries("cpu", "process:1", "%",
                    tuple((float(t), v) for t, v in enumerate([10, 20, 90, 95, 92, 20, 10])))
UTIL = MonitorSeries("gunicorn.utilization", "statsd://127.0.0.1:8125", "%",
                     ((0.0, 50.0), (1.0, 99.0), (3.0, 99.0)))
CONNS = MonitorSeries("pg.connections", "postgresql://u@h/db", "",
                      ((0.0, 10.0), (1.0, 85.0), (2.0, 12.0)))
RSS = MonitorSeries("rss", "process:1", "B", ((0.0, 1.5e9), (1.0, 2.5e9)))
ALL = [CPU, UTIL, CONNS, RSS]


@pytest.mark.parametrize(("text", "observed", "passed"), [
    ("monitor:cpu < 85%", 48.142857142857146, True),  # the run's mean
    ("monitor:cpu[3s] < 85%", 92.33333333333333, False),  # the worst 3 s
    ("monitor:cpu[2s] > 12%", 15.0, True),  # a lower bound: the lowest window
    ("monitor:gunicorn.utilization[2s] < 90%", 99.0, False),  # a gap: one point in [3, 5)
    ("monitor:pg.connections < 80", 35.666666666666664, True),
    ("monitor:pg.connections[1s] < 80", 85.0, False),  # every second
    ("monitor:rss < 2GB", 2e9, False),
    ("monitor:rss[1s] <= 2.5GB", 2.5e9, True),
])
def test_observed_and_passed(text: str, observed: float, passed: bool) -> None:
    result = evaluate_monitor(threshold_from_text(text), ALL)
    assert result.observed == pytest.approx(observed)
    assert result.passed is passed
    assert ("passed" if passed else "failed") in result.detail


def test_a_missing_series_or_a_wrong_unit_fails_saying_so() -> None:
    missing = evaluate_monitor(threshold_from_text("monitor:cpus < 85%"), ALL)
    assert not missing.passed and missing.observed_text == "no series cpus"
    assert "it has cpu" in missing.detail
    unit = evaluate_monitor(threshold_from_text("monitor:pg.connections < 80%"), ALL)
    assert not unit.passed and "plain numbers" in unit.observed_text
    assert "had no monitors" in evaluate_monitor(threshold_from_text("monitor:cpu < 1"),
                                                 []).detail


@pytest.mark.parametrize(("text", "shown"), [
    ("monitor:cpu < 85%", "monitor:cpu < 85%"),
    ("  monitor:gunicorn.utilization[30s] < 90% ", "monitor:gunicorn.utilization[30s] < 90%"),
    ("monitor:pg.connections<80", "monitor:pg.connections < 80"),
    ("monitor:gunicorn.duration[1m] <= 1.5s", "monitor:gunicorn.duration[60s] <= 1500ms"),
])
def test_the_grammar_and_its_normal_form(text: str, shown: str) -> None:
    assert str(threshold_from_text(text)) == shown


@pytest.mark.parametrize(("text", "says"), [
    ("monitor:cpu < 85% abort", "cannot abort"),
    ("monitor: < 3", "expected a monitor series such as cpu at column 10"),
    ("monitor:cpu < 85 parsecs", "expected a unit"),
    ("monitor:cpu[0s] < 1", "window longer than 0 s"),
])
def test_malformed_monitor_thresholds(text: str, says: str) -> None:
    with pytest.raises(Invalid) as caught:
        threshold_from_text(text)
    assert says in caught.value.problem and caught.value.hint


def test_values_are_shown_in_their_unit() -> None:
    assert show_value(85.24, "%") == "85.2%"
    assert show_value(2.5e9, "B") == "2.5 GB" and show_value(3e6, "B/s") == "3 MB/s"
    assert show_value(12, "") == "12" and show_value(3.25, "/s") == "3.25/s"
    assert show_value(120.5, "ms") == "120 ms" and show_value(12_345, "") == "12,345"
