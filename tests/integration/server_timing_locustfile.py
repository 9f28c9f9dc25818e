"""Public pages, briskly: the list pages whose queries the Server-Timing test counts."""

from locust import FastHttpUser, HttpUser, between, task


class Browser(HttpUser):
    wait_time = between(0.05, 0.15)

    @task(3)
    def home(self) -> None:
        self.client.get("/", name="GET /")

    @task(3)
    def blog(self) -> None:
        self.client.get("/blog", name="GET /blog")

    @task(1)
    def pricing(self) -> None:
        self.client.get("/pricing", name="GET /pricing")


class FastBrowser(FastHttpUser):
    """FastHttpUser's responses carry the header in geventhttpclient's own headers."""

    wait_time = between(0.05, 0.15)

    @task
    def blog(self) -> None:
        self.client.get("/blog", name="GET /blog")
