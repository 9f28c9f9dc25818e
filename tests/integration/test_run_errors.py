"""Bad input to `swarmdeck run`: one clear line (what, where, how to fix), the documented
exit code, no traceback, and never a half-written run."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from shopfront.server import GunicornServer

from .conftest import SCENARIOS
from .test_run import stored_runs, swarmdeck

pytestmark = pytest.mark.integration

BAD_FILES = {
    "syntax.py": "from locust import HttpUser\n\nclass U(HttpUser:\n    pass\n",
    "import_error.py": "from locust import HttpUser\nimport no_such_module_here\n",
    "no_users.py": "import locust\nX = 1\n",
    "runtime_error.py": "from locust import HttpUser\n\n\nraise RuntimeError('boom at import')\n",
    "swarmdeck.toml.bad": "users = 10\nuser = 5\n",
}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])



GOOD = str(SCENARIOS / "public_pages.py")
CASES = [
    # (id, args, exit code, fragments expected in the error line)
    ("missing-locustfile", ["-f", "nope.py"], 2, ["nope.py", "does not exist"]),
    ("syntax-error", ["-f", "syntax.py"], 2, ["syntax.py:3", "syntax"]),
    ("import-error", ["-f", "import_error.py"], 2, ["import_error.py:2", "no_such_module_here"]),
    ("error-at-import", ["-f", "runtime_error.py"], 2, ["runtime_error.py:4", "boom at import"]),
    ("no-user-class", ["-f", "no_users.py"], 2, ["no User class", "no_users.py"]),
    ("unknown-class", ["-f", GOOD, "--class", "Nobody"], 2, ["Nobody", "FlaskPublicUser"]),
    ("malformed-host", ["-f", GOOD, "--host", "localhost:8000"], 2, ["localhost:8000"]),
    ("refused-host", ["-f", GOOD, "--host", "http://127.0.0.1:{closed}"], 3,
     ["127.0.0.1:{closed}"]),
    ("unresolvable-host", ["-f", GOOD, "--host", "http://no-such-host.invalid"], 3,
     ["no-such-host.invalid", "resolve"]),
    ("invalid-duration", ["-f", GOOD, "-t", "5x"], 2, ["5x"]),
    ("negative-users", ["-f", GOOD, "-u", "-3"], 2, ["-3"]),
    ("unknown-shape", ["-f", GOOD, "--shape", "zigzag"], 2, ["zigzag"]),
    ("malformed-plan", ["-f", GOOD, "--plan", "swarmdeck.toml.bad"], 2, ["user", "users"]),
    ("unwritable-db", ["-f", GOOD, "--db", "sqlite:////proc/no/such/dir/x.db"], 3,
     ["/proc/no/such/dir/x.db"]),
    ("unreachable-postgres",
     ["-f", GOOD, "--db", "postgresql+psycopg://postgres@127.0.0.1:{closed}/x"], 3,
     ["127.0.0.1:{closed}"]),
]


@pytest.mark.parametrize("args,code,fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gets_one_line_and_its_exit_code(args: list[str], code: int,
                                                   fragments: list[str], shop: GunicornServer,
                                                   tmp_path: Path) -> None:
    for name, text in BAD_FILES.items():
        (tmp_path / name).write_text(text)
    port = str(closed_port())
    args = [a.replace("{closed}", port) for a in args]
    if "--host" not in args:
        args += ["--host", shop.url]
    if "-t" not in args:
        args += ["-t", "3s"]
    if "--db" not in args:
        args += ["--db", f"sqlite:///{tmp_path / 'runs.db'}"]
    result = swarmdeck("run", *args, "-q", cwd=tmp_path, timeout=60)
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment.replace("{closed}", port) in lines[0], lines[0]
    if (tmp_path / "runs.db").exists():
        assert stored_runs(tmp_path, f"sqlite:///{tmp_path / 'runs.db'}") == []
