from locust import HttpUser, task, between
from io import BytesIO
import json
class FlaskFileWorkflowUser(HttpUser):
    wait_time = between(3, 6)
    def on_start(self):
        login_data = {
            "email": "admin.loadtest@example.com",
            "password": "AdminPass789!"
        }
        self.client.post("/login", data=login_data, name="POST /login")
    @task(2)
    def upload_document(self):
        file_content = BytesIO(
            b"Invoice ID,Customer,Amount,Date\n1001,Acme Corp,1499.00,2025-01-10\n1002,Globex,799.00,2025-01-11\n"
        )
        files = {
            "file": ("invoices.csv", file_content, "text/csv")
        }
        data = {
            "document_type": "invoice_batch",
            "notify_on_completion": "true"
        }
        self.client.post("/documents/upload", files=files, data=data, name="POST /documents/upload")
    @task(1)
    def monthly_report(self):
        self.client.get(
            "/reports/monthly-summary?month=2025-01&format=json",
            name="GET /reports/monthly-summary"
        )
    @task(1)
    def import_customers(self):
        payload = {
            "source": "crm_sync",
            "customers": [
                {
                    "external_id": "crm_10001",
                    "name": "Acme Corporation",
                    "email": "ops@acme.example",
                    "plan": "enterprise"
                },
                {
                    "external_id": "crm_10002",
                    "name": "Globex Inc",
                    "email": "it@globex.example",
                    "plan": "pro"
                }
            ]
        }
        self.client.post(
            "/api/import/customers",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
            name="POST /api/import/customers"
        )
