from locust import HttpUser, task, between
class FlaskAuthenticatedUser(HttpUser):
    wait_time = between(2, 5)
    def on_start(self):
        login_page = self.client.get("/login", name="GET /login")
        csrf_token = None
        if 'name="csrf_token"' in login_page.text:
            marker = 'name="csrf_token" value="'
            start = login_page.text.find(marker)
            if start != -1:
                start += len(marker)
                end = login_page.text.find('"', start)
                csrf_token = login_page.text[start:end]
        login_data = {
            "email": "loadtest.user@example.com",
            "password": "SuperSecurePass123!"
        }
        if csrf_token:
            login_data["csrf_token"] = csrf_token
        with self.client.post(
            "/login",
            data=login_data,
            name="POST /login",
            allow_redirects=True,
            catch_response=True
        ) as response:
            if response.status_code != 200 or "Dashboard" not in response.text:
                response.failure("Login failed")
    @task(4)
    def dashboard(self):
        self.client.get("/dashboard", name="GET /dashboard")
    @task(2)
    def account_settings(self):
        self.client.get("/account/settings", name="GET /account/settings")
    @task(1)
    def notifications(self):
        self.client.get("/api/notifications", name="GET /api/notifications")
