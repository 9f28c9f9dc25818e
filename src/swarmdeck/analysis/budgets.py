"""Regression budgets for ``--max-regression``: how much worse a candidate run may be.

One budget per string: ``METRIC=+N%`` (or ``-N%`` for rps, ``+Npp`` for error_rate):
``p95=+10%`` (p95 may grow by at most 10 %), ``rps=-5%`` (requests/s may drop by at most
5 %), ``error_rate=+1pp`` (the error rate may grow by at most 1 percentage point).

A budget only ever limits *worsening*: the sign is the direction of the worsening and may
be left out (``p95=10%`` is ``p95=+10%``); the wrong sign is an error, not a guess.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from swarmdeck.errors import PlanError

LATENCY = ("p50", "p95", "p99")
BUDGET_METRICS: tuple[str, ...] = (*LATENCY, "rps", "error_rate")
_HINT = ("write a budget as METRIC=CHANGE, e.g. 'p95=+10%', 'rps=-5%', 'error_rate=+1pp'; "
         "metrics: " + ", ".join(BUDGET_METRICS))
_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*([+-]?)\s*"
                 r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(%|pp)?\s*")


def _plain(d: Decimal) -> str:
    text = format(d.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Budget:
    """``max_change`` is the allowed worsening as a fraction: 0.10 = 10 % for latency and
    rps (for rps the worsening is a drop), 0.01 = 1 percentage point for error_rate."""

    metric: str
    max_change: float

    def __post_init__(self) -> None:
        if self.metric not in BUDGET_METRICS:
            raise PlanError(f"budget {self.metric}: unknown metric {self.metric!r}", _HINT)
        if not (math.isfinite(self.max_change) and self.max_change >= 0):
            raise PlanError(f"budget {self.metric}: the allowed change must be a finite "
                            f"number >= 0, not {self.max_change!r}", _HINT)

    @property
    def sign(self) -> str:
        return "-" if self.metric == "rps" else "+"

    @property
    def unit(self) -> str:
        return "pp" if self.metric == "error_rate" else "%"

    def __str__(self) -> str:
        amount = _plain(Decimal(repr(self.max_change + 0.0)) * 100)
        return f"{self.metric}={self.sign}{amount}{self.unit}"


def parse_budget(text: str) -> Budget:
    """Parse ``p95=+10%`` and friends; a PlanError names the text and says what was expected."""
    match = _RE.fullmatch(text)
    if match is None:
        raise PlanError(f"regression budget {text!r}: expected METRIC=CHANGE", _HINT)
    metric, sign, number, unit = match.groups()
    metric = metric.lower()
    if metric not in BUDGET_METRICS:
        raise PlanError(f"regression budget {text!r}: unknown metric {metric!r}", _HINT)
    expected_unit = "pp" if metric == "error_rate" else "%"
    if unit != expected_unit:
        what = ("percentage points, e.g. error_rate=+1pp" if metric == "error_rate"
                else f"a percentage, e.g. {metric}={'-' if metric == 'rps' else '+'}10%")
        raise PlanError(f"regression budget {text!r}: {metric} takes {what}", _HINT)
    worse = "-" if metric == "rps" else "+"
    if sign and sign != worse:
        direction = "a drop" if metric == "rps" else "a rise"
        raise PlanError(f"regression budget {text!r}: a budget limits how much worse "
                        f"{metric} may get, which is {direction}",
                        f"write {metric}={worse}{number}{unit}")
    try:
        amount = Decimal(number) / 100
    except InvalidOperation:  # pragma: no cover - the regex only lets digits through
        raise PlanError(f"regression budget {text!r}: not a number", _HINT) from None
    value = float(amount)
    if not math.isfinite(value):
        raise PlanError(f"regression budget {text!r}: the number is too large", _HINT)
    return Budget(metric, value)


def exceeded(budget: Budget, change_pct_or_pp: float) -> bool:
    """Whether the change breaks the budget. The change is the candidate's change against
    the base in the budget's own unit: percent for latency and rps (``12.5`` = +12.5 %),
    percentage points for error_rate (``1.5`` = +1.5 pp)."""
    change = change_pct_or_pp
    if math.isnan(change):
        return False
    worsening = -change if budget.metric == "rps" else change
    return worsening > budget.max_change * 100 + 1e-9
