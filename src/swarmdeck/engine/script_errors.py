"""Script errors: the exceptions a locustfile's tasks (or ``on_start``) raise, which Locust
counts apart from request failures. On every load-generating process a listener on Locust's
``events.user_error`` groups them by exception type and place (the innermost frame in the
user's own files: the locustfile and the modules beside it, not Locust's, requests' or the
standard library's; else the innermost frame), with a count, first and last time and one
sample message.

A worker sends its groups (cumulative, so a lost or repeated report never double counts)
with every report under ``REPORT_KEY``, and with one sample traceback per group in its final
flush; the master keeps the latest per worker and merges them (``merge``): counts add, first
is the earliest, last the latest.

Full tracebacks go to a log file beside the run (``log_path``), the first
``LOGGED_PER_GROUP`` of each group, not to the terminal: while a run is live,
``quiet_locust_tracebacks`` drops Locust's own per-exception log lines (``--debug`` keeps
them).
"""

from __future__ import annotations

import logging
import os
import sysconfig
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from swarmdeck.records import ScriptError
from swarmdeck.records.codec import script_error_from_json, script_error_to_json
from swarmdeck.store.connect import local_folder

log = logging.getLogger(__name__)

REPORT_KEY = "swarmdeck_script_errors"  # in Locust's worker reports and the final flush
MAX_GROUPS = 100  # distinct (type, place) kept; the rest are counted under OTHER
OTHER = ("(other)", "(various places)", 0)
MESSAGE_CHARS = 300  # of the sample message
TRACEBACK_CHARS = 8000  # of a worker's sample traceback (its last characters)
LOGGED_PER_GROUP = 20  # full tracebacks written to the log per group; then only counted
# Locust logs each exception of a task (locust/user/task.py) and of on_start
# (locust/user/users.py) as logger.error("%s\n%s", exception, traceback)
LOCUST_LOGGERS = ("locust.user.task", "locust.user.users")

Key = tuple[str, str, int]  # (type, file, line)


# -- where an exception happened ------------------------------------------------------------

_LIBRARY_DIRS = tuple(sorted({os.path.realpath(p) for name, p in sysconfig.get_paths().items()
                              if name in ("stdlib", "platstdlib", "purelib", "platlib")}))


class Places:
    """Which frames are the user's: files of the locustfile's folder (its tree), except
    installed packages and the standard library."""

    def __init__(self, locustfiles: Iterable[str | Path]) -> None:
        paths = [os.path.realpath(os.path.abspath(p)) for p in locustfiles]
        self.files = frozenset(paths)
        self.roots = tuple(sorted({os.path.dirname(p) for p in paths}))
        self._known: dict[str, str | None] = {}  # filename -> its display name, None: not ours

    def user_file(self, filename: str) -> str | None:
        """The display name of a user's file (relative to the locustfile's folder), or None."""
        if filename in self._known:
            return self._known[filename]
        name: str | None = None
        if not filename.startswith("<"):
            path = os.path.realpath(os.path.abspath(filename))
            parts = Path(path).parts
            library = ("site-packages" in parts or "dist-packages" in parts
                       or any(_under(path, d) for d in _LIBRARY_DIRS))
            if path in self.files or (not library and any(_under(path, r) for r in self.roots)):
                root = next((r for r in self.roots if _under(path, r)), None)
                name = os.path.relpath(path, root) if root else path
        self._known[filename] = name
        return name

    def locate(self, tb: TracebackType | None) -> tuple[str, int]:
        """(file, line) of the innermost frame in the user's files, else of the innermost
        frame; ("?", 0) without a traceback."""
        innermost: tuple[str, int] | None = None
        ours: tuple[str, int] | None = None
        for frame, lineno in traceback.walk_tb(tb):
            filename = frame.f_code.co_filename
            innermost = (filename, lineno)
            name = self.user_file(filename)
            if name is not None:
                ours = (name, lineno)
        return ours or innermost or ("?", 0)


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


# -- the groups -----------------------------------------------------------------------------

class _Group:
    __slots__ = (
        "count",
        "file",
        "first_at",
        "last_at",
        "line",
        "message",
        "traceback",
        "type",
    )

    def __init__(self, key: Key, at: float, message: str) -> None:
        self.type, self.file, self.line = key
        self.count = 0
        self.first_at = self.last_at = at
        self.message = message
        self.traceback: str | None = None  # the first one, for the master's log

    def record(self) -> ScriptError:
        return ScriptError(type=self.type, file=self.file, line=self.line, count=self.count,
                           first_at=self.first_at, last_at=self.last_at, message=self.message)


def key_of(e: ScriptError) -> Key:
    return (e.type, e.file, e.line)


def merge(*groups: Iterable[ScriptError]) -> tuple[ScriptError, ...]:
    """Groups of several generators as one: by (type, file, line), counts added, the
    earliest first time (and its message), the latest last time; most frequent first."""
    merged: dict[Key, ScriptError] = {}
    for group in groups:
        for e in group:
            mine = merged.get(key_of(e))
            if mine is None:
                merged[key_of(e)] = e
                continue
            earlier = e if e.first_at < mine.first_at else mine
            merged[key_of(e)] = replace(
                mine, count=mine.count + e.count, first_at=earlier.first_at,
                last_at=max(mine.last_at, e.last_at), message=earlier.message)
    return tuple(sorted(merged.values(), key=lambda e: (-e.count, e.first_at, key_of(e))))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _format(exception: BaseException, tb: TracebackType | None) -> str:
    return "".join(traceback.format_exception(type(exception), exception, tb))


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")


class ScriptErrors:
    """The script errors of this process (and, on a master, its workers')."""

    def __init__(self, locustfiles: Iterable[str | Path], *,
                 clock: Callable[[], float] = time.time) -> None:
        self.places = Places(locustfiles)
        self.clock = clock
        self._groups: dict[Key, _Group] = {}
        self._remote: dict[str, tuple[ScriptError, ...]] = {}
        self._remote_tb: dict[tuple[str, Key], str] = {}
        self.path: Path | None = None
        self._header = ""
        self._file: IO[str] | None = None
        self._log_failed = False

    # -- Locust's event -------------------------------------------------------------------

    def attach(self, events: Any) -> None:
        events.user_error.add_listener(self.on_user_error)

    def detach(self, events: Any) -> None:
        events.user_error.remove_listener(self.on_user_error)

    def on_user_error(self, user_instance: Any = None, exception: BaseException | None = None,
                      tb: TracebackType | None = None, **_: Any) -> None:
        if exception is None:
            return
        now = round(self.clock(), 3)
        file, line = self.places.locate(tb if tb is not None else exception.__traceback__)
        key: Key = (type(exception).__name__, file, line)
        group = self._groups.get(key)
        if group is None:
            if len(self._groups) >= MAX_GROUPS:
                key = OTHER
                group = self._groups.get(key)
            if group is None:
                group = self._groups[key] = _Group(key, now, _clip(str(exception),
                                                                   MESSAGE_CHARS))
        group.count += 1
        group.last_at = now
        text = None
        if group.traceback is None:
            text = group.traceback = _format(exception, tb)
        if self.path is None:
            return
        if group.count <= LOGGED_PER_GROUP:
            self._write(f"--- {_when(now)}  {key[0]} at {file}:{line}  (#{group.count})\n"
                        f"{text or _format(exception, tb)}\n")
        elif group.count == LOGGED_PER_GROUP + 1:
            self._write(f"--- {key[0]} at {file}:{line}: more than {LOGGED_PER_GROUP}; the "
                        "rest are counted, not logged\n\n")

    # -- the records ----------------------------------------------------------------------

    def local(self) -> tuple[ScriptError, ...]:
        return merge(g.record() for g in self._groups.values())

    def groups(self) -> tuple[ScriptError, ...]:
        """Every generator's groups merged, most frequent first."""
        return merge(self.local(), *self._remote.values())

    @property
    def count(self) -> int:
        return sum(e.count for e in self.groups())

    # -- workers to the master -----------------------------------------------------------

    def snapshot(self, tracebacks: bool = False) -> list[dict[str, Any]]:
        """What a worker sends: its groups (JSON), with a sample traceback each when
        ``tracebacks`` (the final flush)."""
        data = []
        for g in self._groups.values():
            item = script_error_to_json(g.record())
            if tracebacks and g.traceback:
                item["traceback"] = g.traceback[-TRACEBACK_CHARS:]
            data.append(item)
        return data

    def add_remote(self, client_id: str, snapshot: Any) -> None:
        """A worker's latest groups (cumulative: they replace the previous ones); a
        malformed snapshot is left out, with a warning."""
        if not isinstance(snapshot, list):
            return
        try:
            groups = tuple(script_error_from_json(item) for item in snapshot)
        except (TypeError, ValueError, AttributeError) as exc:
            log.warning("ignoring malformed script errors from worker %s: %s", client_id, exc)
            return
        self._remote[client_id] = groups
        for item, group in zip(snapshot, groups):
            if isinstance(item.get("traceback"), str):
                self._remote_tb[(client_id, key_of(group))] = item["traceback"]

    # -- the log file ---------------------------------------------------------------------

    def log_to(self, path: Path, header: str) -> None:
        """Write tracebacks to ``path`` from now on (created with the first one)."""
        self.path = path
        self._header = header

    def _write(self, text: str) -> None:
        if self.path is None or self._log_failed:
            return
        try:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("w", encoding="utf-8", errors="replace")
                self._file.write(self._header)
            self._file.write(text)
            self._file.flush()
        except OSError as exc:
            self._log_failed = True
            log.warning("cannot write the script errors' tracebacks to %s: %s", self.path, exc)

    def finish(self) -> str | None:
        """At the end: the workers' sample tracebacks and a summary into the log (when
        there were script errors); the log's path, or None when none was written."""
        groups = self.groups()
        if groups:
            for (client_id, key), text in sorted(self._remote_tb.items()):
                e = next((g for g in self._remote.get(client_id, ()) if key_of(g) == key),
                         None)
                times = f", {e.count} times, first at {_when(e.first_at)}" if e else ""
                self._write(f"--- {key[0]} at {key[1]}:{key[2]}  (worker {client_id}"
                            f"{times}; its first traceback)\n{text}\n")
            lines = [(f"=== {sum(e.count for e in groups)} script errors in {len(groups)} "
                     "group(s)")]
            lines += [f"{e.count:>8}  {e.type} at {e.where}  {_when(e.first_at)} .. "
                      f"{_when(e.last_at)}  {e.message}" for e in groups]
            self._write("\n".join(lines) + "\n")
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None
            return str(self.path)
        return None


def log_path(db_url: str, run_id: int, cwd: Path | None = None) -> Path:
    """Where a run's script-error tracebacks go: ``logs/run-<id>-script-errors.log`` in the
    run's local folder (``store.local_folder``: the SQLite store's folder, or ``.swarmdeck/``
    of the working directory for any other store)."""
    return local_folder(db_url, cwd) / "logs" / f"run-{run_id}-script-errors.log"


# -- Locust's own lines ---------------------------------------------------------------------

class _DropTracebacks(logging.Filter):
    """Drops Locust's ``logger.error("%s\\n%s", exception, traceback)`` lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        return not (record.levelno >= logging.ERROR and isinstance(args, tuple) and args
                    and isinstance(args[0], BaseException))


def quiet_locust_tracebacks(loggers: Sequence[str] = LOCUST_LOGGERS) -> Callable[[], None]:
    """Silence Locust's per-exception log lines (they are counted and logged to the run's
    file instead); returns the function that restores them."""
    drop = _DropTracebacks()
    for name in loggers:
        logging.getLogger(name).addFilter(drop)

    def restore() -> None:
        for name in loggers:
            logging.getLogger(name).removeFilter(drop)

    return restore
