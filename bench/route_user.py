"""Locust user for bench/profiles.py: hammers one route (BENCH_PATH), no think time.

Logs in first when the route needs a session (BENCH_LOGIN=admin) or a token (=api).
"""

import os
import re

from locust import FastHttpUser, task
from locust.exception import StopUser

PATH = os.environ["BENCH_PATH"]
LOGIN = os.environ.get("BENCH_LOGIN", "")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class RouteUser(FastHttpUser):
    def on_start(self):
        self.headers = {}
        if LOGIN == "admin":
            token = CSRF.search(self.client.get("/login").text).group(1)
            response = self.client.post("/login", data={
                "email": "admin.loadtest@example.com", "password": "AdminPass789!",
                "csrf_token": token})
            if "Dashboard" not in response.text:
                raise StopUser()
        elif LOGIN == "api":
            response = self.client.post("/api/auth/login", json={
                "email": "api.loadtest@example.com", "password": "StrongPassword456!"})
            self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}

    @task
    def route(self):
        self.client.get(PATH, name="route", headers=self.headers)
