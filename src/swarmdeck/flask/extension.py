"""``ServerTiming``: a Flask extension that answers every request with a W3C
``Server-Timing`` header saying where the request's time went.

    from swarmdeck.flask import ServerTiming
    ServerTiming(app)            # or: timing = ServerTiming(); timing.init_app(app)

It is off unless ``SWARMDECK_SERVER_TIMING`` is true in ``app.config`` or ``1`` in the
environment, and then costs nothing (no listener is connected). On, per request:

``app``        the request's time in the app, from Flask's ``request_started`` to the
               extension's ``after_request`` (the other extensions' hooks included);
``db``         SQLAlchemy's time executing statements, ``desc="N queries"``;
``tpl``        time rendering templates (``before_render_template`` to
               ``template_rendered``), without the statements the templates ran (lazy
               loads are in ``db``), ``desc="N templates"``;
``queue``      from when the front server accepted the request (``X-Request-Start`` /
               ``X-Queue-Start``: nginx, Heroku and New Relic styles) to ``request_started``;
``sql-slow``   the slowest statement's time, ``desc="#<fingerprint> <shape>"``;
``sql-repeat`` the statement shape run most often, when some ran twice or more: its time
               in all, ``desc="<count>x #<fingerprint> <shape>"``;
``cache``      Flask-Caching's time reading, ``desc="N reads"``; ``cache-hit`` and
               ``cache-miss``: the reads that found a value (``desc="N hits"``) and that
               did not (``desc="N misses"``).

Settings (``app.config``, prefix ``SWARMDECK_SERVER_TIMING``; docs/flask.md):
``SWARMDECK_SERVER_TIMING`` (on/off), ``_SQL`` (time statements: True), ``_SQL_TEXT``
(send statement shapes, not only fingerprints: True), ``_QUEUE_HEADERS`` (the headers read
for the queue time). Per-request state lives on ``flask.g``.
"""

from __future__ import annotations

import os
import time
from typing import Any

from flask import (
    Flask,
    Response,
    before_render_template,
    current_app,
    g,
    has_app_context,
    request,
    request_started,
    template_rendered,
)

from swarmdeck.flask import header, sql
from swarmdeck.flask.sql import STATE, Statements

PREFIX = "SWARMDECK_SERVER_TIMING"
EXTENSION = "swarmdeck_server_timing"
DEFAULTS: dict[str, Any] = {
    f"{PREFIX}_SQL": True,
    f"{PREFIX}_SQL_TEXT": True,
    f"{PREFIX}_QUEUE_HEADERS": ("X-Request-Start", "X-Queue-Start"),
}
MAX_QUEUE_S = 3600.0  # a start further back than this is another clock, not a queue
SKEW_S = 1.0  # a start this far in the future is clock skew: read as no queue


def enabled_by_environment() -> bool:
    return os.environ.get(PREFIX, "").strip().lower() in ("1", "true", "yes", "on")


class _RequestState:
    """One request's measurements, on ``flask.g``."""

    __slots__ = ("cache_hits", "cache_misses", "cache_seconds", "queue", "render_db",
                 "render_depth", "render_started", "started", "statements", "templates",
                 "tpl_seconds")

    def __init__(self, started: float, statements: Statements | None) -> None:
        self.started = started
        self.statements = statements
        self.queue: float | None = None
        self.templates = 0
        self.tpl_seconds = 0.0
        self.render_depth = 0
        self.render_started = 0.0
        self.render_db = 0.0
        self.cache_hits = 0
        self.cache_misses = 0
        self.cache_seconds = 0.0


class ServerTiming:
    def __init__(self, app: Flask | None = None) -> None:
        self._caches_wrapped: set[int] = set()  # ids of the apps whose caches are counted
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        app.config.setdefault(PREFIX, enabled_by_environment())
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        app.extensions[EXTENSION] = self
        if not app.config[PREFIX]:
            return
        if app.config[f"{PREFIX}_SQL"]:
            sql.listen()
        request_started.connect(self._started, app, weak=False)
        before_render_template.connect(self._render_start, app, weak=False)
        template_rendered.connect(self._render_end, app, weak=False)
        app.after_request(self._respond)

    # -- per request ------------------------------------------------------------------

    def _started(self, app: Flask, **_: Any) -> None:
        now = time.perf_counter()
        config = app.config
        state = _RequestState(now, Statements() if config[f"{PREFIX}_SQL"] else None)
        setattr(g, STATE, state)
        for name in config[f"{PREFIX}_QUEUE_HEADERS"]:
            start = header.request_start(request.headers.get(name))
            if start is not None:
                waited = time.time() - start
                if -SKEW_S <= waited <= MAX_QUEUE_S:
                    state.queue = max(waited, 0.0)
                break
        if id(app) not in self._caches_wrapped:
            self._wrap_caches(app)

    def _render_start(self, app: Flask, **_: Any) -> None:
        state: _RequestState | None = g.get(STATE)
        if state is None:
            return
        state.render_depth += 1
        if state.render_depth == 1:  # an outer render_template: nested ones are inside it
            state.render_started = time.perf_counter()
            state.render_db = state.statements.seconds if state.statements else 0.0

    def _render_end(self, app: Flask, **_: Any) -> None:
        state: _RequestState | None = g.get(STATE)
        if state is None or state.render_depth == 0:
            return
        state.render_depth -= 1
        state.templates += 1
        if state.render_depth == 0:
            elapsed = time.perf_counter() - state.render_started
            db = (state.statements.seconds if state.statements else 0.0) - state.render_db
            state.tpl_seconds += max(elapsed - db, 0.0)

    def _respond(self, response: Response) -> Response:
        state: _RequestState | None = g.get(STATE)
        if state is None:
            return response
        app_ms = (time.perf_counter() - state.started) * 1000.0
        metrics = [header.metric("app", app_ms)]
        statements = state.statements
        if statements is not None:
            metrics.append(header.metric("db", statements.seconds * 1000.0,
                                         _count(statements.count, "query", "queries")))
        if state.templates:
            metrics.append(header.metric("tpl", state.tpl_seconds * 1000.0,
                                         _count(state.templates, "template", "templates")))
        if state.queue is not None:
            metrics.append(header.metric("queue", state.queue * 1000.0))
        if statements is not None and statements.count:
            metrics += self._statement_metrics(statements)
        reads = state.cache_hits + state.cache_misses
        if reads:
            metrics.append(header.metric("cache", state.cache_seconds * 1000.0,
                                         _count(reads, "read", "reads")))
        if state.cache_hits:
            metrics.append(header.metric("cache-hit", None, _count(state.cache_hits, "hit", "hits")))
        if state.cache_misses:
            metrics.append(header.metric("cache-miss", None, _count(state.cache_misses, "miss", "misses")))
        value = header.join(metrics)
        existing = response.headers.get("Server-Timing")
        response.headers["Server-Timing"] = f"{existing}, {value}" if existing else value
        return response

    def _statement_metrics(self, statements: Statements) -> list[str]:
        with_text = current_app.config[f"{PREFIX}_SQL_TEXT"]
        metrics = []
        slowest = statements.slowest()
        if slowest is not None:
            text, seconds = slowest
            shape, fingerprint = sql.shape(text)
            metrics.append(header.metric(
                "sql-slow", seconds * 1000.0,
                f"#{fingerprint} {sql.brief(shape)}" if with_text else f"#{fingerprint}"))
        repeated = statements.repeated()
        if repeated is not None:
            text, count, seconds = repeated
            shape, fingerprint = sql.shape(text)
            metrics.append(header.metric(
                "sql-repeat", seconds * 1000.0,
                f"{count}x #{fingerprint} {sql.brief(shape)}" if with_text
                else f"{count}x #{fingerprint}"))
        return metrics

    # -- Flask-Caching ----------------------------------------------------------------

    def _wrap_caches(self, app: Flask) -> None:
        """Count the reads of each Flask-Caching backend of the app (it has no signals):
        its instance's ``get`` is wrapped, once (Flask-Caching stores the backends in
        ``app.extensions["cache"]``, set up by its own ``init_app``, before or after
        this one's)."""
        self._caches_wrapped.add(id(app))
        backends = app.extensions.get("cache")
        if not isinstance(backends, dict):
            return
        for backend in backends.values():
            if getattr(backend, "_swarmdeck_counted", False):
                continue
            backend.get = _counting(backend.get)
            backend._swarmdeck_counted = True


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _counting(get: Any) -> Any:
    def counted_get(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        value = get(*args, **kwargs)
        state: _RequestState | None = g.get(STATE) if has_app_context() else None
        if state is not None:
            state.cache_seconds += time.perf_counter() - started
            if value is None:
                state.cache_misses += 1
            else:
                state.cache_hits += 1
        return value

    return counted_get
