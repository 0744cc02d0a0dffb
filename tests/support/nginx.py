"""Debian's nginx on 127.0.0.1 and a free port, with its own prefix in the test's temp dir."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from tests.support.live import free_port, wait_until_answering

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


class Nginx:
    """nginx on 127.0.0.1 and a free port, with `http_config` inside its http block."""

    def __init__(self, tmp_path: Path, http_config: str):
        self.prefix = tmp_path / "nginx"
        self.prefix.mkdir()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        http_config = http_config.replace("listen 80;", f"listen 127.0.0.1:{self.port};")
        user = "user root;" if os.getuid() == 0 else ""
        temp = {name: self.prefix / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
        (self.prefix / "nginx.conf").write_text(
            f"""{user}
daemon off;
worker_processes 1;
pid {self.prefix}/nginx.pid;
error_log {self.prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {self.prefix}/access.log;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
{http_config}
}}
"""
        )
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Nginx:
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf"), "-e", "stderr"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        wait_until_answering(self.url + "/robots.txt", self.process, seconds=10, name="nginx")
        return self

    def __exit__(self, *_exc) -> None:
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()
