"""Serving feeds under load on loopback, in archives of 1,000 and 100,000 stories, in one run.

Masthead (`masthead serve`: Granian, 2 workers) answers feeds from stored bytes. The baseline is
what most tutorials do: a Flask view that builds the feed with feedgen on every request (its 304
builds the feed, then compares ETags with Werkzeug's make_conditional), under the same Granian
settings and the same access log. nginx serves the same feed bytes as a static file with
keep-alive off: the practical limit for a poll that opens a new connection.

Targets: Masthead at least 20x the baseline on 200 feeds and on 304s; at least half of nginx
without keep-alive, Masthead served as clients meet it (wrk, feed readers and browsers keep
their connection open). Masthead closing every connection too is reported beside it.
Run: `make bench` (installs Debian's wrk and nginx), or `.venv/bin/python -m bench serving`.
Without wrk a small Python driver (http.client, threads) measures instead.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from archive import open_archive
from bench.corpus import DOMAIN, TIMEZONE, archive_of
from service.settings import ServerSettings
from service.wsgi.accesslog import AccessLog

SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "1000,100000").split(","))
SECONDS = 5  # length of one measurement
ROUNDS = 3  # every row is measured this many times, interleaved with the others; medians kept
THREADS, CONNECTIONS = 2, 16  # wrk's threads and open connections
WORKERS = 2  # server workers for Masthead and the baseline, nginx worker processes
READY_SECONDS = 600  # longest wait for a server to answer (Masthead builds every feed first)
BASE_URL = "https://news.example"
FEED = "/feeds/latest.atom"
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Serving feeds"
CLOSE = {"Connection": "close"}
# wrk prints its own summary; this prints the figures we keep, on one line, in microseconds.
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


# The baseline: a feed built on every request ------------------------------------------------


def baseline_app():
    """The tutorial feed: open the database, query, build with feedgen, send; on every request."""
    from feedgen.feed import FeedGenerator
    from flask import Flask, Response, request

    path = os.environ["BENCH_ARCHIVE"]
    app = Flask(__name__)
    logged = AccessLog(app)

    @app.get(FEED)
    def latest_atom():
        with open_archive(path, domain=DOMAIN, timezone=TIMEZONE) as archive:
            stories = archive.latest(limit=50)
        feed = FeedGenerator()
        feed.id(f"{BASE_URL}/")
        feed.title("News")
        feed.link(href=f"{BASE_URL}/", rel="alternate")
        feed.link(href=f"{BASE_URL}{FEED}", rel="self")
        # Without it feedgen stamps the current time, and no ETag would ever match.
        feed.updated(max(story.updated_at for story in stories))
        for story in stories:
            entry = feed.add_entry(order="append")
            entry.id(story.entry_id)
            entry.title(story.title)
            entry.link(href=f"{BASE_URL}{story.path}")
            entry.published(story.published_at)
            entry.updated(story.updated_at)
            entry.summary(story.summary or story.dek)
            entry.content(story.body_html, type="html")
            for author in story.authors:
                entry.author(name=author.name)
        response = Response(feed.atom_str(pretty=True), mimetype="application/atom+xml")
        response.set_etag(hashlib.sha256(response.get_data()).hexdigest())
        return response.make_conditional(request)

    return logged


def memory_app():
    """The ceiling of a Flask view: the same feed bytes held in memory, no archive."""
    from flask import Flask, Response, request

    body = Path(os.environ["BENCH_FEED"]).read_bytes()
    etag = hashlib.sha256(body).hexdigest()
    app = Flask(__name__)

    @app.get(FEED)
    def latest_atom():
        response = Response(body, mimetype="application/atom+xml")
        response.set_etag(etag)
        return response.make_conditional(request)

    return AccessLog(app)


def uncached_app():
    """Masthead's own pages rendered on every request: its app without the page cache (the
    Flask app under the feed layer and the page layer), the per-request Flask baseline."""
    from flask import Flask

    from service import create_app

    app = create_app()
    return AccessLog(partial(Flask.wsgi_app, app))  # Flask's own entry, before the pipeline


# Servers, each stopped in a finally block --------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, headers: dict | None = None) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", parts.path, headers=headers or {})
        response = connection.getresponse()
        response.body = response.read()
        return response
    finally:
        connection.close()


@contextmanager
def running(command: list[str], *, url: str, log: Path, **popen):
    """A server process, up once `url` answers, stopped (and waited for) on the way out."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **popen)
    try:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited {process.returncode}: {log.read_text()}")
            try:
                fetch(url)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} did not answer in {READY_SECONDS} s") from None
                time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def masthead(db: Path, work: Path) -> tuple[list[str], dict]:
    config = work / "config.toml"
    config.write_text(
        f'[site]\nbase_url = "{BASE_URL}"\ntimezone = "{TIMEZONE}"\n'
        f'[archive]\npath = "{db}"\ndemo = false\n'
        # Every request comes from 127.0.0.1: no per-client limit, or the load would be 429s.
        "[http]\nrate_limit_per_minute = 0\n"
    )
    env = {**os.environ, "MASTHEAD_CONFIG": str(config)}
    return [str(BIN / "masthead")], {"cwd": work, "env": env}


def granian(app: str, port: int, env: dict) -> tuple[list[str], dict]:
    """One of this module's apps under the Granian settings of `masthead serve`."""
    server = ServerSettings()
    command = [str(BIN / "granian"), "--interface", "wsgi", "--factory", "--no-access-log"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS)]
    command += ["--blocking-threads", str(server.threads), f"bench.serving:{app}"]
    return command, {"cwd": ROOT, "env": {**os.environ, **env}}


def nginx_with(work: Path, http: str) -> Path:
    """An nginx configuration in `work` (pid, logs, temp files all there) whose http block
    holds `http`: the servers, and any setting they share."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the private temp dir
    temps = "".join(
        f"  {kind}_temp_path {work}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = work / "nginx.conf"
    config.write_text(
        f"{user}daemon off;\nworker_processes {WORKERS};\npid {work}/nginx.pid;\n"
        f"error_log {work}/nginx-error.log;\nevents {{ worker_connections 1024; }}\n"
        f"http {{\n  access_log {work}/nginx-access.log;\n{temps}{http}\n}}\n"
    )
    return config


def nginx_config(work: Path, port: int) -> Path:
    """A static server of `work`/www with keep-alive off."""
    return nginx_with(
        work,
        "  keepalive_timeout 0;\n"
        "  types { application/atom+xml atom; text/html html; }\n  charset utf-8;\n"
        "  charset_types application/atom+xml text/html;\n"
        f"  server {{ listen 127.0.0.1:{port}; root {work}/www; }}",
    )


# Load ---------------------------------------------------------------------------------------


def measure(url: str, headers: dict | None = None) -> dict:
    """Requests/s and p50/p99 latency (ms) of GET `url` for SECONDS, with wrk or in Python."""
    headers = headers or {}
    if shutil.which("wrk") is None:
        return drive(url, headers)
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_REPORT)
        script.flush()
        command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "-s", script.name]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        output = subprocess.run(
            [*command, url], capture_output=True, text=True, check=True, timeout=SECONDS * 6
        ).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    requests, duration_us, p50_us, p99_us, errors = map(int, line.split()[1:])
    return {
        "rps": requests / (duration_us / 1e6),
        "p50_ms": p50_us / 1000,
        "p99_ms": p99_us / 1000,
        "errors": errors,
    }


def drive(url: str, headers: dict) -> dict:
    """The fallback load: CONNECTIONS threads, each a loop of http.client requests."""
    parts = urlsplit(url)
    deadline = time.perf_counter() + SECONDS
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client() -> None:
        mine, failed, connection = [], 0, None
        while time.perf_counter() < deadline:
            connection = connection or http.client.HTTPConnection(parts.hostname, parts.port)
            started = time.perf_counter()
            try:
                connection.request("GET", parts.path, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = None
                continue
            mine.append(time.perf_counter() - started)
            failed += response.status >= 400
            if response.will_close:
                connection.close()
                connection = None
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.perf_counter()
    clients = [threading.Thread(target=client) for _ in range(CONNECTIONS)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "rps": len(latencies) / (time.perf_counter() - started),
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
        "errors": errors[0],
    }


def check(url: str, headers: dict, status: int) -> int:
    """The response the load will get, checked once; returns its body's size."""
    response = fetch(url, headers)
    if response.status != status:
        raise RuntimeError(f"GET {url} {headers}: {response.status}, expected {status}")
    return len(response.body)


def measure_rows(jobs: list[dict]) -> list[dict]:
    """Every job measured ROUNDS times, round-robin, so a change in the machine's load hits
    every row alike; each row keeps its medians."""
    for job in jobs:
        job["bytes"] = check(job["target"], job["headers"], job["status"])
    results: dict[int, list[dict]] = {n: [] for n in range(len(jobs))}
    for _ in range(ROUNDS):
        for n, job in enumerate(jobs):
            results[n].append(measure(job["target"], job["headers"]))
    rows = []
    for n, job in enumerate(jobs):
        rounds = results[n]
        row = {key: value for key, value in job.items() if key not in ("target", "headers")}
        for key in ("rps", "p50_ms", "p99_ms"):
            row[key] = statistics.median(result[key] for result in rounds)
        row["errors"] = sum(result["errors"] for result in rounds)
        rows.append(row)
        print(
            f"  {row['server']:<9} {row['request']:<11} {row['connection']:<10} "
            f"{row['rps']:>9.0f} req/s  p50 {row['p50_ms']:.2f} ms  "
            f"p99 {row['p99_ms']:.2f} ms  errors {row['errors']}",
            flush=True,
        )
    return rows


def job(server: str, request: str, connection: str, url: str, headers: dict, status: int):
    extra = CLOSE if connection == "close" else {}
    return {
        "server": server,
        "request": request,
        "connection": connection,
        "status": status,
        "target": url,
        "headers": {**headers, **extra},
    }


# One archive --------------------------------------------------------------------------------


def measure_archive(total: int, work: Path, stack: ExitStack) -> list[dict]:
    """Start every server over this archive (all stay up), then measure them in rounds."""
    db = archive_of(total)
    with open_archive(db, domain=DOMAIN, timezone=TIMEZONE) as archive:
        story_path = archive.latest(limit=1, offset=total // 2)[0].path
    command, options = masthead(db, work)
    started = time.perf_counter()
    subprocess.run([*command, "feeds", "build"], check=True, capture_output=True, **options)
    print(f"{total:,} stories: feeds built in {time.perf_counter() - started:.1f} s", flush=True)
    ports = {name: free_port() for name in SERVERS}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    serve = [*command, "serve", "--host", "127.0.0.1", "--port", str(ports["Masthead"])]
    serve += ["--workers", str(WORKERS)]
    stack.enter_context(
        running(serve, url=urls["Masthead"] + FEED, log=work / "masthead.log", **options)
    )
    feed = fetch(urls["Masthead"] + FEED)
    (work / "www" / "feeds").mkdir(parents=True)
    (work / "www" / "feeds" / "latest.atom").write_bytes(feed.body)
    page = work / "www" / story_path.strip("/") / "index.html"
    page.parent.mkdir(parents=True)
    page.write_bytes(fetch(urls["Masthead"] + story_path).body)
    for name, app, env in (
        ("baseline", "baseline_app", {"BENCH_ARCHIVE": str(db)}),
        ("Flask", "memory_app", {"BENCH_FEED": str(work / "www" / "feeds" / "latest.atom")}),
        ("uncached", "uncached_app", options["env"]),
    ):
        if name not in SERVERS:
            continue
        command, options = granian(app, ports[name], env)
        stack.enter_context(
            running(command, url=urls[name] + FEED, log=work / f"{name}.log", **options)
        )
    if "nginx" in SERVERS and shutil.which("nginx") is None:
        print("  nginx is not installed: no static comparison (`make bench` installs it)")
        del urls["nginx"]
    elif "nginx" in SERVERS:
        config = nginx_config(work, ports["nginx"])
        nginx = ["nginx", "-p", str(work), "-c", str(config), "-e", str(work / "nginx-error.log")]
        stack.enter_context(running(nginx, url=urls["nginx"] + FEED, log=work / "nginx.log"))
    jobs = []
    for name, url in urls.items():
        etag = {"If-None-Match": fetch(url + FEED).getheader("ETag")}
        for connection in SERVERS[name]:
            if name != "uncached":
                jobs.append(job(name, "feed", connection, url + FEED, {}, 200))
                jobs.append(job(name, "feed 304", connection, url + FEED, etag, 304))
            if name in ("Masthead", "nginx", "uncached"):
                jobs.append(job(name, "story page", connection, url + story_path, {}, 200))
    return [{"stories": total, **row} for row in measure_rows(jobs)]


# The servers of every archive and the connections each is measured with: nginx has keep-alive
# off; Masthead is measured closing connections too, for comparison.
SERVERS = {
    "Masthead": ("keep-alive", "close"),
    "baseline": ("keep-alive",),
    "Flask": ("close",),
    "nginx": ("close",),
    "uncached": ("keep-alive",),
}
# BENCH_SERVERS=Masthead,nginx measures only those (a shorter run); every one by default.
if os.environ.get("BENCH_SERVERS"):
    SERVERS = {
        name: connections
        for name, connections in SERVERS.items()
        if name in os.environ["BENCH_SERVERS"].split(",")
    }


# Report -------------------------------------------------------------------------------------


def ratios(rows: list[dict]) -> list[dict]:
    """Masthead over the baseline (same client) and over nginx without keep-alive (Masthead as
    clients meet it, and closing connections as nginx does)."""
    rps = {(r["stories"], r["server"], r["request"], r["connection"]): r["rps"] for r in rows}

    def over(total: int, request: str, top: tuple[str, str], bottom: tuple[str, str]) -> float:
        """Requests/s of (server, connection) `top` over `bottom`; NaN when one was not run."""
        (top_server, top_connection), (bottom_server, bottom_connection) = top, bottom
        above = rps.get((total, top_server, request, top_connection), float("nan"))
        return above / rps.get((total, bottom_server, request, bottom_connection), float("nan"))

    masthead_kept, masthead_closed = ("Masthead", "keep-alive"), ("Masthead", "close")
    return [
        {
            "stories": total,
            "baseline 200": over(total, "feed", masthead_kept, ("baseline", "keep-alive")),
            "baseline 304": over(total, "feed 304", masthead_kept, ("baseline", "keep-alive")),
            "nginx 200": over(total, "feed", masthead_kept, ("nginx", "close")),
            "nginx 304": over(total, "feed 304", masthead_kept, ("nginx", "close")),
            "nginx 200 closed": over(total, "feed", masthead_closed, ("nginx", "close")),
            "nginx 304 closed": over(total, "feed 304", masthead_closed, ("nginx", "close")),
            "Flask 200": over(total, "feed", masthead_closed, ("Flask", "close")),
            "Flask / nginx": over(total, "feed", ("Flask", "close"), ("nginx", "close")),
            "page nginx": over(total, "story page", masthead_kept, ("nginx", "close")),
            "page nginx closed": over(total, "story page", masthead_closed, ("nginx", "close")),
            "page uncached": over(total, "story page", masthead_kept, ("uncached", "keep-alive")),
        }
        for total in SIZES
    ]


def verdict(value: float, target: float) -> str:
    return f"{value:.2f}× ({'met' if value >= target else 'MISSED'})"


def reading(results: list[dict]) -> list[str]:
    """What the ratios say, in words: which targets were met or missed, and what bounds them."""
    targets = {
        "baseline 200": ("Masthead / baseline on 200 feeds", 20),
        "baseline 304": ("Masthead / baseline on 304s", 20),
        "nginx 200": ("Masthead / nginx on 200 feeds", 0.5),
        "nginx 304": ("Masthead / nginx on 304s", 0.5),
        "page nginx": ("Masthead / nginx on story pages", 0.5),
        "page uncached": ("Masthead / pages rendered per request", 5),
    }
    missed = [
        f"{label} at {r['stories']:,} stories ({r[key]:.2f}×, target {target})"
        for r in results
        for key, (label, target) in targets.items()
        if not r[key] >= target
    ]
    words = ["Targets missed: " + "; ".join(missed) + "." if missed else "Every target is met."]
    ceiling = max(r["Flask / nginx"] for r in results)
    words += [
        "",
        f"A Flask view answering the same bytes from memory reaches at most {ceiling:.0%} of "
        "nginx under the same server: Flask's per-request machinery alone would miss the "
        "targets, which is why feed polls are answered in front of it "
        "(service/wsgi/feed_server.py).",
    ]
    return words


def report(rows: list[dict], started_at: datetime, load: float) -> str:
    driver = "wrk" if shutil.which("wrk") else "Python http.client driver"
    lines = [
        "| stories | server | request | connection | status | body bytes | req/s | p50 | p99 "
        "| errors |",
        "|---:|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['stories']:,} | {r['server']} | {r['request']} | {r['connection']} | "
            f"{r['status']} | {r['bytes']:,} | {r['rps']:,.0f} | {r['p50_ms']:.2f} ms | "
            f"{r['p99_ms']:.2f} ms | {r['errors']} |"
        )
    lines += [
        "",
        "| stories | Masthead / baseline, 200 (≥ 20) | Masthead / baseline, 304 (≥ 20) "
        "| Masthead / nginx, 200 (≥ 0.5) | Masthead / nginx, 304 (≥ 0.5) "
        "| story page: Masthead / nginx (≥ 0.5) | story page: Masthead / rendered per request "
        "(≥ 5) | both closing: feed 200, 304, story page "
        "| Masthead / Flask in memory, 200 | Flask in memory / nginx, 200 |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    measured = ratios(rows)
    for r in measured:
        lines.append(
            f"| {r['stories']:,} | {verdict(r['baseline 200'], 20)} | "
            f"{verdict(r['baseline 304'], 20)} | {verdict(r['nginx 200'], 0.5)} | "
            f"{verdict(r['nginx 304'], 0.5)} | {verdict(r['page nginx'], 0.5)} | "
            f"{verdict(r['page uncached'], 5)} | {r['nginx 200 closed']:.2f}×, "
            f"{r['nginx 304 closed']:.2f}×, {r['page nginx closed']:.2f}× | "
            f"{r['Flask 200']:.2f}× | {r['Flask / nginx']:.2f}× |"
        )
    lines += ["", *reading(measured)]
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    lines += [
        "",
        f"Command: `.venv/bin/python -m bench serving` ({driver}, {THREADS} threads, "
        f"{CONNECTIONS} connections; each row the median of {ROUNDS} rounds of {SECONDS} s, "
        f"rows interleaved; {WORKERS} Granian workers of {ServerSettings().threads} threads, "
        f"{WORKERS} nginx workers; access logs on everywhere; everything on 127.0.0.1).",
        f"Machine: {os.cpu_count()} CPUs ({cpu}), load average {load:.2f} at the start; "
        f"{started_at:%Y-%m-%d %H:%M} UTC.",
    ]
    return "\n".join(lines)


def write_section(heading: str, body: str) -> None:
    """Replace the section under `heading` in RESULTS.md (others are left as they are)."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    section = f"{heading}\n\n{body}\n"
    if heading in text:
        before, _, rest = text.partition(heading)
        after = rest.partition("\n## ")[2]
        text = before + section + (f"\n## {after}" if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)


def write_results(table: str) -> None:
    """Replace this benchmark's section of RESULTS.md."""
    write_section(HEADING, f"{SECTION_INTRO}\n\n{table}")


SECTION_INTRO = (
    "GET /feeds/latest.atom (200, and 304 with the feed's ETag) and a story permalink, served "
    "by `masthead serve` from stored bytes; the same feed requests against a baseline Flask app "
    "that builds the feed with feedgen on every request (its 304 builds, then compares ETags); "
    "and nginx serving the same feed bytes as a static file with `keepalive_timeout 0`. "
    "Masthead / nginx compares Masthead as clients meet it (wrk, like feed readers and "
    "browsers, keeps its connection open) with nginx closing every connection, as the targets "
    'are set; the columns "both closing" compare Masthead closing every connection too, which '
    'adds a connection\'s cost to every Masthead request. "Flask" is what a Flask view '
    "answering the same bytes from memory reaches under the same server: the ceiling of any "
    "feed answered through Flask. Story pages: `masthead serve` answers them from its page "
    'cache; nginx serves the same page bytes as a file; "uncached" is Masthead\'s own app '
    "without its page cache (queries and renders on every request, the per-request Flask "
    "baseline). Every server writes an access log, as in production."
)


def main() -> None:
    started_at, load = datetime.now(UTC), os.getloadavg()[0]
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as temp:
        for total in SIZES:
            work = Path(temp) / str(total)
            work.mkdir()
            with ExitStack() as stack:
                rows += measure_archive(total, work, stack)
    table = report(rows, started_at, load)
    print(table)
    write_results(table)


if __name__ == "__main__":
    main()
