"""The demo's story from its searches' results (swarmdeck.demo): what it says each profile
sustains, and the one rate it runs both at, between the two."""

from __future__ import annotations

from swarmdeck.demo import capacity_line, rate_between

NAIVE = {"found": True, "rate": 60.0, "upper": 70.0}


def test_the_rate_is_between_the_capacities_and_past_where_naive_broke() -> None:
    at_most = {"found": True, "rate": 320.0, "upper": None}  # held up to --max-rate
    assert rate_between({"naive": NAIVE, "tuned": at_most}, None, 320) == "190/s"  # halfway
    assert rate_between({"naive": NAIVE, "tuned": at_most}, None, 160) == "160/s"  # ceiling
    assert capacity_line({"naive": NAIVE, "tuned": at_most}, "40/s") == (
        "naive sustains 60 req/s, tuned at least 320 req/s within p95 < 500 ms")
    close = {"found": True, "rate": 80.0, "upper": 90.0}
    assert rate_between({"naive": NAIVE, "tuned": close}, None, 160) == "70/s"  # naive broke there
    assert rate_between({"naive": NAIVE, "tuned": close}, "150/s", 160) == "150/s"  # --rate


def test_a_search_without_a_capacity_still_tells_its_part() -> None:
    failed = {"found": False, "rate": None, "upper": 40.0}  # the SLO failed at 40/s
    generator = {"found": False, "rate": 160.0, "upper": None}  # exit 3
    assert capacity_line({"naive": failed, "tuned": generator}, "40/s") == (
        "naive sustains under 40 req/s, tuned at least 160 req/s (then the generator's "
        "limit) within p95 < 500 ms")
    assert rate_between({"naive": failed, "tuned": generator}, None, 160) == "100/s"
    assert rate_between({"naive": None, "tuned": generator}, None, 160) == "120/s"  # fallback
    assert rate_between({}, None, 160) == "120/s"  # --no-capacity
