from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swarmdeck.analysis.budgets import BUDGET_METRICS, Budget, exceeded, parse_budget
from swarmdeck.errors import PlanError


@pytest.mark.parametrize("text, metric, change", [
    ("p95=+10%", "p95", 0.10),
    ("p50=+2.5%", "p50", 0.025),
    ("p99=10%", "p99", 0.10),
    ("rps=-5%", "rps", 0.05),
    ("rps=5%", "rps", 0.05),
    ("error_rate=+1pp", "error_rate", 0.01),
    (" P95 = +10 % ", "p95", 0.10),
    ("p95=+0%", "p95", 0.0),
])
def test_parse_budget(text: str, metric: str, change: float) -> None:
    budget = parse_budget(text)
    assert budget.metric == metric
    assert budget.max_change == pytest.approx(change)


@pytest.mark.parametrize("text, canonical", [
    ("p95=+10%", "p95=+10%"), ("p99=10%", "p99=+10%"), ("rps=5%", "rps=-5%"),
    ("error_rate=+1pp", "error_rate=+1pp"), ("p50=+2.50%", "p50=+2.5%"),
    ("error_rate=0.5pp", "error_rate=+0.5pp"),
])
def test_str_is_canonical(text: str, canonical: str) -> None:
    assert str(parse_budget(text)) == canonical


@pytest.mark.parametrize("text, says", [
    ("p95", "expected METRIC=CHANGE"),
    ("p95<10%", "expected METRIC=CHANGE"),
    ("p90=+10%", "unknown metric 'p90'"),
    ("p95=+10ms", "expected METRIC=CHANGE"),
    ("p95=+10", "takes a percentage"),
    ("error_rate=+1%", "percentage points"),
    ("p95=+1pp", "takes a percentage"),
    ("rps=+5%", "a drop"),
    ("p95=-10%", "a rise"),
    ("", "expected METRIC=CHANGE"),
])
def test_bad_budgets_name_the_text(text: str, says: str) -> None:
    with pytest.raises(PlanError) as err:
        parse_budget(text)
    assert says in err.value.message
    assert repr(text) in err.value.message
    assert err.value.hint


def test_wrong_sign_hint_gives_the_fix() -> None:
    with pytest.raises(PlanError) as err:
        parse_budget("rps=+5%")
    assert err.value.hint == "write rps=-5%"


def test_exceeded_latency_limits_rises_only() -> None:
    budget = parse_budget("p95=+10%")
    assert exceeded(budget, 12.0)
    assert not exceeded(budget, 10.0)
    assert not exceeded(budget, 9.9)
    assert not exceeded(budget, -50.0)  # faster never breaks a budget


def test_exceeded_rps_limits_drops_only() -> None:
    budget = parse_budget("rps=-5%")
    assert exceeded(budget, -6.0)
    assert not exceeded(budget, -5.0)
    assert not exceeded(budget, 30.0)


def test_exceeded_error_rate_in_points() -> None:
    budget = parse_budget("error_rate=+1pp")
    assert exceeded(budget, 1.5)
    assert not exceeded(budget, 0.8)
    assert not exceeded(budget, -3.0)


def test_exceeded_handles_infinite_and_nan() -> None:
    assert exceeded(parse_budget("p95=+10%"), math.inf)
    assert not exceeded(parse_budget("p95=+10%"), math.nan)
    assert exceeded(parse_budget("rps=-10%"), -math.inf)


def test_budget_rejects_bad_values() -> None:
    with pytest.raises(PlanError):
        Budget("p95", -0.1)
    with pytest.raises(PlanError):
        Budget("p77", 0.1)


@given(st.text(max_size=30))
def test_any_text_raises_only_plan_error(text: str) -> None:
    try:
        parse_budget(text)
    except PlanError:
        pass


@given(st.sampled_from(BUDGET_METRICS),
       st.decimals(min_value=0, max_value=10000, places=3, allow_nan=False,
                   allow_infinity=False))
def test_budgets_round_trip(metric: str, amount) -> None:  # type: ignore[no-untyped-def]
    budget = Budget(metric, float(amount / 100))
    assert parse_budget(str(budget)) == budget
