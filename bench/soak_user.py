"""The soak benchmark's script: FastHttpUsers at a constant throughput each (SOAK_USER_RPS
requests/s, set by bench/soak.py), one small static page."""

import os

from locust import FastHttpUser, constant_throughput, task


class SteadyUser(FastHttpUser):
    wait_time = constant_throughput(float(os.environ.get("SOAK_USER_RPS", "50")))

    @task
    def index(self):
        self.client.get("/")
