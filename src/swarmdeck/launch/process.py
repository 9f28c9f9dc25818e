"""A run started by the server: ``swarmdeck run`` as its own process, the same engine and
store as a run started from a terminal, so everything a CLI run records is recorded.

The saved version's locustfile is written (byte for byte: its SHA-256 is the version's) to
a path of its own (the same for every run of the version), and the process works in a
fresh folder, so that no plan file, ``locust.conf`` or ``SWARMDECK_*``/``LOCUST_*``
variable of the server changes the run: the test's settings alone decide it. The database URL goes in the environment, not the
command line (it may hold a password). The run is tagged with its test, version and
launch, which is how the server finds the run it created.

Stopping is Ctrl-C's way: SIGINT, and the run ends as an interrupted run (status aborted)
with everything measured kept.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from swarmdeck.launch.spec import LAUNCH_TAG, TEST_TAG, VERSION_TAG, TestSettings

FIND_RUN_EVERY_S = 0.25
VERSIONS_DIR = Path(tempfile.gettempdir()) / "swarmdeck-tests"
STDERR_TAIL = 4000  # bytes of the process's error output kept for the launch's message


@dataclass(frozen=True)
class LaunchRequest:
    launch_id: int
    test_id: int
    version: int
    locustfile_name: str
    source: str
    settings: TestSettings
    db_url: str  # with its password: only ever in the child's environment
    extra_args: tuple[str, ...] = ()  # a schedule's --compare-to / --max-regression
    extra_env: tuple[tuple[str, str], ...] = ()  # a master's SWARMDECK_TOKEN


def command(request: LaunchRequest, locustfile: Path) -> list[str]:
    return [sys.executable, "-m", "swarmdeck", "run", "-f", str(locustfile),
            *request.settings.run_arguments(), *request.extra_args, "--quiet",
            "--tag", f"{TEST_TAG}={request.test_id}",
            "--tag", f"{VERSION_TAG}={request.version}",
            "--tag", f"{LAUNCH_TAG}={request.launch_id}"]


def environment(db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SWARMDECK_", "LOCUST_"))}
    env["SWARMDECK_DB"] = db_url
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Started:
    pid: int
    process: subprocess.Popen[bytes]
    folder: Path


def version_file(request: LaunchRequest) -> Path:
    """The version's locustfile on disk, at a path that is the same for every run of the
    version (runs record it; trends and filters group runs by it). A version never changes,
    so the file is written once; the database's own folder keeps two stores apart."""
    store = hashlib.sha256(request.db_url.encode()).hexdigest()[:12]
    folder = VERSIONS_DIR / store / str(request.test_id) / f"v{request.version}"
    path = folder / request.locustfile_name
    data = request.source.encode("utf-8")
    if not path.is_file() or path.read_bytes() != data:
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{request.launch_id}.part"
        partial.write_bytes(data)
        os.replace(partial, path)
    return path


def start(request: LaunchRequest) -> Started:
    """Write the locustfile and start the run's process."""
    folder = Path(tempfile.mkdtemp(prefix=f"swarmdeck-launch-{request.launch_id}-"))
    locustfile = version_file(request)
    with (folder / "stderr.txt").open("wb") as errors:
        process = subprocess.Popen(command(request, locustfile), cwd=folder,
                                   env={**environment(request.db_url),
                                        **dict(request.extra_env)},
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=errors, start_new_session=True)
    return Started(process.pid, process, folder)


def last_error(folder: Path) -> str | None:
    """The last line the process wrote to its error output (swarmdeck's one-line errors)."""
    try:
        with (folder / "stderr.txt").open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - STDERR_TAIL))
            lines = [line.strip() for line in handle.read().decode("utf-8", "replace")
                     .splitlines() if line.strip()]
    except OSError:
        return None
    return lines[-1][:500] if lines else None


def watch(started: Started, find_run: Callable[[], int | None],
          on_run: Callable[[int], None], on_exit: Callable[[int, str | None], None]) -> None:
    """In a daemon thread: report the run's id once it exists, then the exit status (and
    the last error line), and remove the folder."""

    def loop() -> None:
        found = False
        try:
            while started.process.poll() is None:
                if not found:
                    run_id = find_run()
                    if run_id is not None:
                        found = True
                        on_run(run_id)
                time.sleep(FIND_RUN_EVERY_S)
            if not found:
                run_id = find_run()
                if run_id is not None:
                    on_run(run_id)
            on_exit(started.process.returncode, last_error(started.folder))
        finally:
            shutil.rmtree(started.folder, ignore_errors=True)

    threading.Thread(target=loop, name=f"swarmdeck-launch-{started.pid}",
                     daemon=True).start()


def is_ours(pid: int, launch_id: int) -> bool:
    """Whether ``pid`` is still the run process of this launch (not a reused pid)."""
    try:
        cmdline = psutil.Process(pid).cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
    return f"{LAUNCH_TAG}={launch_id}" in cmdline


def stop(pid: int, launch_id: int) -> bool:
    """Ask the run to stop as Ctrl-C does; False when its process is gone."""
    if not is_ours(pid, launch_id):
        return False
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return False
    return True
