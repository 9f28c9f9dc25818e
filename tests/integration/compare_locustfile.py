"""Load for the comparison tests: shopfront's four planted bottlenecks and a control route.

The admin logs in once (the monthly report is for administrators), then every task runs
in turn with a short wait, so each endpoint gets a few hundred requests in 12 s.
"""

import re

from locust import HttpUser, constant, task
from locust.exception import StopUser

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class PlantedRoutesUser(HttpUser):
    wait_time = constant(0.02)

    def on_start(self):
        page = self.client.get("/login", name="/login")
        match = CSRF.search(page.text)
        if match is None:
            raise StopUser("no csrf_token on /login")
        with self.client.post("/login", name="/login", catch_response=True, data={
                "email": "admin.loadtest@example.com", "password": "AdminPass789!",
                "csrf_token": match.group(1)}) as response:
            if "Dashboard" not in response.text:
                response.failure(f"admin login failed: HTTP {response.status_code}")
                raise StopUser()

    @task
    def home(self):
        self.client.get("/", name="/")

    @task
    def blog(self):
        self.client.get("/blog", name="/blog")

    @task
    def category(self):
        self.client.get("/api/products?category=python", name="/api/products?category")

    @task
    def monthly_report(self):
        self.client.get("/reports/monthly-summary?month=2025-01&format=json",
                        name="/reports/monthly-summary")

    @task
    def control(self):
        self.client.get("/pricing", name="/pricing")
