"""bench/open_executor.py's closed model paced to a rate: bench/fast_user.py's FastHttpUser
with Locust's ``constant_throughput`` of PACED_PER_USER requests/s per user (the rate over
the users), so that plain Locust sends at the open model's rate, on Locust's own timers."""

import os

from locust import FastHttpUser, constant_throughput, task


class FastUser(FastHttpUser):
    wait_time = constant_throughput(float(os.environ.get("PACED_PER_USER", "1")))

    @task
    def index(self):
        self.client.get("/")
