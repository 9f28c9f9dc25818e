"""Comparing stored runs: the JSON a user gets from `swarmdeck compare` and --compare-to,
budgets, baselines and bad references, through the store and the CLI."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from swarmdeck.analysis.budgets import parse_budget
from swarmdeck.cli import main
from swarmdeck.metrics import EndpointInterval, LatencyHistogram
from swarmdeck.records.codec import comparison_to_json
from swarmdeck.store import RunMeta, Store
from swarmdeck.verdict.comparison import block_seconds, compare_for_run, compare_runs

T0 = 1_700_000_000


def store_run(store: Store, start: int, scale_us: float, seed: int, seconds: int = 60) -> int:
    """A finished 60-s run of two endpoints; /slow's latencies around ``scale_us``."""
    rng = random.Random(seed)
    meta = RunMeta(host="http://127.0.0.1:5000", locustfile="l.py", locustfile_sha256="0" * 64,
                   plan={}, tags={"branch": f"b{seed}"}, users=10, spawn_rate=10.0,
                   run_time_s=float(seconds), shape=None, swarmdeck_version="t",
                   locust_version="t", python_version="t", git_commit=None,
                   started_at=datetime.fromtimestamp(start, UTC), pid=1, hostname="elsewhere")
    run_id = store.create_run(meta)
    for second in range(seconds):
        batch = []
        for name, scale in (("/slow", scale_us), ("/same", 10_000.0)):
            histogram = LatencyHistogram()
            for _ in range(30):
                histogram.record(int(rng.lognormvariate(0, 0.5) * scale))
            batch.append(EndpointInterval(start=start + second, method="GET", name=name,
                                          requests=30, histogram=histogram, errors=Counter()))
        store.add_intervals(run_id, batch)
    store.finish_run(run_id, "passed", datetime.fromtimestamp(start + seconds, UTC))
    return run_id


@pytest.fixture
def db(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    with Store.open(url) as store:
        store_run(store, T0, 20_000, 1)
        store_run(store, T0 + 100, 26_000, 2)  # /slow 30 % slower
    yield url


def rows(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in data["rows"]}


def test_compare_runs_json(db: str) -> None:
    with Store.open(db) as store:
        compared = compare_runs(store, 1, 2, budgets=[parse_budget("p95=+10%")])
    data = json.loads(json.dumps(comparison_to_json(compared)))  # plain JSON types only
    assert data["base"]["run_id"] == 1 and data["candidate"]["ref"] == "2"
    assert data["base"]["tags"] == {"branch": "b1"} and data["metric"] == "p95"
    assert data["base"]["started_at"] == "2023-11-14T22:13:20+00:00"
    assert rows(data)["/slow"]["verdict"] == "slower"
    assert rows(data)["/same"]["verdict"] == "no significant change"
    assert data["budgets"] == ["p95=+10%"] and not data["passed"]
    assert data["budget_failures"] == [
        f for f in data["budget_failures"] if "beyond the budget p95=+10%" in f]
    assert any(f.startswith("GET /slow: p95 changed by +") for f in data["budget_failures"])
    assert list(data) == ["base", "candidate", "metric", "confidence", "min_change", "rows",
                          "budgets", "budget_failures", "passed"]


def test_compare_for_run_resolves_the_reference_before_the_run(db: str) -> None:
    with Store.open(db) as store:
        record = store.get_run(2)
        assert compare_for_run(store, record, SimpleNamespace(compare_to=None)) is None  # type: ignore[arg-type]
        plan = SimpleNamespace(compare_to="last", max_regression=(parse_budget("p95=+50%"),))
        data = compare_for_run(store, record, plan)  # type: ignore[arg-type]
        assert data is not None and data.base is not None and data.base.run_id == 1
        assert data.base.ref == "last" and data.passed
        plan = SimpleNamespace(compare_to="baseline:main", max_regression=(parse_budget("p95=+5%"),))
        missing = compare_for_run(store, record, plan)  # type: ignore[arg-type]
    assert missing is not None and not missing.passed
    message = ("cannot compare with baseline:main: no baseline 'main' (set one with "
               "`swarmdeck baseline set main RUN`)")
    assert missing.budget_failures == (message,)
    assert comparison_to_json(missing) == {
        "base": None, "candidate": comparison_to_json(data)["candidate"], "error": message,
        "metric": "p95", "rows": [], "budgets": ["p95=+5%"], "budget_failures": [message],
        "passed": False}


def test_block_size_grows_with_the_run() -> None:
    assert [block_seconds(s) for s in (15, 120, 600, 1200, 3600)] == [1, 1, 10, 10, 60]


def test_cli_compare_and_baselines(db: str, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baseline", "set", "main", "1", "--db", db]) == 0
    assert main(["baseline", "list", "--db", db, "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out[out.index("["):])[0]["run_id"] == 1
    assert main(["compare", "baseline:main", "last", "--db", db, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["base"]["ref"] == "baseline:main" and data["candidate"]["run_id"] == 2
    md = tmp_path / "out" / "cmp.md"
    assert main(["compare", "1", "2", "--db", db, "--max-regression", "p95=+10%",
                 "--markdown", str(md)]) == 1
    shown = " ".join(capsys.readouterr().out.split())
    assert "GET /slow" in shown and "slower" in shown and "budget failed: GET /slow" in shown
    assert "| `GET /slow` |" in md.read_text()
    assert main(["compare", "1", "nope", "--db", db]) == 2
    assert "bad run reference 'nope'" in capsys.readouterr().err
    assert main(["compare", "1", "2", "--db", db, "--max-regression", "p95=-5%"]) == 2
    assert main(["baseline", "rm", "main", "--db", db]) == 0
    assert main(["baseline", "rm", "main", "--db", db]) == 2
    assert "no baseline 'main'" in capsys.readouterr().err
