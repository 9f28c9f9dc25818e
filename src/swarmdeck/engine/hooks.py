"""Typed calls onto Locust's event hooks (``env.events.request``, ``worker_report``, ...).

Locust's ``EventHook`` is unannotated, so mypy --strict refuses calls to it from typed code;
these functions are the one place that says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from locust.event import EventHook


def listen(hook: EventHook, handler: Callable[..., object]) -> None:
    hook.add_listener(handler)  # type: ignore[no-untyped-call]  # EventHook is unannotated


def fire(hook: EventHook, *, reverse: bool = False, **kwargs: Any) -> None:
    hook.fire(reverse=reverse, **kwargs)  # type: ignore[no-untyped-call]  # unannotated
