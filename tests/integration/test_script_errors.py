"""Script errors end to end: a task that raises (``response.json()`` on shopfront's HTML home
page) is counted and grouped at the locustfile's line, its tracebacks go to the run's log
file and not to the terminal, locally and with a worker process."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from shopfront.server import GunicornServer

from .test_run import swarmdeck

pytestmark = pytest.mark.integration

LOCUSTFILE = '''\
from locust import HttpUser, constant, task


class Browser(HttpUser):
    wait_time = constant(0.2)

    @task
    def home(self):
        self.client.get("/", name="home").json()  # HTML: JSONDecodeError
'''
RAISING_LINE = 9  # the line of .json() above


def run_raising(shop: GunicornServer, tmp_path: Path, *extra: str
                ) -> tuple[dict[str, Any], str, str]:
    (tmp_path / "raising.py").write_text(LOCUSTFILE)
    result = swarmdeck("run", "-f", "raising.py", "--host", shop.url, "-u", "3", "-r", "3",
                       "-t", "4s", "--db", "runs.db", "--json", "s.json", *extra,
                       cwd=tmp_path)
    assert (tmp_path / "s.json").exists(), result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads((tmp_path / "s.json").read_text()), result.stdout, result.stderr


def check(summary: dict[str, Any], stdout: str, stderr: str, tmp_path: Path) -> None:
    errors = summary["script_errors"]
    (group,) = errors["groups"]
    home = next(e for e in summary["endpoints"] if e["name"] == "home")
    # each request to the home page raised once: the count is Locust's
    assert group["count"] == errors["count"] == home["requests"] > 0
    assert (group["type"], group["file"], group["line"]) == (
        "JSONDecodeError", "raising.py", RAISING_LINE)
    assert group["first_at"] <= group["last_at"]
    assert "Expecting value" in group["message"]
    log = Path(errors["log"])
    assert log == (tmp_path / "logs" / f"run-{summary['run_id']}-script-errors.log").resolve()
    text = log.read_text()
    assert "Traceback (most recent call last)" in text
    assert f'raising.py", line {RAISING_LINE}' in text and "JSONDecodeError" in text
    # not over the terminal: no traceback on stdout or stderr
    assert "Traceback (most recent" not in stdout + stderr
    assert "JSONDecodeError: " not in stderr
    # the summary's table and the path of the log, once
    assert re.search(rf"JSONDecodeError[\s│|]+raising\.py:{RAISING_LINE}", stdout), stdout
    assert stdout.count(str(log)) == 1
    finding = next(f for f in summary["findings"] if f["code"] == "script-error")
    assert f"raising.py:{RAISING_LINE}" in finding["fix"] and "Content-Type" in finding["fix"]
    # a run whose only trouble is script errors is not passed (Locust exits 1 on it too)
    assert summary["status"] == "failed"
    assert summary["message"] == (f"{errors['count']:,} script error"
                                  f"{'s' * (errors['count'] != 1)} (exceptions in tasks)")


def test_a_raising_task_is_counted_at_its_line_and_logged_off_the_terminal(
        shop: GunicornServer, tmp_path: Path) -> None:
    summary, stdout, stderr = run_raising(shop, tmp_path)
    check(summary, stdout, stderr, tmp_path)


def test_a_workers_script_errors_reach_the_master(shop: GunicornServer,
                                                   tmp_path: Path) -> None:
    summary, stdout, stderr = run_raising(shop, tmp_path, "--workers", "1")
    check(summary, stdout, stderr, tmp_path)
    assert summary["workers"]


def test_debug_keeps_the_tracebacks_on_the_terminal(shop: GunicornServer,
                                                    tmp_path: Path) -> None:
    summary, stdout, stderr = run_raising(shop, tmp_path, "--debug", "-q")
    errors = summary["script_errors"]
    assert errors["count"] > 0
    assert "Traceback (most recent call last)" in stderr
    # -q prints no summary: one line says how many, and where the tracebacks are
    assert f"{errors['count']:,} script errors; tracebacks in {errors['log']}" in stdout
