"""Reading a response's ``Server-Timing`` header on the generator's hot path.

Each response class gets its reader once (``reader_for``): the cheapest lookup its headers
mapping allows. requests' ``CaseInsensitiveDict`` keeps ``(name, value)`` per lowercased
name in ``_store``; geventhttpclient's ``Headers`` (FastHttpUser) is a dict of lowercased
names to ``(name, value)``, or a list of them for a repeated header. The reader returns
that raw entry (or None) without looking inside; ``header_value`` turns it into the
header's value later, in the once-a-second fold, where ``ServerTiming.add_headers`` parses
it.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

NAME = "server-timing"
Reader = Callable[[Any], Any]


def _requests(response: Any) -> Any:
    return response.headers._store.get(NAME)


def _dict(response: Any) -> Any:
    return dict.get(response.headers, NAME)


def _generic(response: Any) -> Any:
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        return headers.get("Server-Timing") or headers.get(NAME)
    except (AttributeError, TypeError):
        return None


def reader_for(response: Any) -> Reader:
    """The reader of this response's class (decided from this one response)."""
    headers = getattr(response, "headers", None)
    if isinstance(getattr(headers, "_store", None), dict) and \
            type(headers).__name__ == "CaseInsensitiveDict":
        return _requests
    if isinstance(headers, dict) and type(headers).__module__.startswith("geventhttpclient"):
        return _dict
    return _generic


def header_value(raw: Any) -> str | None:
    """The header's value from what a reader returned: a ``(name, value)`` pair, a list of
    them (one per header line, joined as one list), or the value itself."""
    if raw is None:
        return None
    if isinstance(raw, str):
        return raw
    if isinstance(raw, tuple):
        return str(raw[1])
    if isinstance(raw, list):
        return ", ".join(str(item[1] if isinstance(item, tuple) else item) for item in raw)
    return None


def header_values(raws: list[Any]) -> list[str]:
    """``header_value`` of each raw entry, the ones without a value (None, empty) left out;
    the common case (each entry one ``(name, value)`` pair: a header sent once) at C
    speed."""
    if set(map(type, raws)) == {tuple}:
        values = list(map(_VALUE, raws))
        if set(map(type, values)) == {str}:
            return list(filter(None, values))
    return [value for value in map(header_value, raws) if value]


_VALUE = itemgetter(1)
