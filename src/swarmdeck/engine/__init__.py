"""Running Locust: loading locustfiles, recording, collecting, and the run lifecycle.

Importing this package imports Locust, which monkey-patches the process with gevent: only
the ``run`` and ``worker`` commands import it; ``runs``, ``show`` and the dashboard never do.
"""
