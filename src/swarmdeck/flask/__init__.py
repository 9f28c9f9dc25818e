"""swarmdeck's Flask extension: every response says where its time went, in a W3C
``Server-Timing`` header that ``swarmdeck run`` reads (docs/flask.md, docs/server-timing.md).

    from swarmdeck.flask import ServerTiming
    ServerTiming(app)    # on with SWARMDECK_SERVER_TIMING=1 (or app.config)

It imports Flask and SQLAlchemy only: never Locust or gevent.
"""

from __future__ import annotations

from swarmdeck.flask.extension import ServerTiming

__all__ = ["ServerTiming"]
