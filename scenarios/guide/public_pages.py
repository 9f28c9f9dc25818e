from locust import HttpUser, task, between
class FlaskPublicUser(HttpUser):
    wait_time = between(1, 3)
    @task(5)
    def homepage(self):
        self.client.get("/", name="GET /")
    @task(2)
    def pricing_page(self):
        self.client.get("/pricing", name="GET /pricing")
    @task(2)
    def blog_page(self):
        self.client.get("/blog", name="GET /blog")
    @task(1)
    def health_check(self):
        self.client.get("/api/health", name="GET /api/health")
