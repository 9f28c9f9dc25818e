"""Request names to endpoint templates: the ids in URL paths folded into ``{id}``.

Locust names a request by its URL unless the script passes ``name=``; a script that requests
``/items/<random id>`` without it gets one endpoint per id. This module maps such a name to
a template (``/items/{id}``), so that every id is recorded under one endpoint. Pure: no
Locust, no I/O. The engine caches its answers (engine/endpoints.py): a known name costs a
dict lookup, and this code runs once per new name.

What folds (each path segment on its own; the method is not part of the name):

- a number (``/items/7``, ``/items/7.json``) and any run of 4+ digits (``item-12345``);
- a UUID, a date (``2024-05-01``, with an optional time), hex of 8+ characters with a digit;
- a base64-ish token: 16+ characters of ``A-Za-z0-9_-`` with a digit, unless it reads as
  words joined by ``-``/``_`` (a slug such as ``how-to-load-test-flask-apps-2``);
- a mixed id: 10+ letters and digits with 3+ digits and 4+ switches between the two;
- learned during the run: a position (past the first segment) where more than
  ``LEARN_AFTER`` distinct values were seen under the same prefix (``/users/alice``,
  ``/users/bob``... become ``/users/{id}`` from then on);
- the query string, by key: ``/search?q=shoes&page=2`` -> ``/search?page={}&q={}`` (keys
  sorted, each once; a value already written as a placeholder, ``[id]``, ``{id}`` or
  ``<id>``, is kept).

What stays: words (``/api/v2/products``, ``/blog``, ``/reports/monthly-summary``,
``/static/app.css``), short digits inside words (``v2``, ``h264``), and every name that does
not look like a URL (no leading ``/``, ``http://`` or ``https://``): a ``name=`` the user
chose. An absolute URL keeps its scheme and host; its path and query are grouped.
"""

from __future__ import annotations

import re

PLACEHOLDER = "{id}"
QUERY_VALUE = "{}"
LEARN_AFTER = 20  # distinct values at one position under one prefix before it folds
MAX_PREFIXES = 2_000  # prefixes whose values are tracked at once (each keeps <= LEARN_AFTER)
MAX_LEARNED = 2_000  # positions learned as variable, at most

_DIGIT = re.compile(r"\d", re.ASCII)
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?P<ext>\.[A-Za-z][A-Za-z0-9]{0,7})?", re.ASCII)
_UUID = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9A-Za-z])", re.ASCII)
_DATE = re.compile(r"(?<![0-9])\d{4}-\d{2}-\d{2}"
                   r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![0-9])", re.ASCII)
_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{16,}={0,2}(?![A-Za-z0-9_=-])", re.ASCII)
_PIECE = re.compile(r"[A-Za-z0-9]+", re.ASCII)
_LONG_DIGITS = re.compile(r"\d{4,}", re.ASCII)
_SWITCH = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", re.ASCII)
_JOINERS = re.compile(r"[-_]")
_HEX = re.compile(r"[0-9a-fA-F]{8,}", re.ASCII)
_PLACEHOLDER_VALUE = re.compile(r"\[[^\]]*\]|\{[^}]*\}|<[^>]*>", re.ASCII)
HEX_MIN = 8
MIXED_MIN = 10


def looks_like_url(name: str) -> bool:
    """A path (``/...``) or an absolute http(s) URL: a name Locust took from the URL."""
    return name.startswith("/") or name[:8].lower().startswith(("http://", "https://"))


def _token(match: re.Match[str]) -> str:
    run = match.group()
    if not _DIGIT.search(run) or run.rstrip("=").isdigit():
        return run
    pieces = _JOINERS.split(run.rstrip("="))
    # a slug: words and short numbers joined by - or _; a token mixes letters and digits
    if all(p.isalpha() or p.isdigit() or len(p) <= 4 for p in pieces):
        return run
    return PLACEHOLDER


def _piece(match: re.Match[str]) -> str:
    piece = match.group()
    if not _DIGIT.search(piece):
        return piece
    if len(piece) >= HEX_MIN and _HEX.fullmatch(piece):
        return PLACEHOLDER
    if len(piece) >= MIXED_MIN:
        digits = sum(c.isdigit() for c in piece)
        if digits >= 3 and len(piece) - digits >= 2 and len(_SWITCH.findall(piece)) >= 4:
            return PLACEHOLDER
    return _LONG_DIGITS.sub(PLACEHOLDER, piece)


def segment_template(segment: str) -> str:
    """One path segment (or query key) with its ids folded: the shape rules only."""
    if segment.isalpha():
        return segment  # a word (the common case, first)
    if segment.isdigit() and segment.isascii():
        return PLACEHOLDER
    if not _DIGIT.search(segment):
        return segment  # every rule needs a digit (0-9): words stay as they are
    number = _NUMBER.fullmatch(segment)
    if number is not None:
        return PLACEHOLDER + (number.group("ext") or "")
    if "-" in segment:
        segment = _DATE.sub(PLACEHOLDER, _UUID.sub(PLACEHOLDER, segment))
    if len(segment) >= 16:
        segment = _TOKEN.sub(_token, segment)
    return _PIECE.sub(_piece, segment)


def query_template(query: str) -> str:
    """A query string folded by key: keys sorted, each once, values replaced by ``{}``."""
    parts: set[str] = set()
    for item in query.split("&"):
        if not item:
            continue
        key, eq, value = item.partition("=")
        key = segment_template(key)
        if not eq:
            parts.add(key)
        elif _PLACEHOLDER_VALUE.fullmatch(value):
            parts.add(f"{key}={value}")
        else:
            parts.add(f"{key}={QUERY_VALUE}")
    return "&".join(sorted(parts))


def split_url(name: str) -> tuple[str, str, str | None, str | None]:
    """(origin, path, query, fragment): origin is ``scheme://host[:port]`` or empty."""
    origin = ""
    if not name.startswith("/"):
        scheme, _, rest = name.partition("://")
        host, slash, path = rest.partition("/")
        origin, name = f"{scheme}://{host}", slash + path
        if "?" in host or "#" in host:  # http://host?x=1: the query is not the host's
            host_part, sep, after = re.split(r"([?#])", host, maxsplit=1)
            origin, name = f"{scheme}://{host_part}", sep + after + slash + path
    fragment = None
    if "#" in name:
        name, fragment = name.split("#", 1)
    query = None
    if "?" in name:
        name, query = name.split("?", 1)
    return origin, name, query, fragment


class NameGrouper:
    """The shape rules, plus the positions learned as variable during the run.

    ``generation`` grows each time a position is learned: templates computed before may
    now fold further, so a cache of them must be dropped (engine/endpoints.py does).
    """

    def __init__(self, *, learn_after: int = LEARN_AFTER, max_prefixes: int = MAX_PREFIXES,
                 max_learned: int = MAX_LEARNED) -> None:
        self.learn_after = learn_after
        self.max_prefixes = max_prefixes
        self.max_learned = max_learned
        self._values: dict[str, set[str]] = {}  # template prefix -> values seen after it
        self.variable: set[str] = set()  # prefixes whose next segment is an id
        self.generation = 0

    def template(self, name: str) -> str:
        """The endpoint template of a request name (the name itself when nothing folds)."""
        if name[:1] == "/" and "?" not in name and "#" not in name:
            origin, path, query, fragment = "", name, None, None  # the common case
        elif looks_like_url(name):
            origin, path, query, fragment = split_url(name)
        else:
            return name
        segments = path.split("/")
        out = origin + "/" + segment_template(segments[1]) if path else origin
        variable, learn = self.variable, self._learn
        for segment in segments[2:]:  # past the first: positions that may be learned
            folded = segment_template(segment) if segment else segment
            if folded and folded != PLACEHOLDER and (out in variable or learn(out, folded)):
                folded = PLACEHOLDER
            out = out + "/" + folded
        if query is not None:
            out = f"{out}?{query_template(query)}"
        if fragment is not None:
            out = f"{out}#{segment_template(fragment)}"
        return out

    def _learn(self, prefix: str, value: str) -> bool:
        """Count a value seen after ``prefix``; True when the position just became variable."""
        values = self._values.get(prefix)
        if values is not None and value in values:
            return False
        if values is None:
            if len(self._values) >= self.max_prefixes:
                return False
            values = self._values[prefix] = set()
        values.add(value)
        if len(values) <= self.learn_after or len(self.variable) >= self.max_learned:
            return False
        self.variable.add(prefix)
        below = prefix + "/"
        for known in [p for p in self._values if p == prefix or p.startswith(below)]:
            del self._values[known]  # deeper prefixes under the old values are moot now
        self.generation += 1
        return True
