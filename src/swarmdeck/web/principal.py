"""Who is asking: the principal of a request, its role, and the role checks of views.

A principal is a user of the store (logged in with a password, or sending one of their
personal API tokens), the bootstrap identity (the SWARMDECK_DASHBOARD_TOKEN or
SWARMDECK_DASHBOARD_USER/PASSWORD settings: an admin), or, on a dashboard with neither
users nor bootstrap credentials (loopback only), an anonymous viewer.

Roles rank viewer < tester < admin: a tester may do what a viewer may, an admin what a
tester may. A view that needs more answers 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Literal, TypeVar

from flask import abort, g

from swarmdeck.store.accounts import RANK, Account

Via = Literal["session", "header", "none"]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal:
    """Also Flask-Login's user object (``get_id`` and the ``is_*`` properties)."""

    name: str
    role: str
    user_id: int | None = None  # None: the bootstrap identity or anonymous
    mark: str = ""  # the password mark the session was made with
    via: Via = "session"

    @classmethod
    def of(cls, account: Account, via: Via) -> Principal:
        return cls(account.name, account.role, account.id, account.password_mark, via)

    def may(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]

    # -- Flask-Login ---------------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_active(self) -> bool:
        return self.user_id is not None

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def get_id(self) -> str:
        return f"{self.user_id}:{self.mark}"


BOOTSTRAP_NAME = "bootstrap"
ANONYMOUS = Principal("anonymous", "viewer", via="none")


def bootstrap(via: Via) -> Principal:
    return Principal(BOOTSTRAP_NAME, "admin", via=via)


def current() -> Principal:
    """The request's principal (set by ``security.require_auth``)."""
    principal: Principal = g.get("principal", ANONYMOUS)
    return principal


def check(role: str, doing: str) -> Principal:
    """The principal, or 403 when its role ranks below ``role``."""
    principal = current()
    if not principal.may(role):
        if principal.via == "none":
            abort(403, f"{doing} needs a {role} account: create one with "
                       "`swarmdeck user add NAME --role ...` and log in")
        abort(403, f"{doing} needs the {role} role ({principal.name} is a {principal.role})")
    return principal


def requires(role: str, doing: str) -> Callable[[F], F]:
    """Decorate a view: 403 unless the principal has at least ``role``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            check(role, doing)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
