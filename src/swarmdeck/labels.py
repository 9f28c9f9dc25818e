"""How an endpoint is shown to a reader: the one rule every output follows (terminal,
Markdown, JUnit, the HTML report, the dashboard, findings, comparisons).

An endpoint is keyed by Locust's method (``request_type``) and request name; its label is
``"METHOD name"``, or the name alone when it already begins with its method (the guide
names requests ``name="GET /pricing"``, and Locust's method is then ``GET`` too): the
method is never printed twice. Keys stay ``(method, name)``: two endpoints may share a
label (``GET`` ``/x`` and ``GET`` ``GET /x``), never a key.
"""

from __future__ import annotations

import re
from functools import lru_cache

_PLACEHOLDERS = re.compile(r"\\\{id\\\}")  # ``{id}`` as re.escape writes it


def endpoint_label(method: str, name: str) -> str:
    """``GET /cart`` for (``GET``, ``/cart``) and for (``GET``, ``GET /cart``); the name
    alone without a method (the totals, a stage)."""
    if not method or name.startswith(f"{method} "):
        return name
    return f"{method} {name}"


def names_endpoint(text: str, method: str, name: str) -> bool:
    """Whether ``text`` (a threshold's or a budget's endpoint, as the user wrote it) names
    the endpoint: its name, its label, or ``METHOD name`` spelled out in full; or, for a
    template that ids were grouped into (``/items/{id}``), a path that folds into it
    (``GET /items/42``: the threshold judges the template, every id's requests)."""
    if text in (name, endpoint_label(method, name), f"{method} {name}"):
        return True
    if "{id}" not in name:
        return False
    pattern = _template_pattern(name)
    spelled = text[len(method) + 1:] if text.startswith(f"{method} ") else None
    return bool(pattern.fullmatch(text) or (spelled and pattern.fullmatch(spelled)))


@lru_cache(maxsize=1024)
def _template_pattern(template: str) -> re.Pattern[str]:
    """``/items/{id}.json`` as a pattern: each ``{id}`` one or more characters of a path
    segment (no ``/``, ``?`` or ``#``); the rest literal."""
    return re.compile(_PLACEHOLDERS.sub(lambda _: "[^/?#]+", re.escape(template)))
