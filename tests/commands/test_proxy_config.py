"""`masthead proxy-config nginx` as the production guide uses it: its output, put where Debian's
nginx reads site configurations, passes `nginx -t` with the nginx installed by `make test`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.commands.cli import main
from service.commands.proxy_config import CACHE_DIR
from tests.support.nginx import NGINX

DEBIAN_CONFIG = Path("/etc/nginx/nginx.conf")
# Where Debian's nginx.conf takes the files of /etc/nginx/conf.d/ into its http block.
CONF_D = "include /etc/nginx/conf.d/*.conf;"


@pytest.mark.skipif(
    os.getuid() != 0 or not DEBIAN_CONFIG.is_file(),
    reason="nginx -t with Debian's own configuration needs root, as in production",
)
def test_nginx_accepts_the_printed_configuration_as_installed(tmp_path):
    printed = CliRunner().invoke(
        main,
        ["proxy-config", "nginx"],
        env={"MASTHEAD_SITE_BASE_URL": "https://news.example", "MASTHEAD_CONFIG": "config.toml"},
    )
    assert printed.exit_code == 0, printed.output
    assert f"proxy_cache_path {CACHE_DIR} " in printed.output
    site = tmp_path / "masthead.conf"
    site.write_text(printed.output, encoding="utf-8")
    # Debian's nginx.conf as installed, reading this file as if it were in /etc/nginx/conf.d/.
    debian = DEBIAN_CONFIG.read_text(encoding="utf-8")
    assert CONF_D in debian
    config = tmp_path / "nginx.conf"
    config.write_text(debian.replace(CONF_D, f"include {site};"), encoding="utf-8")
    existed = CACHE_DIR.exists()
    try:
        checked = subprocess.run(
            [NGINX, "-t", "-c", str(config)], capture_output=True, text=True, timeout=60
        )
        created = CACHE_DIR.is_dir()
    finally:
        if not existed:
            shutil.rmtree(CACHE_DIR, ignore_errors=True)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr
    # nginx made the cache's folder itself: the guide needs no mkdir.
    assert created
