"""Script errors on a generator: grouped by type and the user's own line (not Locust's,
requests' or the standard library's), merged across workers without double counting,
tracebacks written to the run's log file, Locust's own traceback lines kept off the terminal."""

from __future__ import annotations

import importlib.util
import logging
import sys
import sysconfig
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import pytest

from swarmdeck.engine.script_errors import (
    LOGGED_PER_GROUP,
    MAX_GROUPS,
    MESSAGE_CHARS,
    OTHER,
    Places,
    ScriptErrors,
    log_path,
    merge,
    quiet_locust_tracebacks,
)
from swarmdeck.records import ScriptError

LOCUSTFILE = """\
import json

from helpers.parse import first_item


class Shopper:
    def home(self):
        return json.loads("<html>")  # line 8

    def cart(self):
        return first_item({})  # line 11
"""
HELPER = """\
def first_item(data):
    return data["items"][0]  # line 2
"""


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Path, Any]]:
    """A locustfile with a helper module beside it, imported as Locust imports it."""
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("")
    (tmp_path / "helpers" / "parse.py").write_text(HELPER)
    locustfile = tmp_path / "shop.py"
    locustfile.write_text(LOCUSTFILE)
    sys.path.insert(0, str(tmp_path))
    try:
        yield locustfile, _load(locustfile, "shop_locustfile").Shopper()
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == "helpers" or n.startswith("helpers.")]:
            del sys.modules[name]


def _raised(call: Callable[[], object]) -> tuple[BaseException, TracebackType | None]:
    """The exception ``call`` raises, with its traceback seen from a Locust-like caller."""
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - what a task raises
        return exc, exc.__traceback__
    raise AssertionError("did not raise")


class Clock:
    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        self.t += 1.0
        return self.t


def test_the_place_is_the_users_line_not_the_librarys(project: tuple[Path, Any]) -> None:
    locustfile, shopper = project
    errors = ScriptErrors([locustfile])
    exc, tb = _raised(shopper.home)  # json.decoder's frames are innermost
    errors.on_user_error(user_instance=None, exception=exc, tb=tb)
    (group,) = errors.groups()
    assert (group.type, group.file, group.line, group.count) == ("JSONDecodeError", "shop.py",
                                                                  8, 1)
    assert group.where == "shop.py:8" and group.message.startswith("Expecting value")


def test_a_helper_module_beside_the_locustfile_is_the_users_too(
        project: tuple[Path, Any]) -> None:
    locustfile, shopper = project
    errors = ScriptErrors([locustfile])
    exc, tb = _raised(shopper.cart)
    errors.on_user_error(exception=exc, tb=tb)
    assert [(e.type, e.where) for e in errors.groups()] == [("KeyError",
                                                             "helpers/parse.py:2")]


def test_without_a_user_frame_the_innermost_frame(tmp_path: Path) -> None:
    errors = ScriptErrors([tmp_path / "locustfile.py"])
    exc, tb = _raised(lambda: int("x"))  # this test file is not under tmp_path
    errors.on_user_error(exception=exc, tb=tb)
    (group,) = errors.groups()
    assert group.file == __file__ and group.type == "ValueError"


def test_installed_packages_and_the_standard_library_are_never_the_users(
        tmp_path: Path) -> None:
    places = Places([tmp_path / "locustfile.py"])
    assert places.user_file(str(tmp_path / "locustfile.py")) == "locustfile.py"
    assert places.user_file(str(tmp_path / "pages" / "cart.py")) == "pages/cart.py"
    venv = tmp_path / ".venv" / "lib" / "python3.11" / "site-packages" / "requests"
    assert places.user_file(str(venv / "models.py")) is None
    assert places.user_file("<frozen importlib._bootstrap>") is None
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    beside_stdlib = Places([stdlib.parent / "locustfile.py"])  # a locustfile above it
    assert beside_stdlib.user_file(str(stdlib / "json" / "decoder.py")) is None


def test_groups_count_with_first_and_last_time_and_one_bounded_message(
        project: tuple[Path, Any]) -> None:
    locustfile, shopper = project
    errors = ScriptErrors([locustfile], clock=Clock())
    for i in range(3):
        exc, tb = _raised(shopper.home)
        errors.on_user_error(exception=exc, tb=tb)
    exc, tb = _raised(shopper.cart)
    errors.on_user_error(exception=exc, tb=tb)
    long = ValueError("x" * 5000)
    errors.on_user_error(exception=long, tb=None)
    home, *others = errors.groups()  # most frequent first
    assert (home.count, home.first_at, home.last_at) == (3, 1_700_000_001.0, 1_700_000_003.0)
    assert sorted(e.type for e in others) == ["KeyError", "ValueError"]
    value = next(e for e in others if e.type == "ValueError")
    assert len(value.message) == MESSAGE_CHARS and value.where == "?"
    assert errors.count == 5


def test_past_the_cap_new_places_are_counted_together(tmp_path: Path) -> None:
    errors = ScriptErrors([tmp_path / "locustfile.py"])
    for i in range(MAX_GROUPS + 5):
        errors.on_user_error(exception=type(f"Error{i}", (Exception,), {})("boom"), tb=None)
    groups = errors.groups()
    assert len(groups) == MAX_GROUPS + 1 and sum(e.count for e in groups) == MAX_GROUPS + 5
    other = next(e for e in groups if e.type == OTHER[0])
    assert other.count == 5


def _group(count: int, first: float, last: float, message: str = "m",
           line: int = 31) -> ScriptError:
    return ScriptError("JSONDecodeError", "public_pages.py", line, count, first, last, message)


def test_merge_adds_counts_and_keeps_the_earliest_first_and_latest_last() -> None:
    merged = merge([_group(3, 10.0, 20.0, "a"), _group(1, 5.0, 6.0, "x", line=40)],
                   [_group(4, 8.0, 30.0, "b")])
    assert merged == (ScriptError("JSONDecodeError", "public_pages.py", 31, 7, 8.0, 30.0, "b"),
                      _group(1, 5.0, 6.0, "x", line=40))


def test_the_master_keeps_each_workers_latest_groups_without_double_counting(
        tmp_path: Path, project: tuple[Path, Any]) -> None:
    locustfile, shopper = project
    worker = ScriptErrors([locustfile], clock=Clock(100.0))
    master = ScriptErrors([locustfile])
    for _ in range(2):
        exc, tb = _raised(shopper.home)
        worker.on_user_error(exception=exc, tb=tb)
        master.add_remote("w1", worker.snapshot())  # a report every few seconds
    master.add_remote("w1", worker.snapshot())  # the same report again
    master.add_remote("w2", [{"type": "JSONDecodeError", "file": "shop.py", "line": 8,
                              "count": 5, "first_at": 50.0, "last_at": 60.0,
                              "message": "from w2"}])
    master.add_remote("w3", "not a list")
    master.add_remote("w4", [{"line": "eight"}])  # malformed: left out
    (group,) = master.groups()
    assert (group.count, group.first_at, group.last_at, group.message) == (7, 50.0, 102.0,
                                                                           "from w2")


def test_tracebacks_go_to_the_log_file_bounded_per_group(
        tmp_path: Path, project: tuple[Path, Any]) -> None:
    locustfile, shopper = project
    errors = ScriptErrors([locustfile])
    path = tmp_path / "logs" / "run-3-script-errors.log"
    errors.log_to(path, "# run 3\n")
    for _ in range(LOGGED_PER_GROUP + 5):
        exc, tb = _raised(shopper.home)
        errors.on_user_error(exception=exc, tb=tb)
    assert errors.finish() == str(path)
    text = path.read_text()
    assert text.startswith("# run 3\n")
    assert text.count("Traceback (most recent call last)") == LOGGED_PER_GROUP
    assert 'shop.py", line 8, in home' in text
    assert f"more than {LOGGED_PER_GROUP}" in text
    assert f"{LOGGED_PER_GROUP + 5} script errors in 1 group(s)" in text


def test_a_workers_sample_traceback_reaches_the_masters_log(
        tmp_path: Path, project: tuple[Path, Any]) -> None:
    locustfile, shopper = project
    worker, master = ScriptErrors([locustfile]), ScriptErrors([locustfile])
    exc, tb = _raised(shopper.home)
    worker.on_user_error(exception=exc, tb=tb)
    assert "traceback" not in worker.snapshot()[0]  # the regular reports stay small
    master.add_remote("w1", worker.snapshot(tracebacks=True))  # the final flush
    master.add_remote("w1", worker.snapshot())  # a report after it keeps the traceback
    path = tmp_path / "run.log"
    master.log_to(path, "")
    assert master.finish() == str(path)
    text = path.read_text()
    assert "worker w1, 1 times" in text and 'shop.py", line 8, in home' in text


def test_no_script_errors_no_log_file(tmp_path: Path) -> None:
    errors = ScriptErrors([tmp_path / "locustfile.py"])
    errors.log_to(tmp_path / "run.log", "# header\n")
    assert errors.finish() is None and not (tmp_path / "run.log").exists()


def test_the_log_sits_beside_a_sqlite_store_else_in_the_working_directory(
        tmp_path: Path) -> None:
    assert log_path(f"sqlite:///{tmp_path / 'db' / 'runs.db'}", 7) == \
        tmp_path / "db" / "logs" / "run-7-script-errors.log"
    for url in ("postgresql+psycopg://postgres@127.0.0.1/test", "sqlite:///:memory:"):
        assert log_path(url, 7, cwd=tmp_path) == \
            tmp_path / ".swarmdeck" / "logs" / "run-7-script-errors.log"


def test_locusts_traceback_lines_are_dropped_until_restored(
        caplog: pytest.LogCaptureFixture) -> None:
    task_log = logging.getLogger("locust.user.task")
    error = ValueError("boom")
    restore = quiet_locust_tracebacks()
    try:
        with caplog.at_level(logging.INFO):
            task_log.error("%s\n%s", error, "Traceback ...")  # Locust's line for a task
            logging.getLogger("locust.user.users").error("%s\n%s", error, "Traceback ...")
            task_log.error("something else went wrong")
    finally:
        restore()
    assert [r.getMessage() for r in caplog.records] == ["something else went wrong"]
    caplog.clear()
    with caplog.at_level(logging.INFO):
        task_log.error("%s\n%s", error, "Traceback ...")
    assert len(caplog.records) == 1


def test_locusts_user_error_event_reaches_the_groups(project: tuple[Path, Any]) -> None:
    from locust.event import Events

    locustfile, shopper = project
    events = Events()
    errors = ScriptErrors([locustfile])
    errors.attach(events)
    exc, tb = _raised(shopper.home)
    events.user_error.fire(user_instance=object(), exception=exc, tb=tb)
    errors.detach(events)
    events.user_error.fire(user_instance=object(), exception=exc, tb=tb)
    assert [e.count for e in errors.groups()] == [1]
