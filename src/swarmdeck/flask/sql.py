"""SQLAlchemy statements timed per request, and their shape.

The engine events (``before_cursor_execute`` / ``after_cursor_execute``) are listened to on
the ``Engine`` class, so every engine of the process is timed, created by Flask-SQLAlchemy
or by hand, before or after the extension was set up (Flask-SQLAlchemy's
``record_queries`` times statements the same way). A statement executed outside a request
of an app with the extension on is not counted: the listener finds no request state on
``flask.g`` and returns.

A statement's *shape* is its text with literals and parameters replaced by ``?`` and
``IN (?, ?, ?)`` lists folded, so the same query with other values, or another number of
ids, is one shape; its fingerprint is 8 hex digits of a hash of the shape.
"""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any

from flask import g, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

STATE = "_swarmdeck_server_timing"  # the attribute on flask.g holding a request's state
_START = "_swarmdeck_started"  # set on SQLAlchemy's execution context

_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w.$])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b")
_PARAM = re.compile(r"%\(\w+\)s|%s|\$\d+|(?<![:\w]):\w+|\?")
_LIST = re.compile(r"\(\s*\?(?:\s*,\s*\?)+\s*\)")
_SPACE = re.compile(r"\s+")
_POSTCOMPILE = re.compile(r"\(?__\[POSTCOMPILE_\w+\]\)?")
_COLUMNS = re.compile(r"^(SELECT (?:DISTINCT )?)([^,]+, [^,]+), .{20,}? (FROM .*)$", re.DOTALL)
_SHAPES: dict[str, tuple[str, str]] = {}  # statement text -> (shape, fingerprint)
_BRIEF: dict[str, str] = {}  # shape -> as sent
_MAX_SHAPES = 2048

_listening = False


def shape(statement: str) -> tuple[str, str]:
    """(the statement's shape, its fingerprint). Cached by the statement's text:
    SQLAlchemy sends the same compiled text for every execution of a query."""
    known = _SHAPES.get(statement)
    if known is not None:
        return known
    text = _POSTCOMPILE.sub("(?)", statement)
    text = _STRING.sub("?", text)
    text = _NUMBER.sub("?", text)
    text = _PARAM.sub("?", text)
    text = _SPACE.sub(" ", text).strip()
    text = _LIST.sub("(?)", text)
    found = (text, hashlib.blake2b(text.encode(), digest_size=4).hexdigest())
    if len(_SHAPES) >= _MAX_SHAPES:
        _SHAPES.clear()
    _SHAPES[statement] = found
    return found


def brief(text: str) -> str:
    """A shape as the header sends it: a long select list cut to its first two columns
    (``SELECT reviews.id, reviews.rating, ... FROM reviews WHERE ? = reviews.product_id``);
    the tables and the condition are what name a statement."""
    known = _BRIEF.get(text)
    if known is None:
        match = _COLUMNS.match(text)
        known = f"{match.group(1)}{match.group(2)}, ... {match.group(3)}" if match else text
        if len(_BRIEF) >= _MAX_SHAPES:
            _BRIEF.clear()
        _BRIEF[text] = known
    return known


class Statements:
    """One request's statements: their count and time, and per statement text its count
    and time (the text, not yet its shape: the shapes of the two that matter are computed
    once, when the header is written)."""

    __slots__ = ("by_text", "count", "seconds")

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.by_text: dict[str, list[Any]] = {}  # text -> [count, seconds, slowest seconds]

    def add(self, statement: str, seconds: float) -> None:
        self.count += 1
        self.seconds += seconds
        entry = self.by_text.get(statement)
        if entry is None:
            self.by_text[statement] = [1, seconds, seconds]
        else:
            entry[0] += 1
            entry[1] += seconds
            entry[2] = max(entry[2], seconds)

    def slowest(self) -> tuple[str, float] | None:
        """(the text of the slowest single execution, its seconds)."""
        if not self.by_text:
            return None
        text, entry = max(self.by_text.items(), key=lambda kv: kv[1][2])
        return text, float(entry[2])

    def repeated(self) -> tuple[str, int, float] | None:
        """(a text of the shape executed most often, how often, its seconds in all), when
        some shape ran at least twice."""
        shapes: dict[str, list[Any]] = {}
        for text, (count, seconds, _) in self.by_text.items():
            key = shape(text)[0]
            entry = shapes.get(key)
            if entry is None:
                shapes[key] = [count, seconds, text]
            else:
                entry[0] += count
                entry[1] += seconds
        if not shapes:
            return None
        _, (count, seconds, text) = max(shapes.items(), key=lambda kv: (kv[1][0], kv[1][1]))
        return (text, int(count), float(seconds)) if count >= 2 else None


def _before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
            executemany: bool) -> None:
    if context is not None:
        setattr(context, _START, time.perf_counter())


def _after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
           executemany: bool) -> None:
    started = getattr(context, _START, None)
    if started is None or not has_app_context():
        return
    state = g.get(STATE)
    if state is not None and state.statements is not None:
        state.statements.add(statement, time.perf_counter() - started)


def listen() -> None:
    """Time every engine's statements (once per process)."""
    global _listening
    if _listening:
        return
    event.listen(Engine, "before_cursor_execute", _before)
    event.listen(Engine, "after_cursor_execute", _after)
    _listening = True
