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

from .conftest import SCENARIOS
from .test_run import swarmdeck

pytestmark = pytest.mark.integration

SEARCH = ("--slo", "p95 < 500ms", "--slo", "error_rate < 1%", "--start-rate", "20/s",
          "--max-rate", "320/s", "--step", "1.5s", "--settle", "0.5s", "--precision", "25%",
          "--confirm", "0", "--min-requests", "30", "-q")


def search(tmp_path: Path, url: str, name: str, *monitors: str) -> tuple[dict[str, Any], str]:
    result = swarmdeck("capacity", "-f", str(SCENARIOS / "public_pages.py"), "--host", url,
                       *SEARCH, *monitors, "--db", f"sqlite:///{tmp_path / 'runs.db'}",
                       "--json", f"{name}.json", cwd=tmp_path, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    found: dict[str, Any] = json.loads((tmp_path / f"{name}.json").read_text())
    return found, output


def test_tuned_takes_more_than_naive_and_the_search_says_what_saturated_first(
        monitored_shop: MonitoredShop, shop: GunicornServer, tmp_path: Path) -> None:
    naive, output = search(tmp_path, monitored_shop.url, "naive",
                           "--monitor", f"process:{monitored_shop.pid}",
                           "--monitor", f"statsd://127.0.0.1:{monitored_shop.statsd_port}")
    tuned, _ = search(tmp_path, shop.url, "tuned")
    assert naive["capacity"]["upper"] is not None, naive  # the naive profile broke
    assert tuned["capacity"]["rate"] > naive["capacity"]["rate"], (naive, tuned)
    # the monitors' series against their limits, read over the steps' judged seconds
    saturation = naive["capacity"]["saturation"]
    assert {s["series"] for s in saturation} == {"gunicorn.utilization", "cpu"}
    rates = {s["rate"] for s in naive["steps"]}
    for s in saturation:
        assert s["rate"] in rates and s["rate"] == naive["steps"][s["step"]]["rate"]
        assert s["reached"] == (s["value"] >= s["limit"])
    first = naive["capacity"]["saturated_first"]
    assert first is None or first == saturation[0]
    assert "Saturated first: " in output
    assert "saturation" in tuned["capacity"] and tuned["capacity"]["saturation"] == []
