"""A fast local target for generator benchmarks: Debian's nginx serving one small page,
pinned to one core (``taskset``), on 127.0.0.1 and a free port. Install: apt-get install
nginx-light."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
worker_rlimit_nofile 20000;
events {{ worker_connections 16384; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        location / {{ root {tmp}/www;{extra} }}
        location = /nginx_status {{ stub_status; }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class NginxTarget:
    def __init__(self, cpu: int = 0, headers: dict[str, str] | None = None) -> None:
        """``headers``: added to every response (``add_header NAME 'VALUE' always``;
        values without single quotes or ``$``)."""
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise SystemExit("bench: nginx is not installed; run: apt-get install nginx-light")
        self.nginx = nginx
        self.cpu = cpu
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        for name, value in (headers or {}).items():
            if "'" in value or "$" in value or not name.replace("-", "").isalnum():
                raise ValueError(f"bench: cannot add the header {name}: {value!r}")
        self.extra = "".join(f" add_header {name} '{value}' always;"
                             for name, value in (headers or {}).items())

    def __enter__(self) -> Self:
        self.tmp.chmod(0o755)  # nginx's workers run as nobody: they must read the page
        (self.tmp / "www").mkdir()
        (self.tmp / "www" / "index.html").write_text("<html><body>ok</body></html>\n")
        conf = self.tmp / "nginx.conf"
        conf.write_text(CONF.format(tmp=self.tmp, port=self.port, extra=self.extra))
        self.process = subprocess.Popen(["taskset", "-c", str(self.cpu), self.nginx, "-c",
                                         str(conf), "-p", str(self.tmp)])
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"bench: nginx did not start; see {self.tmp / 'error.log'}")

    def served(self) -> int:
        """Requests nginx has answered so far (its stub_status counter, this probe included:
        the same for every side measured)."""
        import urllib.request

        with urllib.request.urlopen(f"{self.url}/nginx_status", timeout=2) as response:
            lines = response.read().decode().splitlines()
        return int(lines[2].split()[2])  # "accepts handled requests" -> requests

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.tmp, ignore_errors=True)
