"""Durations in Locust's forms: ``90`` (seconds), ``30s``, ``10m``, ``1h30m``, plus ``500ms``.

Pure functions, exact to the millisecond: ``parse_duration(format_duration(s)) == s`` for any
``s`` that is a whole number of milliseconds.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

_NUMBER = r"\d+(?:\.\d+)?"
_DURATION = re.compile(
    rf"(?:(?P<h>{_NUMBER})h)?\s*"
    rf"(?:(?P<m>{_NUMBER})m(?!s))?\s*"
    rf"(?:(?P<s>{_NUMBER})s)?\s*"
    rf"(?:(?P<ms>{_NUMBER})ms)?"
)
_UNIT_SECONDS = {"h": Decimal(3600), "m": Decimal(60), "s": Decimal(1), "ms": Decimal("0.001")}

DURATION_FORMS = "90 (seconds), 30s, 10m, 1h30m, 500ms"


class DurationError(ValueError):
    """A string or number that is not a duration; the message says which forms are valid."""


def parse_duration(value: str | float) -> float:
    """Seconds in ``value``: a number of seconds, or a string such as ``1h30m`` or ``2.5s``."""
    if isinstance(value, bool):
        raise DurationError(f"expected a duration such as {DURATION_FORMS}, got {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise DurationError(f"expected a duration of 0 or more seconds, got {value!r}")
        return float(value)
    text = value.strip().lower()
    try:
        if re.fullmatch(_NUMBER, text):
            return float(Decimal(text))
        match = _DURATION.fullmatch(text)
        if not text or match is None or not any(match.groupdict().values()):
            raise DurationError(f"expected a duration such as {DURATION_FORMS}, got {value!r}")
        total = sum(
            (Decimal(amount) * _UNIT_SECONDS[unit]
             for unit, amount in match.groupdict().items() if amount is not None),
            Decimal(0),
        )
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only decimals
        raise DurationError(f"expected a duration such as {DURATION_FORMS}, got {value!r}") from exc
    return float(total)


def format_duration(seconds: float) -> str:
    """The shortest canonical form (``1h30m``, ``45s``, ``1.5s``, ``250ms``), to the millisecond."""
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative, got {seconds!r}")
    total_ms = int(Decimal(repr(float(seconds))).scaleb(3).to_integral_value())
    if total_ms == 0:
        return "0s"
    if total_ms < 1000:
        return f"{total_ms}ms"
    hours, rest_ms = divmod(total_ms, 3_600_000)
    minutes, rest_ms = divmod(rest_ms, 60_000)
    parts = []
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if rest_ms:
        secs = Decimal(rest_ms).scaleb(-3).normalize()
        parts.append(f"{secs:f}s")
    return "".join(parts)
