"""The guide's admin user, corrected: CSRF-aware login, the token sent with the upload form
and in the X-CSRFToken header of the JSON import, and the report checked for content."""

import json
from io import BytesIO

from locust import HttpUser, between, task

from common import ADMIN_USER, session_login

INVOICES = (b"Invoice ID,Customer,Amount,Date\n1001,Acme Corp,1499.00,2025-01-10\n"
            b"1002,Globex,799.00,2025-01-11\n")


def monthly_report(user):
    """The January report, checked for content (also scenarios/monthly_report.py's task)."""
    with user.client.get("/reports/monthly-summary?month=2025-01&format=json",
                         name="GET /reports/monthly-summary", catch_response=True) as response:
        if response.status_code == 200 and response.json().get("orders", 0) <= 0:
            response.failure("the January 2025 report has no orders")


class FlaskFileWorkflowUser(HttpUser):
    wait_time = between(3, 6)
    weight = 1

    def on_start(self):
        self.csrf_token = session_login(self, *ADMIN_USER)

    @task(2)
    def upload_document(self):
        files = {"file": ("invoices.csv", BytesIO(INVOICES), "text/csv")}
        data = {"document_type": "invoice_batch", "notify_on_completion": "true",
                "csrf_token": self.csrf_token}
        with self.client.post("/documents/upload", files=files, data=data,
                              name="POST /documents/upload", catch_response=True) as response:
            if response.status_code == 201 and response.json().get("rows") != 2:
                response.failure(f"expected 2 rows parsed, got {response.text[:200]}")

    @task(1)
    def monthly_report(self):
        monthly_report(self)

    @task(1)
    def import_customers(self):
        payload = {
            "source": "crm_sync",
            "customers": [
                {"external_id": "crm_10001", "name": "Acme Corporation",
                 "email": "ops@acme.example", "plan": "enterprise"},
                {"external_id": "crm_10002", "name": "Globex Inc",
                 "email": "it@globex.example", "plan": "pro"},
            ],
        }
        self.client.post("/api/import/customers", data=json.dumps(payload),
                         headers={"Content-Type": "application/json",
                                  "X-CSRFToken": self.csrf_token},
                         name="POST /api/import/customers")
