from locust import HttpUser, task, between
import random
class FlaskApiUser(HttpUser):
    wait_time = between(1, 2)
    def on_start(self):
        credentials = {
            "email": "api.loadtest@example.com",
            "password": "StrongPassword456!"
        }
        with self.client.post(
            "/api/auth/login",
            json=credentials,
            name="POST /api/auth/login",
            catch_response=True
        ) as response:
            if response.status_code == 200:
                data = response.json()
                self.token = data.get("access_token")
                if not self.token:
                    response.failure("No access token returned")
            else:
                response.failure(f"Login failed with status {response.status_code}")
        self.headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json"
        }
    @task(5)
    def list_products(self):
        self.client.get("/api/products?category=python&limit=20", headers=self.headers, name="GET /api/products")
    @task(3)
    def product_detail(self):
        product_id = random.choice([101, 102, 103, 104, 105])
        self.client.get(f"/api/products/{product_id}", headers=self.headers, name="GET /api/products/:id")
    @task(2)
    def add_to_cart(self):
        payload = {
            "product_id": random.choice([101, 102, 103, 104, 105]),
            "quantity": random.randint(1, 3)
        }
        self.client.post("/api/cart/items", json=payload, headers=self.headers, name="POST /api/cart/items")
    @task(1)
    def create_order(self):
        payload = {
            "shipping_address": {
                "full_name": "Load Test User",
                "line1": "123 Testing Lane",
                "city": "Austin",
                "state": "TX",
                "postal_code": "78701",
                "country": "US"
            },
            "payment_method": "card_token_test_visa",
            "notes": "Please leave at front desk"
        }
        self.client.post("/api/orders", json=payload, headers=self.headers, name="POST /api/orders")
