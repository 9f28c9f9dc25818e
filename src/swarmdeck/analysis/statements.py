"""A statement as the server named it in ``Server-Timing`` (swarmdeck's Flask extension
sends its *shape*: literals and parameters as ``?``, ``IN`` lists folded, a long select list
cut to its first two columns and ``...``) matched with what PostgreSQL's
``pg_stat_statements`` counted for the same statement during the run (its text with
parameters as ``$1``, ``$2``..., cut at ``TOP_QUERY_TEXT``).

Pure: text in, the matching ``TopQuery`` out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from swarmdeck.records.monitors import TOP_QUERY_TEXT, TopQuery

_PG_PARAM = re.compile(r"\$\d+")
_SPACE = re.compile(r"\s+")
_LIST = re.compile(r"\(\s*\?(?:\s*,\s*\?)+\s*\)")
_BRIEFED = ", ... "  # where the extension cut a long select list


def comparable(text: str) -> str:
    """A statement's text with PostgreSQL's ``$n`` parameters as ``?``, runs of white space
    as one space, ``IN`` lists folded and the case folded: the form both sides share."""
    text = _PG_PARAM.sub("?", text)
    text = _SPACE.sub(" ", text).strip()
    return _LIST.sub("(?)", text).lower()


def _matches(wanted: str, query: TopQuery) -> bool:
    have = comparable(query.query)
    head, briefed, tail = wanted.partition(_BRIEFED)
    cut = len(query.query) >= TOP_QUERY_TEXT  # the monitor kept only its beginning
    if not briefed:
        return have == wanted or (cut and wanted.startswith(have))
    if not have.startswith(head + ","):
        return False
    return have.endswith(" " + tail) or (cut and len(have) > len(head) + 1)


def pg_statement(shape: str | None, top: Sequence[TopQuery]) -> TopQuery | None:
    """The ``pg_stat_statements`` entry of the statement ``shape`` names: of those that
    match, the one with the most total time (the same shape can be several entries, one
    per number of ``IN`` values, or per role)."""
    if not shape or not top:
        return None
    wanted = comparable(shape)
    found = [q for q in top if _matches(wanted, q)]
    return max(found, key=lambda q: q.total_ms) if found else None
