"""What every corrected shopfront scenario needs: CSRF tokens, logins that fail loudly,
and one API account per simulated user (a shared account means a shared cart)."""

from __future__ import annotations

import itertools
import re

from locust import User
from locust.exception import StopUser

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')

SESSION_USER = ("loadtest.user@example.com", "SuperSecurePass123!")
ADMIN_USER = ("admin.loadtest@example.com", "AdminPass789!")
API_PASSWORD = "StrongPassword456!"
API_POOL_SIZE = 500  # shopfront seeds api.loadtest+1 ... +500@example.com
SHIPPING_ADDRESS = {
    "full_name": "Load Test User", "line1": "123 Testing Lane", "city": "Austin",
    "state": "TX", "postal_code": "78701", "country": "US",
}

_next_account = itertools.count()


def api_account(user: User) -> tuple[str, str]:
    """A distinct pool account for each simulated user of this process (and worker)."""
    worker = getattr(user.environment.runner, "worker_index", 0) or 0
    n = (worker * 97 + next(_next_account)) % API_POOL_SIZE + 1
    return f"api.loadtest+{n}@example.com", API_PASSWORD


def find_csrf(html: str) -> str | None:
    match = CSRF_INPUT.search(html) or CSRF_META.search(html)
    return match.group(1) if match else None


def session_login(user: User, email: str, password: str) -> str:
    """Log in through the form with its CSRF token; returns a CSRF token for later requests.

    A failed login stops this simulated user: measuring an anonymous user's redirects as if
    they were the dashboard would make the whole test invalid.
    """
    client = user.client  # type: ignore[attr-defined]
    page = client.get("/login", name="GET /login")
    token = find_csrf(page.text)
    if token is None:
        raise StopUser("no csrf_token on /login")
    with client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                     name="POST /login", catch_response=True) as response:
        if response.status_code != 200 or "Dashboard" not in response.text:
            response.failure(f"login as {email} failed: HTTP {response.status_code}")
            raise StopUser()
        return find_csrf(response.text) or token
