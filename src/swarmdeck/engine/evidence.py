"""On every load-generating process: the little the findings need beyond the histograms
(status codes, the target's Server header, CSRF errors, login redirects, wait times,
generator CPU). Filled in by the findings work; kept off the hot path's expensive parts."""

from __future__ import annotations

from typing import Any


class Evidence:
    def attach(self, events: Any) -> None:
        """Listen on Locust's events (request, ...)."""

    def detach(self, events: Any) -> None:
        """Stop listening."""

    def sample(self, runner: Any) -> None:
        """Once a second, from the pump: e.g. the generator's CPU."""

    def to_details(self) -> dict[str, Any]:
        """What is stored with the run (JSON-able), under the run's details."""
        return {}
