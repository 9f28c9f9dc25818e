"""No secret leaks: a distributed run against PostgreSQL configured with every secret
swarmdeck knows (the dashboard's token and password, the workers' token, the database
password in the URL), then every output a user or a log collector sees: the terminal and
the logs, the JSON summary, JUnit and Markdown files, the HTML report, `show` and `runs`,
the dashboard's pages and API answers (and its own output), and the one-line error of a
database that cannot be reached. None of them may hold any of the secrets."""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from shopfront.server import GunicornServer

from .conftest import SCENARIOS
from .test_run import ENV, swarmdeck

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def fetch(url: str, headers: dict[str, str]) -> str:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return f"{answer.status} {answer.headers}\n{answer.read().decode()}"
    except urllib.error.HTTPError as error:  # a 4xx page is an output too
        return f"{error.code} {error.headers}\n{error.read().decode()}"


def serve_and_read(db: str, env: dict[str, str], paths: list[str],
                   headers: dict[str, str]) -> list[str]:
    """`swarmdeck serve` on a free port: what it prints, and each page it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "swarmdeck", "serve", "--db", db, "--bind", "127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        assert match, line
        deadline = time.monotonic() + 20
        while True:
            try:
                fetch(match[1] + "/login", {})
                break
            except OSError:
                assert time.monotonic() < deadline, "the dashboard did not answer"
                time.sleep(0.2)
        pages = [line, *(fetch(match[1] + path, headers) for path in paths),
                 fetch(match[1] + "/api/runs", {}),  # no credentials: 401
                 fetch(match[1] + "/", {"Authorization": "Bearer wrong-token-000000000"})]
        assert "<h1>Log in</h1>" in pages[-1]  # the wrong token: the login form
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
        return [*pages, out, err]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_no_secret_in_any_output(shop: GunicornServer, postgres_url: str,
                                 tmp_path: Path) -> None:
    secrets = {"dashboard token": f"dashtok{uuid.uuid4().hex}",
               "dashboard password": f"dashpw{uuid.uuid4().hex}",
               "worker token": f"wtok{uuid.uuid4().hex}",
               "database password": f"dbpw{uuid.uuid4().hex}"}
    # PostgreSQL here trusts local connections: the password is accepted, and never needed
    db = make_url(postgres_url).set(password=secrets["database password"]).render_as_string(
        hide_password=False)
    assert secrets["database password"] in db
    env = {**ENV, "SWARMDECK_TOKEN": secrets["worker token"],
           "SWARMDECK_DASHBOARD_TOKEN": secrets["dashboard token"],
           "SWARMDECK_DASHBOARD_USER": "admin",
           "SWARMDECK_DASHBOARD_PASSWORD": secrets["dashboard password"],
           "TMPDIR": str(tmp_path)}  # the master's worker logs land here too
    outputs: list[str] = []

    run = swarmdeck("run", "-f", str(SCENARIOS / "public_pages.py"), "--host", shop.url,
                    "-u", "2", "-r", "2", "-t", "4s", "--workers", "1", "--debug",
                    "--db", db, "--json", "s.json", "--junit", "j.xml", "--markdown", "m.md",
                    "--threshold", "p95 < 1ms", cwd=tmp_path, env=env)
    outputs += [run.stdout, run.stderr]
    assert run.returncode == 1, run.stderr[-2000:]  # a threshold failed: in every output
    run_id = re.search(r"Stored as run (\d+)", run.stdout)
    assert run_id, run.stdout[-2000:]
    for command in (["show", run_id[1]], ["runs"], ["report", run_id[1], "-o", "r.html"]):
        shown = swarmdeck(*command, "--db", db, cwd=tmp_path, env=env)
        assert shown.returncode == 0, shown.stderr
        outputs += [shown.stdout, shown.stderr]
    # libpq also takes the password as a query parameter: listed, and refused (one line)
    query_form = make_url(postgres_url).update_query_dict(
        {"password": secrets["database password"]}).render_as_string(hide_password=False)
    listed = swarmdeck("runs", "--db", query_form, cwd=tmp_path, env=env)
    unreachable = make_url(db).set(port=1).render_as_string(hide_password=False)
    failed = [swarmdeck("runs", "--db", url, cwd=tmp_path, env=env)
              for url in (unreachable, query_form.replace(":5432/", ":1/"))]
    assert listed.returncode == 0, listed.stderr
    for result in failed:
        assert result.returncode == 3 and "127.0.0.1:1" in result.stderr, result.stderr
    outputs += [listed.stdout, listed.stderr, *(r.stdout + r.stderr for r in failed)]

    bearer = {"Authorization": f"Bearer {secrets['dashboard token']}"}
    basic = base64.b64encode(f"admin:{secrets['dashboard password']}".encode()).decode()
    pages = serve_and_read(db, env, [
        "/", f"/runs/{run_id[1]}", "/compare", "/trends", "/api/runs",
        f"/api/runs/{run_id[1]}", f"/api/runs/{run_id[1]}/document",
        f"/api/trends?host={shop.url}", "/api/baselines", "/api/openapi.json",
        "/runs/999999",
    ], bearer)
    pages += serve_and_read(query_form, env, ["/", f"/api/runs/{run_id[1]}"],
                            {"Authorization": f"Basic {basic}"})
    assert "***" in pages[0]  # the dashboard names its database, masked
    statuses = [page.split(" ", 1)[0] for page in pages if page[:3].isdigit()]
    # per server: the pages asked for, the API without credentials (401), a page with a
    # wrong token (redirected to the login form: 200)
    assert statuses == ["200"] * 10 + ["404", "401", "200"] + ["200"] * 2 + ["401", "200"]
    outputs += pages

    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"s.json", "j.xml", "m.md", "r.html"} <= names
    assert any(n.startswith("worker-") and n.endswith(".log") for n in names), names
    texts = outputs + [p.read_text(errors="replace") for p in files]
    for what, secret in secrets.items():
        leaks = [t[max(0, t.index(secret) - 200):t.index(secret) + 50]
                 for t in texts if secret in t]
        assert not leaks, f"the {what} appears in an output: {leaks[0]!r}"
