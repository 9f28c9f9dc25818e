"""Typed calls onto Locust's event hooks (``env.events.request``, ``worker_report``, ...).

Locust's ``EventHook`` is unannotated; these typed wrappers give the engine's calls onto it
checked signatures (pyproject's ``untyped_calls_exclude`` lets mypy --strict accept them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from locust.event import EventHook


def listen(hook: EventHook, handler: Callable[..., object]) -> None:
    hook.add_listener(handler)


def fire(hook: EventHook, *, reverse: bool = False, **kwargs: Any) -> None:
    hook.fire(reverse=reverse, **kwargs)
