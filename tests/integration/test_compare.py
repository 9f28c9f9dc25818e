"""`swarmdeck compare` and baselines end to end, on shopfront under real Gunicorn.

Two runs that are compared are run at the same time (one swarmdeck process each): on a
machine shared with other work, two runs one after the other see different machines, and
the comparison rightly calls that a change (see docs/compare.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopfront.server import GunicornServer

from .conftest import seed_database

pytestmark = pytest.mark.integration

LOCUSTFILE = Path(__file__).with_name("compare_locustfile.py")
ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
ROUTES = ["/", "/blog", "/api/products?category", "/reports/monthly-summary", "/pricing"]
PLANTED = ROUTES[:4]


def swarmdeck(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "swarmdeck", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=120, env=ENV, check=False)


def run_together(db: str, hosts: list[str], cwd: Path, seconds: int = 12) -> list[int]:
    """One 4-user run per host, all at once; their run ids in the order of hosts."""
    processes = [subprocess.Popen(
        [sys.executable, "-m", "swarmdeck", "run", "-f", str(LOCUSTFILE), "--host", host,
         "-u", "4", "-r", "4", "-t", f"{seconds}s", "-q", "--db", db, "--json",
         f"run{i}.json"], cwd=cwd, text=True, env=ENV, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE) for i, host in enumerate(hosts)]
    ids = []
    for i, process in enumerate(processes):
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, out[-2000:] + err[-2000:]
        ids.append(json.loads((cwd / f"run{i}.json").read_text())["run_id"])
    return ids


def compare(db: str, base: int | str, candidate: int | str, cwd: Path,
            *args: str) -> dict[str, object]:
    result = swarmdeck("compare", str(base), str(candidate), "--db", db, "--json", *args,
                       cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def rows_by_name(data: dict[str, object]) -> dict[str, dict[str, object]]:
    return {str(row["name"]): row for row in data["rows"]}  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def naive_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GunicornServer]:
    tmp = tmp_path_factory.mktemp("naive")
    env = seed_database(f"sqlite:///{tmp / 'shop.db'}", tmp, profile="naive")
    with GunicornServer(env, workers=2) as server:
        yield server


def test_the_same_target_twice_shows_no_significant_change(shop: GunicornServer,
                                                            tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    first, second = run_together(db, [shop.url, shop.url], tmp_path)
    data = compare(db, first, second, tmp_path)
    rows = rows_by_name(data)
    enough = [name for name in ROUTES if rows[name]["verdict"] != "not enough data"]
    assert len(enough) >= 3, {name: rows[name]["base"] for name in ROUTES}
    quiet = ("no significant change", "not enough data")
    overall, *routes = data["rows"]  # type: ignore[misc]
    assert overall["overall"] and overall["verdict"] in quiet, overall
    # Each route's verdict is a 95% interval: now and then one of five routes is called
    # faster or slower by chance (docs/compare.md). Two or more would be a bias, not chance.
    flagged = [row for row in routes if row["verdict"] not in quiet]
    assert len(flagged) <= 1, flagged
    assert data["passed"] and data["budget_failures"] == []


def test_naive_against_tuned_shows_the_planted_bottlenecks(
        shop: GunicornServer, naive_shop: GunicornServer, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    naive, tuned = run_together(db, [naive_shop.url, shop.url], tmp_path, seconds=15)
    # naive shopfront serves some 30-40 requests a route in 15 s: enough for a p50 verdict
    # (20 a route), not for p95 (100)
    data = compare(db, naive, tuned, tmp_path, "--metric", "p50")
    rows = rows_by_name(data)
    for name in PLANTED:
        row = rows[name]
        assert row["verdict"] == "faster", row
        change = row["changes"]["p50"]  # type: ignore[index]
        assert change["significant"] and change["ci_high_pct"] < -10
        assert row["candidate"]["rps"] > row["base"]["rps"]  # type: ignore[index]
    assert rows["Aggregated"]["overall"] and rows["Aggregated"]["verdict"] == "faster"
    assert data["base"]["run_id"] == naive and data["candidate"]["run_id"] == tuned  # type: ignore[index]

    # the other way round, with a budget: exit 1 and one sentence per broken budget
    markdown = tmp_path / "compare.md"
    result = swarmdeck("compare", str(tuned), str(naive), "--db", db, "--metric", "p50",
                       "--max-regression", "p50=+25%", "--markdown", str(markdown),
                       cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    shown = " ".join(result.stdout.split())  # rich wraps long lines
    assert "slower" in shown and result.stderr == ""
    assert "budget failed: GET /blog: p50 changed by +" in shown
    assert "beyond the budget p50=+25%" in shown
    text = markdown.read_text()
    assert text.startswith("### Performance comparison") and "| `GET /blog` |" in text

    # baselines: name the tuned run, then gate a naive run on it
    assert swarmdeck("baseline", "set", "fast", str(tuned), "--db", db,
                     cwd=tmp_path).returncode == 0
    listed = swarmdeck("baseline", "list", "--db", db, "--json", cwd=tmp_path)
    assert [(b["name"], b["run_id"]) for b in json.loads(listed.stdout)] == [("fast", tuned)]
    gated = subprocess.run(
        [sys.executable, "-m", "swarmdeck", "run", "-f", str(LOCUSTFILE), "--host",
         naive_shop.url, "-u", "4", "-r", "4", "-t", "8s", "--db", db, "--json", "gated.json",
         "--markdown", "gated.md", "--compare-to", "baseline:fast",
         "--max-regression", "p95=+20%"],
        cwd=tmp_path, text=True, env=ENV, capture_output=True, timeout=120, check=False)
    assert gated.returncode == 1, gated.stdout[-3000:] + gated.stderr[-3000:]
    summary = json.loads((tmp_path / "gated.json").read_text())
    assert summary["status"] == "failed"
    comparison = summary["comparison"]
    assert comparison["base"]["ref"] == "baseline:fast"
    assert comparison["base"]["run_id"] == tuned and not comparison["passed"]
    assert any(f.startswith("overall: p95 changed by +") for f in comparison["budget_failures"])
    assert "budget failed: overall: p95" in " ".join(gated.stdout.split())
    # the run's Markdown summary shows the comparison as `compare --markdown` does, with
    # its significant rows only
    comment = (tmp_path / "gated.md").read_text()
    assert (f"#### Performance comparison: run {tuned} (baseline:fast) → "
            f"run {summary['run_id']}") in comment
    assert "| **overall** |" in comment and "**Budget failures:**" in comment
    assert "- overall: p95 changed by +" in comment

    assert swarmdeck("baseline", "rm", "fast", "--db", db, cwd=tmp_path).returncode == 0
    missing = swarmdeck("compare", "baseline:fast", "last", "--db", db, cwd=tmp_path)
    assert missing.returncode == 2
    assert "no baseline 'fast' (set one with `swarmdeck baseline set fast RUN`)" in missing.stderr
