"""``Server-Timing`` values read by layout: each distinct layout parsed once, the
durations of its values read in bulk. Pure functions over strings; what
``ServerTiming.add_headers`` records (metrics/server_timing.py).

One page sends the same metrics and descs request after request, only the durations
differ. The *layout* of a value is the value without its ``dur`` values (``_DUR`` takes
them out); ``layout()`` parses each layout once (``timing_header.parse`` of the value with
each dur replaced by its index, checked against the value's own parse) into *entries*: per
metric its name, which dur value is its duration, the count and text its desc states.

A layout's values are then read in bulk when they are plain (``Shape``): each ``dur=`` is
followed by a plain decimal number (metrics/decimals.py) and then by a character that ends
a parameter value (or the end of the value), so that the text between the numbers alone
decides the layout. ``read`` joins a second's values into one string, splits it at each
``dur=`` and checks each piece against the first value's shape with string methods (C);
the numbers are then all read at once with numpy. A batch not all of one shape is grouped
by shape in one pass (``_by_shape``: per number of ``dur=``, each piece's number taken off
by ``str.lstrip``). Anything else (``dur = 5``, ``dur=1e3``, fewer than BULK_MIN values)
is read value by value (``layout``). Whatever the path, ``read`` gives exactly what parsing
each value with ``timing_header.parse`` gives (property tests in
tests/metrics/test_timing_layouts.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from swarmdeck.metrics import timing_header
from swarmdeck.metrics.decimals import MAX_LENGTH as MAX_NUMBER_LENGTH
from swarmdeck.metrics.decimals import parse_plain
from swarmdeck.metrics.timing_header import TimingMetric

MAX_LABEL_LENGTH = 200
MAX_LAYOUTS = 4096  # layouts (and shapes) remembered (then forgotten all at once)
BULK_MIN = 64  # values read in bulk from this many on (below, numpy's calls cost more)
# a desc stating a count: "23 queries", "20x 3f2a9c1b SELECT ...", "3 hits", "7"
_COUNT = re.compile(r"\s*(\d{1,9})x?(?=\s|$)\s*(.*)", re.DOTALL)


def split_desc(desc: str) -> tuple[int | None, str]:
    """(the count a desc starts with, or None; the rest of its text)."""
    match = _COUNT.fullmatch(desc)
    if match is None:
        return None, desc.strip()
    return int(match.group(1)), match.group(2).strip()


# a metric of a layout: (name, the index of its dur among the layout's dur values, or its
# dur when it is not one of them, the count its desc stated, its desc's text)
Entry = tuple[str, int | None, float | None, int | None, str | None]
# a dur parameter and its raw value: the layout of a header is the header without them.
# Quotes, escapes and marks stay in the layout: a value holding one is read otherwise
_DUR = re.compile(r'(;\s*dur\s*=)([^;,"\\\x00]*)', re.IGNORECASE)
_LAYOUTS: dict[tuple[str, ...], tuple[Entry, ...] | None] = {}


def _first(metrics: Sequence[TimingMetric]) -> list[TimingMetric]:
    """The first metric of each name (of a repeated one, the first counts)."""
    seen: set[str] = set()
    first = []
    for metric in metrics:
        if metric.name not in seen:
            seen.add(metric.name)
            first.append(metric)
    return first


def _entry(metric: TimingMetric, index: int | None, literal: float | None) -> Entry:
    count, label = split_desc(metric.desc) if metric.desc is not None else (None, None)
    return (metric.name, index, literal, count,
            None if label is None else label[:MAX_LABEL_LENGTH])


def entries_of(metrics: Sequence[TimingMetric]) -> tuple[Entry, ...]:
    """A response's metrics as entries, their durations as they are."""
    return tuple(_entry(metric, None, metric.dur_ms) for metric in _first(metrics))


def layout(value: str) -> tuple[Any, tuple[Entry, ...], Sequence[str]]:
    """(the value's layout key, its entries, its raw dur values). The layout's entries
    come from ``parse`` once, of the value with each dur replaced by its index, checked
    against the value's own parse; a layout that fails the check (a ";dur=" inside a quoted
    desc, a quoted dur) is parsed apart: None as the key, the entries holding the
    durations."""
    value = timing_header.cap(value)
    parts = _DUR.split(value)  # [text, ";dur=", value, text, ";dur=", value, ..., text]
    numbers = parts[2::3]
    if "" in map(str.strip, numbers):  # ';dur="4"' is a quoted dur, ';dur=5"4"' is none:
        return None, entries_of(timing_header.parse(value)), ()  # a blank one is parsed apart
    del parts[2::3]
    key = tuple(parts)
    if key in _LAYOUTS:
        entries = _LAYOUTS[key]
    else:
        if len(_LAYOUTS) >= MAX_LAYOUTS:
            _LAYOUTS.clear()
        entries = _LAYOUTS[key] = _indexed(value, parts, numbers)
    if entries is None:
        return None, entries_of(timing_header.parse(value)), ()
    return key, entries, numbers


def _indexed(value: str, parts: list[str], numbers: list[str]) -> tuple[Entry, ...] | None:
    """A layout's entries, each dur as the index of its raw value: the value parsed with
    the i-th dur value replaced by i, and again by i + n, each checked against the value's
    own parse; None when one of them disagrees (where a number is part of a desc, one of
    the two says so whatever the number)."""
    real = _first(timing_header.parse(value))
    first = _marked(parts, numbers, real, 0)
    return first if first is not None and first == _marked(
        parts, numbers, real, len(numbers)) else None


def _marked(parts: list[str], numbers: list[str], real: list[TimingMetric], offset: int
            ) -> tuple[Entry, ...] | None:
    pieces = [parts[i] + parts[i + 1] for i in range(0, len(parts) - 1, 2)]  # up to "dur="
    marked = "".join(f"{piece}{i + offset}" for i, piece in enumerate(pieces)) + parts[-1]
    indexed = _first(timing_header.parse(marked))
    if len(indexed) != len(real):
        return None
    entries = []
    for mine, theirs in zip(indexed, real):
        if (mine.name, mine.desc) != (theirs.name, theirs.desc):
            return None
        index = None
        if mine.dur_ms is not None:
            index = int(mine.dur_ms) - offset
            if index + offset != mine.dur_ms or not 0 <= index < len(numbers) or \
                    timing_header.duration(numbers[index].strip()) != theirs.dur_ms:
                return None
        elif theirs.dur_ms is not None:
            return None
        entries.append(_entry(mine, index, None))
    return tuple(entries)


# -- plain layouts, read in bulk -----------------------------------------------------

_SPLIT = "dur="
_NUMBER = "0123456789."
_NUMBERS = repeat(_NUMBER)
_SPLITS = repeat(_SPLIT)
_ENDS = ';,"\\\x00'  # what ends a parameter's value (``_DUR``'s value stops before them)


class Shape(NamedTuple):
    """A layout whose values are ``head dur=N1 rests[0] dur=N2 rests[1] ...`` with plain
    numbers Ni (each rest up to the next ``dur=``, without it)."""

    head: str
    rests: tuple[str, ...]
    entries: tuple[Entry, ...]


_SHAPES: dict[tuple[str, tuple[str, ...]], Shape | None] = {}


def shape_of(value: str) -> Shape | None:
    """The value's shape, or None when its values cannot be read in bulk."""
    pieces = value.split(_SPLIT)
    rests = tuple(map(str.lstrip, pieces[1:], _NUMBERS))
    key = (pieces[0], rests)
    if key in _SHAPES:
        return _SHAPES[key]
    if len(_SHAPES) >= MAX_LAYOUTS:
        _SHAPES.clear()
    shape = _SHAPES[key] = _checked_shape(value, pieces[0], rests)
    return shape


def _checked_shape(value: str, head: str, rests: tuple[str, ...]) -> Shape | None:
    """The shape of ``value`` if every value of it (any plain numbers) splits as ``_DUR``
    splits this one: the same texts around the same numbers. Then the layout's entries are
    those of all of them: a plain number holds no character that ``_DUR``'s delimiter or
    value-stop can match, so only the texts between the numbers decide the split."""
    literal = len(head) + sum(map(len, rests)) + len(rests) * len(_SPLIT)
    if literal + len(rests) * MAX_NUMBER_LENGTH > timing_header.MAX_LENGTH:
        return None  # some of its values would be cut
    if "\n" in head or any("\n" in rest for rest in rests):
        return None  # read_shape joins values with newlines
    if any(not rest[:1] and i < len(rests) - 1 or rest[:1] and rest[0] not in _ENDS
           for i, rest in enumerate(rests)):
        return None  # a number that _DUR would read on into the text after it
    key, entries, numbers = layout(value)
    if key is None:
        return None
    parts = list(key)  # [text, delimiter, text, delimiter, ..., text]
    theirs = [parts[i] + parts[i + 1] for i in range(0, len(parts) - 1, 2)] + [parts[-1]]
    mine = [head + _SPLIT, *(rest + _SPLIT for rest in rests[:-1]), *rests[-1:]]
    if not rests:
        mine = [head]
    ours = [piece[:len(piece) - len(rest)] for piece, rest in
            zip(value.split(_SPLIT)[1:], rests)]
    if theirs != mine or list(numbers) != ours:
        return None
    return Shape(head, rests, entries)


def read_shape(shape: Shape, values: Sequence[str],
               joined: tuple[str, list[str]] | None = None
               ) -> np.ndarray[Any, np.dtype[np.float64]] | None:
    """The durations (ms) of values all of ``shape``, with plain numbers: row i holds value
    i's numbers in order; None when one of them is not (``joined``: ``_joined(values)``)."""
    count, n = len(values), len(shape.rests)
    text, pieces = _joined(values) if joined is None else joined
    suffixes = [shape.head, *shape.rests]  # what each piece is, after its number
    expected = [*suffixes[:-1], suffixes[-1] + "\n"] * count
    if len(pieces) != len(expected) or not all(map(str.endswith, pieces, expected)):
        return None
    got = _numbers(text, pieces, np.tile(np.array([*map(len, expected[:n + 1])]), count), n)
    return got[1] if got is not None and got[0].all() else None


def _joined(values: Sequence[str]) -> tuple[str, list[str]]:
    """The values joined so that each value's head is a piece of its own: value i is the
    pieces [i * (n + 1), (i + 1) * (n + 1)) when each has n ``dur=``, its last one ending
    with a newline (a value of a shape holds none: one that does matches no shape)."""
    text = "\ndur=".join(values)
    pieces = text.split(_SPLIT)
    pieces[-1] += "\n"  # (the text itself need not end with it: it is read for numbers)
    return text, pieces


def _numbers(text: str, pieces: list[str], suffix_sizes: npt.NDArray[np.int64], n: int
             ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]] | None:
    """(which values have plain numbers and no number before their head, all of their
    numbers in ms: a row per value), each piece's number being what comes before its
    suffix (of ``suffix_sizes`` characters)."""
    try:
        buffer = np.frombuffer(text.encode("latin-1"), dtype=np.uint8)
    except UnicodeEncodeError:
        return None
    sizes: npt.NDArray[np.int64] = np.fromiter(map(len, pieces), dtype=np.int64,
                                               count=len(pieces))
    starts = np.cumsum(sizes) - sizes + len(_SPLIT) * np.arange(len(pieces))
    count = len(pieces) // (n + 1)
    lengths = (sizes - suffix_sizes).reshape(count, n + 1)
    ms, plain = parse_plain(buffer, starts.reshape(count, n + 1)[:, 1:].ravel(),
                            lengths[:, 1:].ravel())
    return (lengths[:, 0] == 0) & plain.reshape(count, n).all(axis=1), ms.reshape(count, n)


def _by_shape(values: Sequence[str], which: list[int], n: int,
              joined: tuple[str, list[str]] | None = None
              ) -> tuple[list[tuple[int, Group]], list[int]]:
    """Values that each have n ``dur=``, grouped by their shape in one pass: each piece's
    number taken off by ``str.lstrip``, the texts left of each value its key (``joined``:
    all of them already joined). (The groups placed, the values left to read by layout.)"""
    text, pieces = _joined([values[i] for i in which]) if joined is None else joined
    if len(pieces) != len(which) * (n + 1):
        return [], which
    rests = list(map(str.lstrip, pieces, _NUMBERS))
    got = _numbers(text, pieces, np.fromiter(map(len, rests), dtype=np.int64,
                                             count=len(rests)), n)
    if got is None:
        return [], which
    ok, ms = got
    keys: dict[tuple[str, ...], list[int]] = {}
    for i, key in enumerate(zip(*[iter(rests)] * (n + 1))):
        keys.setdefault(key, []).append(i)
    placed: list[tuple[int, Group]] = []
    left: list[int] = []
    for key, rows in keys.items():
        shape = shape_of(values[which[rows[0]]])
        if shape is None or key != _joined_suffixes(shape):
            left.extend(which[row] for row in rows)
            continue
        good = np.array(rows)[ok[rows]]
        left.extend(which[row] for row in np.array(rows)[~ok[rows]].tolist())
        if len(good):
            placed.append((which[int(good[0])],
                           Group(shape.entries, len(good), list(ms[good].T))))
    return placed, left


def _joined_suffixes(shape: Shape) -> tuple[str, ...]:
    """What each piece of a value of ``shape`` is after its number, once joined."""
    suffixes = (shape.head, *shape.rests)
    return (*suffixes[:-1], suffixes[-1] + "\n")


# -- a batch ---------------------------------------------------------------------------

class Group(NamedTuple):
    """Responses of one layout: ``durations[i]`` holds the i-th dur value of each of them,
    as doubles (ms, read in bulk) or as raw text."""

    entries: tuple[Entry, ...]
    responses: int
    durations: Sequence[npt.NDArray[np.float64] | Sequence[str]]


def read(values: Sequence[str]) -> list[Group]:
    """The values grouped by layout, in the order each layout first comes: the order in
    which parsing them one by one would first meet their names and descs (the caps keep
    the first ones). Values of a plain shape are read in bulk: first all of them as of the
    first one's shape (what one page sends: the common case), else in one pass per number
    of durations, grouped by shape (``_by_shape``); the rest by layout."""
    shape = shape_of(values[0]) if len(values) >= BULK_MIN else None
    if shape is None:  # few values, or a server that sends no plain layout
        return [group for _, group in _by_layout(values, range(len(values)))]
    joined = _joined(values)
    ms = read_shape(shape, values, joined)
    if ms is not None:  # all of one shape
        return [Group(shape.entries, len(values), list(ms.T))]
    by_count: dict[int, list[int]] = {}
    for i, count in enumerate(map(str.count, values, _SPLITS)):
        by_count.setdefault(count, []).append(i)
    placed: list[tuple[int, Group]] = []
    left: list[int] = []
    for n, which in by_count.items():
        if len(which) < BULK_MIN:
            left.extend(which)
            continue
        more, rest = _by_shape(values, which, n, joined if len(which) == len(values) else None)
        placed.extend(more)
        left.extend(rest)
    placed.extend(_by_layout(values, sorted(left)))
    placed.sort(key=lambda first_group: first_group[0])
    return [group for _, group in placed]


def _by_layout(values: Sequence[str], which: Iterable[int]) -> list[tuple[int, Group]]:
    """Values read one by one (``layout``), grouped by layout: (the first value's index,
    its group), in order."""
    groups: dict[Any, tuple[int, tuple[Entry, ...], list[Sequence[str]]]] = {}
    for i in which:
        key, entries, numbers = layout(values[i])
        if key is None:  # parsed apart: the entries hold its durations
            groups[i] = (i, entries, [])  # (an int: never a layout's key, a tuple)
        elif key in groups:
            groups[key][2].append(numbers)
        else:
            groups[key] = (i, entries, [numbers])
    placed = []
    for first, entries, numbers_of in groups.values():
        n = max(1, len(numbers_of))
        columns = [[numbers[k] for numbers in numbers_of]
                   for k in range(len(numbers_of[0]))] if numbers_of else []
        placed.append((first, Group(entries, n, columns)))
    return placed
