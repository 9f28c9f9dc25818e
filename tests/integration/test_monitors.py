"""`swarmdeck run --monitor ...` end to end: shopfront under real Gunicorn sampled by a
process and a StatsD monitor, and a Prometheus source killed mid-run (a warning, a gap, a
line in the summary; the run passes), thresholds on the series, the JSON summary's
``monitors`` and `swarmdeck compare`'s server means."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from tests.conftest import MonitoredShop
from tests.monitors.prom_app import prom_app

from .conftest import SCENARIOS
from .test_run import swarmdeck

pytestmark = pytest.mark.integration


def test_a_monitored_run(monitored_shop: MonitoredShop, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    with prom_app() as app:
        app.queue.set(5)
        killer = threading.Timer(4.0, lambda: (app.server.shutdown(), app.server.server_close()))
        killer.start()
        result = swarmdeck(
            "run", "-f", str(SCENARIOS / "jwt_api.py"), "--host", monitored_shop.url,
            "-u", "4", "-r", "4", "-t", "8s", "--db", db, "--json", "summary.json",
            "--monitor", f"process:{monitored_shop.pid}",
            "--monitor", f"statsd://127.0.0.1:{monitored_shop.statsd_port}",
            "--monitor", "prometheus+" + app.url + "?metric=app_queue_depth",
            "--threshold", "monitor:workers[1s] >= 2",
            "--threshold", "monitor:gunicorn.requests > 0",
            cwd=tmp_path)
        killer.join()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # the live view said so while it ran; the summary keeps a line
    assert "warning: monitor prometheus+http://127.0.0.1" in result.stdout
    assert "was lost for" in result.stdout
    assert "Server (mean / peak)" in result.stdout and "gunicorn.utilization" in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    series = {s["name"]: s for s in summary["monitors"]}
    assert {p[1] for p in series["workers"]["points"]} == {2}
    assert series["gunicorn.requests"]["unit"] == "/s" and series["gunicorn.requests"]["peak"] > 0
    assert series["cpu"]["unit"] == "%" and "gunicorn.utilization" in series
    # the Prometheus series stops where its source died: a gap to the end
    prom = series["prom.app_queue_depth"]
    assert prom["points"] and prom["points"][-1][0] < summary["duration_s"] - 2
    sources = {s["kind"]: s for s in summary["monitor_sources"]}
    assert sources["process"]["status"] == sources["statsd"]["status"] == "ok"
    lost = sources["prometheus"]
    assert lost["status"] == "lost" and lost["gaps"] and "cannot fetch" in lost["message"]
    assert any("was lost for" in w for w in summary["warnings"])
    assert [t["passed"] for t in summary["thresholds"]] == [True, True]
    assert summary["thresholds"][0]["expr"] == "monitor:workers[1s] >= 2"

    compared = swarmdeck("compare", str(summary["run_id"]), str(summary["run_id"]), "--db", db,
                         "--json", cwd=tmp_path)
    assert compared.returncode == 0, compared.stderr
    means = {m["name"]: m for m in json.loads(compared.stdout)["monitors"]}
    assert means["workers"]["base_mean"] == means["workers"]["candidate_mean"] == 2
    shown = swarmdeck("compare", str(summary["run_id"]), str(summary["run_id"]), "--db", db,
                      cwd=tmp_path)
    assert "Server means" in shown.stdout


def test_an_unreachable_required_monitor_stops_the_run_before_it_starts(
        monitored_shop: MonitoredShop, tmp_path: Path) -> None:
    result = swarmdeck("run", "-f", str(SCENARIOS / "jwt_api.py"), "--host",
                       monitored_shop.url, "-u", "1", "-t", "2s",
                       "--db", f"sqlite:///{tmp_path / 'runs.db'}",
                       "--monitor", "redis://:s3cret@127.0.0.1:1/0", "--monitor-required",
                       cwd=tmp_path)
    assert result.returncode == 3, result.stdout[-2000:] + result.stderr[-2000:]
    assert "--monitor-required" in result.stderr and "s3cret" not in result.stderr
    listed = swarmdeck("runs", "--db", f"sqlite:///{tmp_path / 'runs.db'}", "--json",
                       cwd=tmp_path)
    assert json.loads(listed.stdout) == []
