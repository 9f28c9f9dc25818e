"""The JSON API under /api/: runs, one run, its report document, comparisons, trends,
baselines, and the OpenAPI document describing all of them. Read-only (the platform's
writes are in platform_api, tests_api, runs_api, schedules_api, webhooks_api, nodes_api)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from werkzeug.wrappers import Response

from swarmdeck.errors import BadInput
from swarmdeck.store import Store
from swarmdeck.web import queries, trends
from swarmdeck.web.documents import DocumentCache
from swarmdeck.web.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api")


def store() -> Store:
    opened: Store = current_app.extensions["swarmdeck_store"]
    return opened


@bp.get("/runs")
def runs() -> Response:
    filters = queries.run_filters(request.args)
    rows = store().list_runs(filters.per_page + 1, offset=(filters.page - 1) * filters.per_page,
                             **filters.store_kwargs())
    more = len(rows) > filters.per_page
    return jsonify(runs=[queries.row_json(row) for row in rows[:filters.per_page]],
                   page=filters.page, per_page=filters.per_page,
                   next_page=filters.page + 1 if more else None)


@bp.get("/runs/<run:run_id>")
def run(run_id: int) -> Response:
    return jsonify(queries.record_json(store().get_run(run_id)))


@bp.get("/runs/<run:run_id>/document")
def run_document(run_id: int) -> Response:
    """The report's document, from the store (cached until the run's row changes)."""
    documents: DocumentCache = current_app.extensions["swarmdeck_documents"]
    return jsonify(documents.document(run_id))


@bp.get("/compare")
def compare() -> Response:
    from swarmdeck.report.document import compare_document

    base = queries.run_id_param(request.args, "base")
    candidate = queries.run_id_param(request.args, "candidate")
    if base == candidate:
        raise BadInput("base and candidate are the same run", "pick two different runs")
    return jsonify(compare_document(store(), base, candidate))


@bp.get("/trends")
def trend() -> Response:
    host = queries.text_param(request.args, "host")
    if host is None:
        raise BadInput("parameter host is missing", "e.g. ?host=http://127.0.0.1:5000")
    limit = queries.int_param(request.args, "limit", trends.DEFAULT_RUNS, 1, trends.MAX_RUNS)
    locustfile = queries.text_param(request.args, "locustfile")
    return jsonify(trends.trends(store(), host, locustfile, limit))


@bp.get("/baselines")
def baselines() -> Response:
    return jsonify(baselines=trends.baselines(store()))


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())
