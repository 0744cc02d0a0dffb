"""Behind a caching proxy: feeds and story pages through nginx configured by `masthead
proxy-config nginx`, against Masthead answering directly and nginx serving the same bytes as
files (the site written by `masthead export-site`), on an archive of 1,000 stories, in one run.

Every server closes connections (`Connection: close`), as the static nginx has keep-alive off;
the proxy keeps its own connections to Masthead. Run: `make bench` or
`.venv/bin/python -m bench proxy`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from archive import open_archive
from bench.corpus import DOMAIN, TIMEZONE, archive_of
from bench.serving import (
    FEED,
    WORKERS,
    fetch,
    free_port,
    job,
    masthead,
    measure_rows,
    nginx_with,
    running,
    write_section,
)
from service.commands.proxy_config import nginx_config
from service.export.static_site import nginx_static_location
from service.settings import settings_from_mapping

STORIES = 1_000
HEADING = "## Behind a caching proxy"


def start_nginx(stack: ExitStack, work: Path, blocks: str, url: str) -> None:
    work.mkdir()
    config = nginx_with(work, blocks)
    command = ["nginx", "-p", str(work), "-c", str(config), "-e", str(work / "error.log")]
    stack.enter_context(running(command, url=url, log=work / "nginx.log"))


def measure(work: Path, stack: ExitStack) -> list[dict]:
    db = archive_of(STORIES)
    with open_archive(db, domain=DOMAIN, timezone=TIMEZONE) as archive:
        story = archive.latest(limit=1, offset=STORIES // 2)[0].path
    command, options = masthead(db, work)
    subprocess.run([*command, "feeds", "build"], check=True, capture_output=True, **options)
    site = work / "site"
    subprocess.run([*command, "export-site", str(site)], check=True, capture_output=True, **options)
    ports = {name: free_port() for name in ("Masthead", "proxy", "files")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    serve = [*command, "serve", "--host", "127.0.0.1", "--port", str(ports["Masthead"])]
    stack.enter_context(
        running(
            [*serve, "--workers", str(WORKERS)],
            url=urls["Masthead"] + FEED,
            log=work / "masthead.log",
            **options,
        )
    )
    settings = settings_from_mapping(
        {
            "site": {"base_url": "https://news.example"},
            "archive": {"path": str(db)},
            "server": {"host": "127.0.0.1", "port": ports["Masthead"]},
        }
    )
    proxy = nginx_config(settings, cache_dir=work / "cache")
    proxy = proxy.replace("listen 80;", f"listen 127.0.0.1:{ports['proxy']};")
    start_nginx(stack, work / "proxy", proxy, urls["proxy"] + FEED)
    files = (
        f"server {{\n  listen 127.0.0.1:{ports['files']};\n  keepalive_timeout 0;\n"
        f"{nginx_static_location(site)}}}"
    )
    start_nginx(stack, work / "files", files, urls["files"] + FEED)
    for url in urls.values():  # the proxy's cache filled before it is measured
        fetch(url + FEED)
        fetch(url + story)
    jobs = []
    for name, url in urls.items():
        jobs.append(job(name, "feed", "close", url + FEED, {}, 200))
        jobs.append(job(name, "story page", "close", url + story, {}, 200))
    return measure_rows(jobs)


def report(rows: list[dict], started_at: datetime, load: float) -> str:
    rps = {(r["server"], r["request"]): r["rps"] for r in rows}
    lines = [
        "| server | request | body bytes | req/s | p50 | p99 | errors |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['server']} | {r['request']} | {r['bytes']:,} | {r['rps']:,.0f} | "
        f"{r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms | {r['errors']} |"
        for r in rows
    ]
    lines += ["", "| request | proxy / files | proxy / Masthead |", "|---|---:|---:|"]
    for request in ("feed", "story page"):
        lines.append(
            f"| {request} | {rps[('proxy', request)] / rps[('files', request)]:.2f}× | "
            f"{rps[('proxy', request)] / rps[('Masthead', request)]:.2f}× |"
        )
    lines += [
        "",
        f"Command: `.venv/bin/python -m bench proxy` ({STORIES:,} stories; wrk, every request "
        f"with `Connection: close`; {WORKERS} Granian workers, {WORKERS} nginx workers each; "
        f"127.0.0.1). Machine: {os.cpu_count()} CPUs, load average {load:.2f} at the start; "
        f"{started_at:%Y-%m-%d %H:%M} UTC.",
    ]
    return "\n".join(lines)


def main() -> None:
    if shutil.which("nginx") is None:
        print("bench proxy needs nginx (`make bench` installs it)")
        return
    started_at, load = datetime.now(UTC), os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-proxy-") as temp, ExitStack() as stack:
        rows = measure(Path(temp), stack)
    table = report(rows, started_at, load)
    print(table)
    intro = (
        "GET /feeds/latest.atom and a story page: from `masthead serve` directly, through nginx "
        "configured by `masthead proxy-config nginx` (answered from its cache), and from nginx "
        "serving the files of `masthead export-site`."
    )
    write_section(HEADING, f"{intro}\n\n{table}")


if __name__ == "__main__":
    main()
