"""Starting runs from the server, the platform's core apart from Flask and the database:
checking an uploaded locustfile without running it, a saved test's settings, starting and
stopping a run's process, and the permitted targets. The web app uses it."""

from __future__ import annotations
