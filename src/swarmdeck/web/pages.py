"""The HTML pages: runs list, run, compare, trends. Server-rendered shells (autoescaped);
the charts and tables are drawn by the report's own script from the /api/ documents."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for

from swarmdeck.errors import BadInput
from swarmdeck.store.records import RUN_STATUSES
from swarmdeck.web import queries, trends
from swarmdeck.web.api import store
from swarmdeck.web.launcher import launcher

bp = Blueprint("pages", __name__)
PICK_RUNS = 200  # runs offered in the compare page's selects


@bp.get("/")
def runs() -> str:
    filters = queries.run_filters(request.args)
    rows = store().list_runs(filters.per_page + 1, offset=(filters.page - 1) * filters.per_page,
                             **filters.store_kwargs())
    more = len(rows) > filters.per_page
    previous = _link(filters.query(page=filters.page - 1)) if filters.page > 1 else None
    following = _link(filters.query(page=filters.page + 1)) if more else None
    return render_template("runs.html", rows=rows[:filters.per_page], filters=filters,
                           statuses=RUN_STATUSES, previous=previous, following=following,
                           hosts=trends.hosts(store()))


def _link(params: dict[str, Any]) -> str:
    return url_for("pages.runs", **params)


@bp.get("/runs/<run:run_id>")
def run(run_id: int) -> str:
    record = store().get_run(run_id)
    return render_template("run.html", run=record, launch=launcher().launches.of_run(run_id))


@bp.get("/compare")
def compare() -> str:
    base = candidate = None
    if request.args.get("base") or request.args.get("candidate"):
        base = queries.run_id_param(request.args, "base")
        candidate = queries.run_id_param(request.args, "candidate")
        if base == candidate:
            raise BadInput("base and candidate are the same run", "pick two different runs")
        store().get_run(base)
        store().get_run(candidate)
    return render_template("compare.html", rows=store().list_runs(PICK_RUNS), base=base,
                           candidate=candidate)


@bp.get("/trends")
def trend() -> str:
    host = queries.text_param(request.args, "host")
    locustfile = queries.text_param(request.args, "locustfile")
    known = trends.hosts(store())
    if host is None and known:
        host = known[0]
    return render_template("trends.html", host=host, locustfile=locustfile, hosts=known)
