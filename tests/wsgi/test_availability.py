"""Always up: restarts that start at once, and a server that outlives its workers' deaths."""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import threading
import time
from pathlib import Path

import pytest

from archive import FeedScope, open_archive, story_from_dict
from service.commands import server as production
from service.feeds import scheduler
from tests.support.archives import settings_mapping
from tests.support.live import LiveServer, alive, children, write_config
from tests.support.stories import NOW


def get(port: int, path: str = "/robots.txt") -> int:
    """The status of one GET on a fresh connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def same_port_server(tmp_path, port: int) -> LiveServer:
    """A LiveServer over tmp_path's archive, on `port` rather than a free one."""
    server = LiveServer(tmp_path, settings_mapping(tmp_path))
    server.port, server.url = port, f"http://127.0.0.1:{port}"
    mapping = settings_mapping(tmp_path)
    mapping["server"] = {"host": "127.0.0.1", "port": port, "workers": 2}
    write_config(server.config, mapping)
    return server


# Restarts -----------------------------------------------------------------------------------


def test_a_restart_starts_at_once_while_a_client_keeps_its_connection_open(tmp_path):
    first = LiveServer(tmp_path, settings_mapping(tmp_path)).start()
    kept = http.client.HTTPConnection("127.0.0.1", first.port, timeout=10)
    try:
        kept.request("GET", "/robots.txt")  # keep-alive: the client never closes it
        kept.getresponse().read()
        first.stop()  # the server's end of `kept` now waits in FIN-WAIT-2
        assert first.process.returncode == 0
        with same_port_server(tmp_path, first.port) as second:
            assert get(second.port) == 200
    finally:
        kept.close()


def test_the_port_check_ignores_connections_a_stopped_server_left_behind():
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = listener.accept()
    accepted.close()  # the server closes first: its end waits in FIN-WAIT-2, as after a stop
    try:
        production.check_port_free("127.0.0.1", port)
    finally:
        client.close()


def test_the_port_check_refuses_a_port_a_server_listens_on_with_reuseport():
    with socket.socket() as listener:
        # As Granian's workers listen: a second server with SO_REUSEPORT would share the port.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(production.PortInUse, match=f"127.0.0.1:{port} is already in use"):
            production.check_port_free("127.0.0.1", port)


# Dead workers -------------------------------------------------------------------------------

# How long a killed worker's replacement may take to appear (the backoff waits are within it).
REPLACEMENT_TIMEOUT = 30
# Worker deaths in a row: Granian alone exits at the second within 5.5 s.
DEATHS_IN_A_ROW = 4


def replacement_of(server: LiveServer, known: set[int]) -> int:
    """The pid of the first child of the server that is not in `known`, once it appears."""
    deadline = time.monotonic() + REPLACEMENT_TIMEOUT
    while True:
        fresh = set(children(server.process.pid)) - known
        if fresh:
            return fresh.pop()
        assert server.process.poll() is None, f"server exited:\n{server.log.read_text()}"
        assert time.monotonic() < deadline, f"no worker replaced in {REPLACEMENT_TIMEOUT}s"
        time.sleep(0.05)


def test_workers_that_keep_dying_never_stop_the_server(tmp_path):
    with LiveServer(tmp_path, settings_mapping(tmp_path), workers=2) as server:
        known = set(children(server.process.pid))
        victim = next(iter(known))
        for _ in range(DEATHS_IN_A_ROW):
            os.kill(victim, signal.SIGKILL)
            victim = replacement_of(server, known)  # killed again as soon as it is started
            known.add(victim)
        assert server.process.poll() is None
        assert len(children(server.process.pid)) == 2
        assert get(server.port) == 200
        log = server.log.read_text()
        assert "crash loop" not in log
        assert f"{DEATHS_IN_A_ROW} workers in a row died" in log
    assert server.process.returncode == 0


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_backoff_counts_quick_deaths_of_any_worker_in_a_row():
    clock = Clock()
    backoff = production.Backoff(clock=clock)
    assert backoff.died(0, born_at=clock.now - 60) == 0  # lived long: a one-off
    assert backoff.died(1, born_at=clock.now - 1) == production.FIRST_BACKOFF_SECONDS
    assert backoff.died(0, born_at=clock.now - 1) == 2 * production.FIRST_BACKOFF_SECONDS
    assert backoff.deaths_in_a_row == 3
    assert backoff.died(1, born_at=clock.now - 60) == 0  # a long life starts the count again
    assert backoff.deaths_in_a_row == 1


def test_a_waiting_worker_starts_at_once_when_no_other_is_alive():
    clock = Clock()
    backoff = production.Backoff(clock=clock)
    backoff.died(0, born_at=clock.now - 1)
    backoff.died(1, born_at=clock.now - 1)  # waits FIRST_BACKOFF_SECONDS
    assert backoff.to_start(any_alive=True) == [0]  # the first death waits for nothing
    assert backoff.to_start(any_alive=True) == []  # worker 0 serves: worker 1 waits
    assert backoff.next_wait() == production.FIRST_BACKOFF_SECONDS
    backoff.died(0, born_at=clock.now - 1)  # and now no worker is alive
    assert backoff.to_start(any_alive=False) == [1]  # due first: at once, not after its wait
    assert backoff.to_start(any_alive=True) == []  # worker 1 serves: worker 0 waits
    clock.now += backoff.next_wait()
    assert backoff.to_start(any_alive=True) == [0]
    assert backoff.next_wait() is None


# Kills, one after another, of whichever worker is alive.
KILLS = 10
KILL_EVERY_SECONDS = 1.0


def probe_continuously(port: int, outcomes: list, stopping: threading.Event) -> None:
    """GET /robots.txt on a fresh connection, one after another: 200, "refused" or the error."""
    while not stopping.is_set():
        try:
            outcomes.append(get(port))
        except ConnectionRefusedError:
            outcomes.append("refused")
        except (OSError, http.client.HTTPException) as error:
            outcomes.append(type(error).__name__)


def living_workers(server: LiveServer) -> list[int]:
    """The server's workers, once it has at least one (a killed one is replaced at once)."""
    deadline = time.monotonic() + REPLACEMENT_TIMEOUT
    while not (found := children(server.process.pid)):
        assert time.monotonic() < deadline, f"no worker for {REPLACEMENT_TIMEOUT}s"
        time.sleep(0.01)
    return found


def test_ten_worker_kills_in_ten_seconds_never_leave_the_port_refusing(tmp_path):
    with LiveServer(tmp_path, settings_mapping(tmp_path), workers=2) as server:
        outcomes: list = []
        stopping = threading.Event()
        prober = threading.Thread(target=probe_continuously, args=(server.port, outcomes, stopping))
        prober.start()
        chooser = random.Random(21)
        try:
            for _ in range(KILLS):
                # Often the only worker alive, while the other waits out its backoff.
                os.kill(chooser.choice(living_workers(server)), signal.SIGKILL)
                time.sleep(KILL_EVERY_SECONDS)
        finally:
            stopping.set()
            prober.join()
        assert "refused" not in outcomes
        # The probe asks as fast as it can from one address, past the default rate limit (on,
        # as users meet it): a 429 is the living server's answer too.
        failed = [outcome for outcome in outcomes if outcome not in (200, 429)]
        # A kill can cut short at most the one request its worker was answering.
        assert len(failed) <= KILLS, failed
        assert outcomes.count(200) >= KILLS, outcomes
        assert get(server.port) in (200, 429)  # still answering, the probe's limit still counted
        assert server.process.poll() is None
        assert "crash loop" not in server.log.read_text()
    assert server.process.returncode == 0


# Stories of one month: its rebuild is long enough to stop midway, and a stop must not wait
# for its end.
BIG_MONTH = 600
BIG_MONTH_SCOPE = FeedScope.for_month(2026, 10)
# The longest a stop may take while a rebuild is in progress.
STOP_SECONDS = 2.0


def test_a_stop_during_a_month_rebuild_ends_within_two_seconds(tmp_path, settings):
    body = "<p>" + "The council met on the harbour wall to hear the residents. " * 12 + "</p>"
    with (
        open_archive(settings.archive_path, domain=settings.site.domain) as archive,
        archive.batch(),
    ):
        for n in range(BIG_MONTH):
            day, minute = 1 + n % 30, n % 60
            published_at = f"2026-10-{day:02d}T{8 + n % 12:02d}:{minute:02d}:00+00:00"
            story = {"title": f"Ferry timetable {n}", "body": body * 4}
            archive.save(story_from_dict({**story, "published_at": published_at}), now=NOW)
    started, cpu_started = time.monotonic(), time.process_time()
    scheduler.rebuild_all(settings)  # every feed stored: the server starts without building
    unstopped, unstopped_cpu = time.monotonic() - started, time.process_time() - cpu_started
    with open_archive(settings.archive_path) as archive:
        # Only the month is left to build: the full rebuild at the start builds it.
        archive.db.execute("DELETE FROM renditions WHERE scope = ?", [BIG_MONTH_SCOPE.key])
        archive.db.conn.commit()
    with LiveServer(tmp_path, settings_mapping(tmp_path)) as server:
        # A month is built in a process of its own, forked from the scheduler's fork server:
        # the worker's grandchild.
        deadline = time.monotonic() + FIRST_REBUILD_TIMEOUT
        while not (builders := descendants(server.process.pid, depth=3)):
            assert time.monotonic() < deadline, server.log.read_text()
            time.sleep(0.01)
        # Into the month's stories: the builder has done a quarter of the work the whole
        # rebuild took here, counted in CPU time (a busy machine slows both alike).
        while cpu_seconds(builders) < unstopped_cpu / 4:
            assert time.monotonic() < deadline, "the month's builder made no progress"
            time.sleep(0.005)
        everyone = descendants(server.process.pid)
        asked = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=60)
        took = time.monotonic() - asked
    with open_archive(settings.archive_path) as archive:
        built = {info.scope for info in archive.renditions()}
    # Left unbuilt: the stop ended its rebuild rather than wait for the month in hand.
    assert BIG_MONTH_SCOPE.key not in built, (
        f"the month's rebuild went on to its end (it took {unstopped_cpu:.2f} s of CPU here)"
    )
    assert server.process.returncode == 0
    assert took < STOP_SECONDS, f"a stop took {took:.1f}s (the rebuild alone {unstopped:.1f}s)"
    assert builders <= everyone
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in everyone):  # the fork server follows its worker
        assert time.monotonic() < deadline, [pid for pid in everyone if alive(pid)]
        time.sleep(0.05)


def cpu_seconds(pids: set[int]) -> float:
    """The CPU time (user and system, from /proc) the processes have used so far; a process
    that has ended counts for nothing."""
    total = 0
    for pid in pids:
        try:
            fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime and stime, fields 14 and 15 of stat
    return total / os.sysconf("SC_CLK_TCK")


def descendants(pid: int, *, depth: int | None = None) -> set[int]:
    """The processes under `pid` (children at depth 1, grandchildren at 2 ...), from /proc;
    only those at `depth` when it is given."""
    found, level, generation = set(), 0, {pid}
    while generation and (depth is None or level < depth):
        generation = {child for parent in generation for child in children(parent)}
        level += 1
        if depth is None or level == depth:
            found |= generation
    return found


# Start-up -----------------------------------------------------------------------------------

# How long the scheduler may take to run its first rebuild after the server answers.
FIRST_REBUILD_TIMEOUT = 30


def save_story(settings, title: str, published_at: str) -> None:
    with open_archive(settings.archive_path, domain=settings.site.domain) as archive:
        archive.save(story_from_dict({"title": title, "published_at": published_at}), now=NOW)


def feed_titles(port: int) -> list[str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/feeds/latest.json")
        response = connection.getresponse()
        assert response.status == 200
        return [item["title"] for item in json.loads(response.read())["items"]]
    finally:
        connection.close()


def test_serve_starts_with_the_stored_feeds_when_a_story_cannot_be_rendered(tmp_path, settings):
    save_story(settings, "Harbour reopens", "2026-06-10T10:00:00+00:00")
    scheduler.rebuild_all(settings)
    with open_archive(settings.archive_path) as archive:
        # A record no feed can be built from (written around the archive's checks).
        archive.db.execute("UPDATE stories SET published_at = 'not a time'")
        archive.db.conn.commit()
    with LiveServer(tmp_path, settings_mapping(tmp_path)) as server:
        assert feed_titles(server.port) == ["Harbour reopens"]
        assert server.process.poll() is None
    assert server.process.returncode == 0


def test_the_scheduler_checks_every_feed_right_after_the_start(tmp_path, settings):
    save_story(settings, "Harbour reopens", "2026-06-10T10:00:00+00:00")
    scheduler.rebuild_all(settings)
    save_story(settings, "Trams return", "2026-06-11T10:00:00+00:00")
    with open_archive(settings.archive_path) as archive:
        # Only a whole rebuild sees this story: no write queued its feeds.
        archive.db.execute("DELETE FROM feed_changes")
        archive.db.conn.commit()
    with LiveServer(tmp_path, settings_mapping(tmp_path)) as server:
        deadline = time.monotonic() + FIRST_REBUILD_TIMEOUT
        while "Trams return" not in feed_titles(server.port):
            assert time.monotonic() < deadline, "rebuild-all did not run after the start"
            time.sleep(0.2)
        assert feed_titles(server.port) == ["Trams return", "Harbour reopens"]
