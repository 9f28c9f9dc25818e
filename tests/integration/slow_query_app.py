"""A Flask app with swarmdeck's Server-Timing extension and one slow statement:
``/report`` runs a statement that takes ~30 ms on PostgreSQL (``pg_sleep`` in its FROM
list, the stand-in for a scan of an unindexed table) and a cheap one. Served by Gunicorn
with ``slow_query_app:create_app()``; the database is ``SLOW_QUERY_DB``."""

from __future__ import annotations

import os

from flask import Flask
from sqlalchemy import create_engine, text

from swarmdeck.flask import ServerTiming

SLOW = ("SELECT orders.id, orders.total FROM orders, pg_sleep(0.03) "
        "WHERE orders.total > :floor ORDER BY orders.total DESC LIMIT 5")


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SWARMDECK_SERVER_TIMING"] = True
    ServerTiming(app)
    engine = create_engine(os.environ["SLOW_QUERY_DB"], pool_size=2)

    @app.get("/report")
    def report() -> dict[str, object]:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            rows = conn.execute(text(SLOW), {"floor": 10}).all()
        return {"top": [list(r) for r in rows]}

    return app
