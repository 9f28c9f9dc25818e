"""Automatic grouping of ids in URLs, end to end: a script that requests URLs with random
ids and no name= ends with a handful of endpoints whose requests add up to the total, none
in (other), and a name-explosion finding that shows the template; the same with workers;
and --no-group-names records every URL as Locust names it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shopfront.server import GunicornServer

from .test_findings import found, locustfile, run

pytestmark = pytest.mark.integration

SCRIPT = """
    import random
    from locust import HttpUser, constant, task

    class Browser(HttpUser):
        wait_time = constant(0.05)

        @task(4)
        def product(self):
            self.client.get(f"/api/products/{random.randint(1, 1000)}")

        @task(2)
        def listing(self):
            self.client.get(f"/api/products?page={random.randint(1, 40)}&limit=5")

        @task
        def blog(self):
            self.client.get("/blog")
"""
GROUPED = {"/api/products/{id}", "/api/products?limit={}&page={}", "/blog"}


def check_grouped(summary: dict[str, Any]) -> None:
    endpoints = {e["name"]: e for e in summary["endpoints"]}
    assert set(endpoints) == GROUPED, sorted(endpoints)
    total = summary["totals"]["requests"]
    assert total > 100
    assert sum(e["requests"] for e in endpoints.values()) == total
    assert summary["locust"]["requests"] == total  # nothing lost, nothing counted twice
    groups = {g["template"]: g for g in summary["name_groups"]}
    assert set(groups) == GROUPED - {"/blog"}
    products = groups["/api/products/{id}"]
    assert products["method"] == "GET" and 20 <= products["names"] <= 1000
    assert all(s.startswith("/api/products/") for s in products["samples"])
    (finding,) = [f for f in found(summary, "name-explosion")
                  if f["endpoint"] == "GET /api/products/{id}"]
    assert finding["evidence"]["names"] == products["names"]
    assert finding["evidence"]["requests"] == endpoints["/api/products/{id}"]["requests"]
    assert "grouped them as /api/products/{id}" in finding["message"]
    assert 'name="/api/products/[id]"' in finding["fix"]


def test_random_ids_are_grouped_into_a_handful_of_endpoints(shop: GunicornServer,
                                                            tmp_path: Path) -> None:
    summary = run(tmp_path, locustfile(tmp_path, SCRIPT), shop.url,
                  "-u", "4", "-r", "4", "-t", "8s",
                  "--threshold", "GET /api/products/42: p95 < 60s")
    check_grouped(summary)
    assert "/api/products/{id}" in summary["_stdout"]  # the terminal's table shows it
    # a threshold written on one id's URL judges the template that URL folds into
    (threshold,) = summary["thresholds"]
    assert threshold["passed"] and threshold["observed"] is not None, threshold


def test_workers_group_the_same_way(shop: GunicornServer, tmp_path: Path) -> None:
    summary = run(tmp_path, locustfile(tmp_path, SCRIPT), shop.url,
                  "-u", "4", "-r", "4", "-t", "8s", "--workers", "2")
    assert len(summary["workers"]) == 2
    check_grouped(summary)


def test_no_group_names_records_urls_as_locust_names_them(shop: GunicornServer,
                                                          tmp_path: Path) -> None:
    """The switch reaches the workers (the master's WELCOME carries it)."""
    summary = run(tmp_path, locustfile(tmp_path, SCRIPT), shop.url,
                  "-u", "4", "-r", "4", "-t", "6s", "--workers", "1", "--no-group-names")
    names = [e["name"] for e in summary["endpoints"]]
    assert len(names) > 20 and "/api/products/{id}" not in names
    assert sum(e["requests"] for e in summary["endpoints"]) == summary["totals"]["requests"]
    assert "name_groups" not in summary
    assert any(f["endpoint"] == "GET /api/products/{n}"
               for f in found(summary, "name-explosion"))
