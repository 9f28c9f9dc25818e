"""The guide's JWT API user, corrected: one account (so one cart) per simulated user, a cart
filled before every checkout, and a fresh token when the old one expires."""

import random
import time

from locust import HttpUser, between, task
from locust.exception import StopUser

from common import SHIPPING_ADDRESS, api_account

PRODUCT_IDS = [101, 102, 103, 104, 105]
TOKEN_REFRESH_S = 600  # shopfront's access tokens live 900 s: renew well before that


class FlaskApiUser(HttpUser):
    wait_time = between(1, 2)
    weight = 3

    def on_start(self):
        self.email, self.password = api_account(self)
        self.cart_items = 0
        self.login()
        if not self.headers:
            raise StopUser()

    def login(self):
        with self.client.post("/api/auth/login", json={"email": self.email, "password": self.password},
                              name="POST /api/auth/login", catch_response=True) as response:
            token = response.json().get("access_token") if response.status_code == 200 else None
            if not token:
                response.failure(f"login as {self.email} failed: HTTP {response.status_code}")
                self.headers = {}
                return
            self.headers = {"Authorization": f"Bearer {token}"}
            self.token_at = time.monotonic()

    def call(self, method, path, name, **kwargs):
        """One request with a token that has not expired: renewed as a real client would."""
        if not self.headers or time.monotonic() - self.token_at > TOKEN_REFRESH_S:
            self.login()
        return self.client.request(method, path, name=name, headers=self.headers, **kwargs)

    @task(5)
    def list_products(self):
        self.call("GET", "/api/products?category=python&limit=20", "GET /api/products")

    @task(3)
    def product_detail(self):
        product_id = random.choice(PRODUCT_IDS)
        self.call("GET", f"/api/products/{product_id}", "GET /api/products/:id")

    @task(2)
    def add_to_cart(self):
        self._add_item()

    @task(1)
    def create_order(self):
        if self.cart_items == 0:  # the guide's script orders an empty cart: a 409, not a test
            self._add_item()
        payload = {"shipping_address": SHIPPING_ADDRESS, "payment_method": "card_token_test_visa",
                   "notes": "Please leave at front desk"}
        response = self.call("POST", "/api/orders", "POST /api/orders", json=payload)
        if response.status_code == 201:
            self.cart_items = 0

    def _add_item(self):
        payload = {"product_id": random.choice(PRODUCT_IDS), "quantity": random.randint(1, 3)}
        response = self.call("POST", "/api/cart/items", "POST /api/cart/items", json=payload)
        if response.status_code == 201:
            self.cart_items += payload["quantity"]
