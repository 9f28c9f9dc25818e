"""The guide's public-pages user, with each response checked for the content it must show."""

from locust import HttpUser, between, task


class FlaskPublicUser(HttpUser):
    wait_time = between(1, 3)
    weight = 4

    def _page(self, path: str, must_contain: str) -> None:
        with self.client.get(path, name=f"GET {path}", catch_response=True) as response:
            if response.status_code == 200 and must_contain not in response.text:
                response.failure(f"{path} did not contain {must_contain!r}")

    @task(5)
    def homepage(self):
        self._page("/", "Featured products")

    @task(2)
    def pricing_page(self):
        self._page("/pricing", "Pricing")

    @task(2)
    def blog_page(self):
        self._page("/blog", "comments")

    @task(1)
    def health_check(self):
        with self.client.get("/api/health", name="GET /api/health",
                             catch_response=True) as response:
            if response.status_code == 200 and response.json().get("status") != "ok":
                response.failure(f"unhealthy: {response.text[:200]}")
