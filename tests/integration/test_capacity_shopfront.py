"""`swarmdeck capacity` against shopfront under real Gunicorn (scale 1, 2 sync workers): the
tuned profile takes more than the naive one, and with a process and a StatsD monitor of
Gunicorn the search says what saturated first, at which rate. Short bounded searches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import MonitoredShop

from shopfront.server import GunicornServer

from .test_run import swarmdeck

pytestmark = pytest.mark.integration

SEARCH = ("--slo", "p95 < 500ms", "--slo", "error_rate < 1%", "--step", "1.5s", "--settle",
          "0.5s", "--precision", "50%", "--confirm", "0", "--min-requests", "30", "-q")


# the blog: its listing of posts with their comments, N+1 queries in the naive profile
BLOG = ("from locust import HttpUser, task\n\n\n"
        "class Reader(HttpUser):\n"
        "    @task\n"
        "    def blog(self):\n"
        "        self.client.get('/blog')\n")


def search(tmp_path: Path, url: str, name: str, *args: str) -> tuple[dict[str, Any], str]:
    (tmp_path / "blog.py").write_text(BLOG)
    result = swarmdeck("capacity", "-f", "blog.py", "--host", url,
                       *SEARCH, *args, "--db", f"sqlite:///{tmp_path / 'runs.db'}",
                       "--json", f"{name}.json", cwd=tmp_path, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    found: dict[str, Any] = json.loads((tmp_path / f"{name}.json").read_text())
    return found, output


def test_tuned_takes_more_than_naive_and_the_search_says_what_saturated_first(
        monitored_shop: MonitoredShop, shop: GunicornServer, tmp_path: Path) -> None:
    naive, output = search(tmp_path, monitored_shop.url, "naive", "--start-rate", "80/s",
                           "--max-rate", "640/s",
                           "--monitor", f"process:{monitored_shop.pid}",
                           "--monitor", f"statsd://127.0.0.1:{monitored_shop.statsd_port}")
    broke = naive["capacity"]["upper"]
    assert broke is not None, naive  # the naive profile broke below 640/s
    # the tuned profile holds the rate at which the naive one broke: its capacity is at least
    # that, above the naive one's (a search bounded to that one rate)
    tuned, _ = search(tmp_path, shop.url, "tuned", "--start-rate", f"{broke}/s",
                      "--max-rate", f"{broke}/s")
    assert tuned["capacity"]["found"] and tuned["capacity"]["rate"] == broke, (naive, tuned)
    assert tuned["capacity"]["rate"] > naive["capacity"]["rate"]
    # the monitors' series against their limits, read over the steps' judged seconds
    saturation = naive["capacity"]["saturation"]
    assert {s["series"] for s in saturation} == {"gunicorn.utilization", "cpu"}
    rates = {s["rate"] for s in naive["steps"]}
    for s in saturation:
        assert s["rate"] in rates and s["rate"] == naive["steps"][s["step"]]["rate"]
        assert s["reached"] == (s["value"] >= s["limit"])
    # the blog's N+1 queries hold the 2 sync workers (waiting on SQLite more than on the CPU)
    first = naive["capacity"]["saturated_first"]
    assert first == saturation[0] and first["series"] == "gunicorn.utilization", saturation
    assert first["rate"] <= broke
    assert "Saturated first: " in output
    assert "saturation" in tuned["capacity"] and tuned["capacity"]["saturation"] == []
