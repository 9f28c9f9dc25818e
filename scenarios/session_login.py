"""The guide's logged-in user, corrected: CSRF-aware login that stops the user if it fails,
and pages that count as failures if the session was lost (a redirect to /login)."""

from locust import HttpUser, between, task

from common import SESSION_USER, session_login


class FlaskAuthenticatedUser(HttpUser):
    wait_time = between(2, 5)
    weight = 2

    def on_start(self):
        session_login(self, *SESSION_USER)

    def _get(self, path: str, must_contain: str | None = None) -> None:
        with self.client.get(path, name=f"GET {path}", allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code in (301, 302, 401):
                response.failure(f"session lost: {path} answered {response.status_code}")
            elif response.status_code == 200 and must_contain and must_contain not in response.text:
                response.failure(f"{path} did not contain {must_contain!r}")

    @task(4)
    def dashboard(self):
        self._get("/dashboard", "Dashboard")

    @task(2)
    def account_settings(self):
        self._get("/account/settings", "Account settings")

    @task(1)
    def notifications(self):
        self._get("/api/notifications", "unread")
