"""The JSON API: filters, pagination, errors as JSON, every answer valid against the
OpenAPI document."""

from __future__ import annotations

from flask.testing import FlaskClient
from tests.web.conftest import (
    FILLER_RUNS,
    HOST_A,
    HOST_B,
    HOST_C,
    THRESHOLD_FAIL,
    ApiSchema,
    Seeded,
)


def test_runs_newest_first_and_paginated(client: FlaskClient, api_schema: ApiSchema,
                                         seeded: Seeded) -> None:
    first = api_schema.check("/api/runs", client.get("/api/runs?per_page=10"))
    ids = [run["id"] for run in first["runs"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 10
    assert ids[0] == seeded.ids["running"]
    assert first["next_page"] == 2
    seen = list(ids)
    page = first
    while page["next_page"]:
        page = api_schema.check("/api/runs", client.get(
            f"/api/runs?per_page=10&page={page['next_page']}"))
        seen += [run["id"] for run in page["runs"]]
    assert len(seen) == len(set(seen)) == FILLER_RUNS + 5
    assert page["next_page"] is None


def test_runs_filters(client: FlaskClient, api_schema: ApiSchema, seeded: Seeded) -> None:
    def ids(query: str) -> set[int]:
        body = api_schema.check("/api/runs", client.get(f"/api/runs?per_page=200&{query}"))
        return {run["id"] for run in body["runs"]}

    ids_of = seeded.ids
    assert ids(f"host={HOST_B}") == {ids_of["other"]}
    assert ids("tag=branch=dev") == {ids_of["dev"]}
    assert ids("status=failed") == {ids_of["dev"]}
    assert ids("status=running") == {ids_of["running"]}
    assert ids(f"host={HOST_A}&tag=branch=main&from=2024-05-01&to=2024-05-04") == {
        ids_of["old"], ids_of["xss"]}
    assert ids("from=2024-05-02&to=2024-05-02") == {ids_of["dev"]}  # a whole day
    assert ids("from=2024-05-02T13:00:00Z&to=2024-05-03") == {ids_of["other"]}
    assert len(ids(f"host={HOST_C}")) == FILLER_RUNS
    assert ids("tag=branch=nope") == set()


def test_run_row_carries_tags_and_totals(client: FlaskClient, api_schema: ApiSchema,
                                         seeded: Seeded) -> None:
    body = api_schema.check("/api/runs", client.get("/api/runs?tag=branch=dev"))
    (row,) = body["runs"]
    assert row["tags"] == {"branch": "dev"}
    assert row["requests"] == 20 * 2 * 5 and row["failures"] == 7 * 2
    assert row["status"] == "failed" and row["p95_ms"] > 0


def test_bad_parameters_are_400_json(client: FlaskClient, api_schema: ApiSchema) -> None:
    for query, word in (("status=exploded", "status"), ("tag=novalue", "tag"),
                        ("from=yesterday", "from"), ("page=0", "page"),
                        ("per_page=100000", "per_page")):
        body = api_schema.check("/api/runs", client.get(f"/api/runs?{query}"), 400)
        assert word in body["error"]
        assert "Traceback" not in body["error"]


def test_run_and_document(client: FlaskClient, api_schema: ApiSchema, seeded: Seeded) -> None:
    run_id = seeded.ids["dev"]
    run = api_schema.check("/api/runs/{run_id}", client.get(f"/api/runs/{run_id}"))
    assert run["id"] == run_id and run["status"] == "failed"
    assert run["thresholds"] == [THRESHOLD_FAIL]  # the verdict as stored
    assert (run["findings"], run["comparison"], run["warnings"]) == ([], None, [])
    doc = api_schema.check("/api/runs/{run_id}/document",
                           client.get(f"/api/runs/{run_id}/document"))
    assert doc["header"]["run_id"] == run_id
    assert doc["totals"]["requests"] == run["requests"]
    assert doc["thresholds"] == run["thresholds"]
    assert {e["name"] for e in doc["endpoints"]} == {"/", "/products"}


def test_running_run_document(client: FlaskClient, api_schema: ApiSchema,
                              seeded: Seeded) -> None:
    doc = api_schema.check("/api/runs/{run_id}/document",
                           client.get(f"/api/runs/{seeded.ids['running']}/document"))
    assert doc["header"]["status"] == "running"
    assert doc["totals"]["requests"] == 20 * 2 * 5
    assert doc["timeline"]["t"] and doc["endpoint_timelines"]["series"]


def test_unknown_run_is_404_json(client: FlaskClient, api_schema: ApiSchema) -> None:
    for path, template in (("/api/runs/99999", "/api/runs/{run_id}"),
                           ("/api/runs/99999/document", "/api/runs/{run_id}/document"),
                           ("/api/compare?base=1&candidate=99999", "/api/compare")):
        body = api_schema.check(template, client.get(path), 404)
        assert "99999" in body["error"]


def test_unknown_api_path_and_method_are_json(client: FlaskClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"]
    response = client.delete("/api/runs")
    assert response.status_code in (400, 405)  # no state changes here, ever
    assert response.get_json()["error"]


def test_compare(client: FlaskClient, api_schema: ApiSchema, seeded: Seeded) -> None:
    base, candidate = seeded.ids["old"], seeded.ids["dev"]
    doc = api_schema.check("/api/compare", client.get(
        f"/api/compare?base={base}&candidate={candidate}"))
    assert doc["base"]["header"]["run_id"] == base
    assert doc["candidate"]["header"]["run_id"] == candidate
    body = api_schema.check("/api/compare", client.get("/api/compare?base=1"), 400)
    assert "candidate" in body["error"]
    body = api_schema.check("/api/compare", client.get(f"/api/compare?base={base}"
                                                      f"&candidate={base}"), 400)
    assert "same run" in body["error"]


def test_trends(client: FlaskClient, api_schema: ApiSchema, seeded: Seeded) -> None:
    body = api_schema.check("/api/trends", client.get(f"/api/trends?host={HOST_A}"))
    run_ids = [run["run_id"] for run in body["runs"]]
    # finished runs only, oldest first
    assert run_ids == [seeded.ids["old"], seeded.ids["dev"], seeded.ids["xss"]]
    by_name = {(e["method"], e["name"]): e for e in body["endpoints"]}
    products = by_name[("GET", "/products")]
    assert products["p95_ms"][2] is None  # the xss run had no /products
    assert products["p95_ms"][1] > products["p95_ms"][0]  # the dev run was slower
    assert all(rps == 5.0 for rps in products["rps"][:2])
    assert all(e["label"] == f"{e['method']} {e['name']}" for e in body["endpoints"])
    assert body["runs"][0]["baselines"] == ["release-1"]
    assert [(b["name"], b["run_id"]) for b in body["baselines"]] == [
        ("release-1", seeded.ids["old"])]
    body = api_schema.check("/api/trends", client.get("/api/trends"), 400)
    assert "host" in body["error"]


def test_baselines(client: FlaskClient, api_schema: ApiSchema, seeded: Seeded) -> None:
    body = api_schema.check("/api/baselines", client.get("/api/baselines"))
    assert [(b["name"], b["run_id"]) for b in body["baselines"]] == [
        ("release-1", seeded.ids["old"])]
