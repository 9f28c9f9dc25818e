"""The generator benchmark's script: one FastHttpUser, no think time, one small static page."""

from locust import FastHttpUser, task


class FastUser(FastHttpUser):
    @task
    def index(self):
        self.client.get("/")
