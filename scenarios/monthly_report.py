"""The guide's admin user asking for the monthly report only (the demo's heavy endpoint):
the corrected CSRF-aware login once, then the January report, checked for content, every
half second."""

from locust import HttpUser, constant, task

from common import ADMIN_USER, session_login
from file_workflow import monthly_report


class MonthlyReportUser(HttpUser):
    wait_time = constant(0.5)

    def on_start(self):
        session_login(self, *ADMIN_USER)

    @task
    def report(self):
        monthly_report(self)
