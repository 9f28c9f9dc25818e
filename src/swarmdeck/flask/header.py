"""What the extension writes and reads on the wire: the ``Server-Timing`` value it sends
(W3C Server Timing) and the front server's ``X-Request-Start`` it reads. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

# metric names are HTTP tokens; ours are fixed, a user's extra ones are checked
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_UNQUOTED = re.compile(r'[\x00-\x1f\x7f"\\]')
_START = re.compile(r"^\s*(?:t=)?\s*(\d+(?:\.\d+)?)\s*$")
MAX_DESC = 200  # characters of a description kept


def metric(name: str, dur_ms: float | None = None, desc: str | None = None) -> str:
    """One metric: ``db;dur=30.5;desc="23 queries"`` (``dur`` in ms to 0.1 µs precision
    dropped: 3 decimals are enough and keep the header short)."""
    if not _TOKEN.match(name):
        raise ValueError(f"{name!r} is not a Server-Timing metric name (an HTTP token)")
    text = name
    if dur_ms is not None:
        text += f";dur={dur_ms:.3f}".rstrip("0").rstrip(".")
    if desc is not None:
        text += f';desc="{quote(desc)}"'
    return text


@lru_cache(maxsize=4096)
def quote(desc: str) -> str:
    """A description's text inside a quoted-string: ``"`` and ``\\`` escaped, control
    characters and non-Latin-1 characters replaced, at most MAX_DESC characters. (Cached:
    a page sends the same descs, its statements' shapes, request after request.)"""
    desc = desc[:MAX_DESC]
    if not desc.isascii():  # each character past Latin-1 (a surrogate too) becomes "?"
        desc = desc.encode("latin-1", "replace").decode("latin-1")
    return _UNQUOTED.sub(_escaped, desc)


def _escaped(match: re.Match[str]) -> str:
    return "\\" + match.group() if match.group() in '"\\' else " "


def join(metrics: Iterable[str]) -> str:
    return ", ".join(metrics)


def request_start(value: str | None) -> float | None:
    """When the front server accepted the request, in epoch seconds, from an
    ``X-Request-Start`` or ``X-Queue-Start`` header: nginx's ``t=1234567890.123``
    (``t=${msec}``), Heroku's milliseconds ``1234567890123``, or microseconds
    (``t=${time_usec}``-style, Apache's ``%t`` ``D`` form) or nanoseconds; told apart by
    their magnitude. None when absent or not a time."""
    if not value:
        return None
    match = _START.match(value)
    if match is None:
        return None
    number = float(match.group(1))
    for scale in (1.0, 1e3, 1e6, 1e9):  # seconds, ms, µs, ns since 1970
        seconds = number / scale
        if seconds < 1e10:  # before the year 2286
            return seconds if seconds > 1e9 else None  # after 2001
    return None
