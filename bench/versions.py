"""Two versions of Masthead side by side: `masthead serve` from another checkout (before) and
from this one (after), on copies of one archive, with nginx beside them as the yardstick.

    BENCH_BEFORE=../before .venv/bin/python -m bench versions

The other checkout needs its own set-up (`make .venv/.test-installed` there): each version runs
its own `.venv/bin/masthead`. Feed 200, feed 304 and a story page are measured for each version
in ROUNDS rounds, rows interleaved, so a busy machine slows both alike; the medians are kept.
Besides requests per second, each row counts the server's CPU time per request (its process
tree's user and system time from /proc over the run), which a shared machine disturbs less.
The report says whether both versions sent the same feed bytes. Results are printed, not
written to RESULTS.md: a comparison is the evidence for one change, not a standing figure.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
from contextlib import ExitStack
from pathlib import Path

from archive import open_archive
from bench import serving
from bench.corpus import DOMAIN, TIMEZONE, archive_of

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 5))
SIZE = int(os.environ.get("BENCH_SIZES", "100000").split(",")[0])
AFTER = Path(__file__).resolve().parent.parent
REQUESTS = ("feed 200", "feed 304", "story page")


def process_tree(pid: int) -> list[int]:
    found = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        found += process_tree(int(child))
    return found


def cpu_seconds(pid: int) -> float:
    """User and system time of a process and everything below it, from /proc."""
    ticks = 0
    for each in process_tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended meanwhile
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def serve(name: str, checkout: Path, source: Path, temp: Path, stack: ExitStack):
    """`masthead serve` from `checkout` on its own copy of `source`: (process, base URL)."""
    work = temp / name
    work.mkdir()
    db = work / "archive.db"
    shutil.copyfile(source, db)
    _command, options = serving.masthead(db, work)
    options["env"].pop("PYTHONPATH", None)  # each version imports its own code
    port = serving.free_port()
    command = [str(checkout / ".venv" / "bin" / "masthead"), "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(serving.WORKERS)]
    url = f"http://127.0.0.1:{port}"
    process = stack.enter_context(
        serving.running(command, url=url + serving.FEED, log=work / "log", **options)
    )
    return process, url


def main() -> None:
    before = Path(os.environ.get("BENCH_BEFORE", "")).resolve()
    if not (before / ".venv" / "bin" / "masthead").exists():
        raise SystemExit(
            "BENCH_BEFORE must name another checkout set up with `make .venv/.test-installed`"
        )
    source = archive_of(SIZE)
    with open_archive(source, domain=DOMAIN, timezone=TIMEZONE) as archive:
        story_path = archive.latest(limit=1, offset=7)[0].path
    with tempfile.TemporaryDirectory(prefix="bench-versions-") as temp, ExitStack() as stack:
        versions = {
            name: serve(name, checkout, source, Path(temp), stack)
            for name, checkout in (("before", before), ("after", AFTER))
        }
        bodies = {name: serving.fetch(url + serving.FEED) for name, (_, url) in versions.items()}
        same_bytes = bodies["before"].body == bodies["after"].body
        nginx = Path(temp) / "nginx"
        (nginx / "www" / "feeds").mkdir(parents=True)
        (nginx / "www" / "feeds" / "latest.atom").write_bytes(bodies["after"].body)
        port = serving.free_port()
        config = serving.nginx_config(nginx, port)
        nginx_url = f"http://127.0.0.1:{port}{serving.FEED}"
        command = ["nginx", "-p", str(nginx), "-c", str(config), "-e", str(nginx / "error.log")]
        stack.enter_context(serving.running(command, url=nginx_url, log=nginx / "log"))
        jobs = []
        for name, (process, url) in versions.items():
            etag = {"If-None-Match": bodies[name].getheader("ETag")}
            jobs += [
                (name, "feed 200", process.pid, url + serving.FEED, {}),
                (name, "feed 304", process.pid, url + serving.FEED, etag),
                (name, "story page", process.pid, url + story_path, {}),
            ]
        jobs.append(("nginx", "feed 200 close", None, nginx_url, {"Connection": "close"}))
        rps: dict[tuple[str, str], list[float]] = {job[:2]: [] for job in jobs}
        cpu: dict[tuple[str, str], list[float]] = {job[:2]: [] for job in jobs if job[2]}
        for _ in range(ROUNDS):
            for name, request, pid, url, headers in jobs:
                used = cpu_seconds(pid) if pid else 0.0
                got = serving.measure(url, headers)
                rps[(name, request)].append(got["rps"])
                if pid:
                    requests = got["rps"] * serving.SECONDS
                    cpu[(name, request)].append((cpu_seconds(pid) - used) / requests * 1e6)
    print(report(rps, cpu, same_bytes, before))


def report(rps: dict, cpu: dict, same_bytes: bool, before: Path) -> str:
    median = {key: statistics.median(values) for key, values in rps.items()}
    nginx = median[("nginx", "feed 200 close")]
    lines = [
        f"{SIZE:,} stories; before = {before}, after = {AFTER}; {ROUNDS} rounds of "
        f"{serving.SECONDS} s, rows interleaved; the same feed bytes from both: {same_bytes}",
        "",
        "| request | before req/s | after req/s | after / before | before / nginx | "
        "after / nginx | CPU µs a request, before | after | after / before |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for request in REQUESTS:
        was, now = median[("before", request)], median[("after", request)]
        cpu_was = statistics.median(cpu[("before", request)])
        cpu_now = statistics.median(cpu[("after", request)])
        lines.append(
            f"| {request} | {was:,.0f} | {now:,.0f} | {now / was:.2f} | {was / nginx:.2f}× | "
            f"{now / nginx:.2f}× | {cpu_was:.0f} | {cpu_now:.0f} | {cpu_now / cpu_was:.2f} |"
        )
    lines.append(f"\nnginx, feed 200 without keep-alive: {nginx:,.0f} req/s.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
