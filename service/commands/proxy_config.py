"""An nginx configuration for a caching reverse proxy in front of `masthead serve`.

Masthead says how long each answer may be kept (`Cache-Control`), how to revalidate it (`ETag`,
`Last-Modified`) and what it varies on (`Vary`); the proxy only has to honour that. So the block
below caches pages and feeds for their `max-age`, keyed by the request alone (never a cookie),
revalidates with conditional requests, answers from stale copies while Masthead is down or
being restarted, passes the reader's address in `X-Forwarded-For` (trusted by `[server]
trusted_proxies`) and never caches anything under /api/.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import click
from flask.cli import AppGroup

from service.commands.common import current_settings
from service.settings import Settings

# Default folder of the proxy's cache. nginx creates the last folder of the path itself (owned
# by its workers' user), not the ones above it, and Debian's nginx has no /var/cache/nginx
# (nginx.org's has): /var/cache is on every system.
CACHE_DIR = Path("/var/cache/masthead-nginx")
# Copies kept this long after their last use, answered stale while Masthead is unreachable.
KEEP_STALE = "7d"


def nginx_config(
    settings: Settings,
    *,
    listen: str = "80",
    upstream: str | None = None,
    cache_dir: Path = CACHE_DIR,
) -> str:
    """The `http`-level nginx configuration (a file for /etc/nginx/conf.d/) for this site."""
    server_name = urlsplit(settings.site.base_url).hostname or "_"
    upstream = upstream or f"{settings.server.host}:{settings.server.port}"
    return f"""# Masthead behind nginx, for {settings.site.base_url}: `masthead proxy-config nginx`
# TLS: add `listen 443 ssl;` with ssl_certificate and ssl_certificate_key (e.g. from certbot).
proxy_cache_path {cache_dir} levels=1:2 keys_zone=masthead:10m max_size=1g
                 inactive={KEEP_STALE} use_temp_path=off;

upstream masthead {{
    server {upstream};
    keepalive 16;
}}

server {{
    listen {listen};
    server_name {server_name};
    # Story bodies arrive through the write API; Masthead refuses larger ones itself.
    client_max_body_size 12m;

    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;

    location / {{
        proxy_pass http://masthead;
        proxy_cache masthead;
        # The request alone: never a cookie (Masthead sets none), so every reader shares a copy.
        proxy_cache_key $scheme$host$request_uri;
        proxy_ignore_headers Set-Cookie;
        # After max-age, ask with If-None-Match / If-Modified-Since: a 304 renews the copy.
        proxy_cache_revalidate on;
        # One request fetches a missing copy; the rest wait for it.
        proxy_cache_lock on;
        # Masthead down or restarting: answer the last good copy.
        proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;
        proxy_cache_background_update on;
        add_header X-Cache-Status $upstream_cache_status always;
    }}

    location /api/ {{
        # Writes and tokens: never cached, never answered from a copy.
        proxy_pass http://masthead;
        proxy_no_cache 1;
        proxy_cache_bypass 1;
    }}
}}
"""


@click.group("proxy-config", cls=AppGroup)
def proxy_config_group() -> None:
    """Print the configuration of a caching reverse proxy in front of Masthead."""


@proxy_config_group.command("nginx")
@click.option("--listen", default="80", show_default=True, help="nginx `listen` value.")
@click.option("--upstream", help="Where Masthead listens (default: [server] host:port).")
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of the proxy's cache (default: /var/cache/masthead-nginx).",
)
def proxy_config_nginx_command(listen: str, upstream: str | None, cache_dir: Path | None) -> None:
    """An nginx site (for /etc/nginx/conf.d/) caching feeds and pages, never /api/.

    Example: masthead proxy-config nginx > /etc/nginx/conf.d/masthead.conf
    """
    click.echo(
        nginx_config(
            current_settings(), listen=listen, upstream=upstream, cache_dir=cache_dir or CACHE_DIR
        ),
        nl=False,
    )
