"""Memory benchmark: thousands of ordinary HttpUsers with the guide's think time."""

from locust import HttpUser, between, task


class ThinkingUser(HttpUser):
    wait_time = between(1, 3)

    @task
    def index(self):
        self.client.get("/")
