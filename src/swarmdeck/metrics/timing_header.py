"""The ``Server-Timing`` response header (W3C Server Timing), parsed: a pure function.

    Server-Timing = #server-timing-metric
    server-timing-metric = metric-name *( OWS ";" OWS server-timing-param )
    server-timing-param = param-name OWS "=" OWS ( token / quoted-string )

``parse`` returns the metrics in order, each with its ``dur`` (ms) and ``desc`` when given.
It never raises: what does not follow the grammar is left out, as a browser leaves it out
(a metric whose name is not a token; a ``dur`` that is not a finite, non-negative number is
dropped and the metric kept; a value holding a quote that is not one whole quoted-string is
left out; of a repeated parameter the first counts; parameters other than ``dur`` and
``desc`` are ignored; parameter names are case-insensitive). A header longer
than ``MAX_LENGTH`` characters is read up to the last metric that ends before it, and at
most ``MAX_METRICS`` metrics are read.

Several ``Server-Timing`` header lines are one list (RFC 9110 §5.3): join them with ", "
before parsing (HTTP clients do).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import NamedTuple

MAX_LENGTH = 8192  # characters of one header read
MAX_METRICS = 64  # metrics read of one header

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# the pieces of a list: a quoted-string (which may hold the separator), other text, or the
# separator itself
_PIECES = {sep: re.compile(rf'"(?:[^"\\]|\\.)*"?|[^"{sep}]+|{sep}', re.DOTALL)
           for sep in ",;"}
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)


class TimingMetric(NamedTuple):
    name: str
    dur_ms: float | None = None
    desc: str | None = None


def parse(value: str) -> list[TimingMetric]:
    """The metrics of one ``Server-Timing`` value (see the module docstring)."""
    split = skeleton(value)
    if split is None:
        return _parse_scanned(cap(value))  # escapes, unbalanced quotes: the regex scanner
    return parse_skeleton(*split)


def cap(value: str) -> str:
    """The value cut to MAX_LENGTH, before the metric that the cut would break."""
    if len(value) > MAX_LENGTH:
        cut = value.rfind(",", 0, MAX_LENGTH + 1)
        value = value[:cut] if cut >= 0 else ""
    return value


def skeleton(value: str) -> tuple[str, tuple[str, ...]] | None:
    """The value with each quoted-string replaced by ``MARK``, and the strings in order:
    what ``parse_skeleton`` reads; None when the value needs the general scanner (escapes,
    an unterminated quote). str.split is C: 5x faster than the regex scanner."""
    value = cap(value)
    if _MARK in value:
        return None
    if '"' not in value:  # no quoted desc: split at commas and semicolons
        return value, ()
    if "\\" in value or value.count('"') % 2:
        return None
    pieces = value.split('"')
    return _MARK.join(pieces[0::2]), tuple(pieces[1::2])


_MARK = "\x00"  # stands for a quoted-string in a skeleton (never valid in a header)
MARK = _MARK


def parse_skeleton(value: str, quoted: Sequence[str]) -> list[TimingMetric]:
    """The metrics of a ``skeleton``: split at commas and semicolons, each mark given its
    quoted-string back in order."""
    metrics: list[TimingMetric] = []
    used = 0  # quoted-strings consumed by the elements so far
    for element in value.split(","):
        parts = element.split(";")
        name = parts[0].strip()
        dur: float | None = None
        desc: str | None = None
        seen_dur = seen_desc = False
        for param in parts[1:]:
            key, equals, raw = param.partition("=")
            raw = raw.strip()
            if raw == _MARK and _MARK not in key:
                raw = quoted[used]
                used += 1
            elif _MARK in param:  # a quoted-string where none belongs: left out
                used += param.count(_MARK)
                continue
            key = key.strip().lower()
            if key == "dur" and not seen_dur:
                seen_dur = True
                dur = duration(raw) if equals else None
            elif key == "desc" and not seen_desc:
                seen_desc = True
                desc = raw if equals else ""
        if name and _TOKEN.fullmatch(name):
            metrics.append(TimingMetric(name, dur, desc))
            if len(metrics) == MAX_METRICS:
                break
        else:
            used += parts[0].count(_MARK)
    return metrics


def _parse_scanned(value: str) -> list[TimingMetric]:
    """The general case: quoted-strings with escapes (or unterminated), by regex."""
    metrics: list[TimingMetric] = []
    for element in _split(value, ","):
        metric = _metric(_split(element, ";"))
        if metric is not None:
            metrics.append(metric)
            if len(metrics) == MAX_METRICS:
                break
    return metrics


def _split(text: str, sep: str) -> list[str]:
    """``text.split(sep)``, except inside quoted-strings."""
    pieces: list[str] = []
    current: list[str] = []
    for match in _PIECES[sep].finditer(text):
        piece = match.group()
        if piece == sep:
            pieces.append("".join(current))
            current = []
        else:
            current.append(piece)
    pieces.append("".join(current))
    return pieces


def _metric(parts: list[str]) -> TimingMetric | None:
    name = parts[0].strip() if parts else ""
    if not name or not _TOKEN.fullmatch(name):
        return None
    dur: float | None = None
    desc: str | None = None
    seen_dur = seen_desc = False
    for param in parts[1:]:
        key, equals, raw = param.partition("=")
        value = _value(raw.strip())
        if value is None:  # a broken quoted-string: the parameter is left out
            continue
        key = key.strip().lower()
        if key == "dur" and not seen_dur:
            seen_dur = True
            dur = duration(value) if equals else None
        elif key == "desc" and not seen_desc:
            seen_desc = True
            desc = value if equals else ""
    return TimingMetric(name, dur, desc)


def _value(raw: str) -> str | None:
    """A parameter's value: unquoted text as it is, a quoted-string unquoted and
    unescaped; None for a value holding a quote that is not one whole quoted-string."""
    if '"' not in raw:
        return raw
    match = _QUOTED.fullmatch(raw)
    if match is None:
        return None
    inner = match.group(1)
    return _ESCAPE.sub(r"\1", inner) if "\\" in inner else inner


def duration(text: str) -> float | None:
    """A dur value: a finite, non-negative number (ms), else None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None
