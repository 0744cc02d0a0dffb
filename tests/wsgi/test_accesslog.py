"""The access log: one Combined Log Format line per request, safe to read and to parse."""

from __future__ import annotations

import os
import re
import select

import pytest
from werkzeug.test import Client

from service.wsgi.accesslog import BATCH_BYTES, FLUSH_SECONDS, AccessLog, LineWriter
from tests.support.feeds import build
from tests.support.stories import NOW, SYNDICATED, make_story

# host ident user [time] "request" status bytes "referer" "agent" seconds
LINE = re.compile(
    r"^(?P<host>\S+) - - \[(?P<time>\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000)\] "
    r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<bytes>\d+|-) '
    r'"(?P<referer>[^"]*)" "(?P<agent>[^"]*)" (?P<seconds>\d+\.\d{6})$'
)


@pytest.fixture
def logged(app, tmp_path):
    """A client of the app behind AccessLog, and a function reading the lines written so far."""
    path = tmp_path / "access.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    logged_app = AccessLog(app, fd=fd)

    def lines() -> list[str]:
        logged_app.out.flush()
        return path.read_text(encoding="utf-8").splitlines()

    yield Client(logged_app), lines
    os.close(fd)


def fields(line: str) -> dict:
    match = LINE.match(line)
    assert match, f"not a Combined Log Format line: {line!r}"
    return match.groupdict()


def test_each_request_is_one_line_with_status_and_size(logged, archive, settings):
    client, lines = logged
    archive.save(make_story(SYNDICATED), now=NOW)
    build(archive, settings)
    feed = client.get(
        "/feeds/latest.atom",
        headers={"User-Agent": "Reader/1.0", "Referer": "https://elsewhere.example/"},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    client.get("/no/such/page/")
    first, second = (fields(line) for line in lines())
    assert first["host"] == "192.0.2.7"
    assert first["request"] == "GET /feeds/latest.atom HTTP/1.1"
    assert (first["status"], int(first["bytes"])) == ("200", len(feed.data))
    assert (first["referer"], first["agent"]) == ("https://elsewhere.example/", "Reader/1.0")
    assert (second["request"], second["status"]) == ("GET /no/such/page/ HTTP/1.1", "404")


def test_the_query_string_stays_out_of_the_log(logged):
    client, lines = logged
    client.get("/search?q=private+thoughts")
    [line] = lines()
    assert fields(line)["request"] == "GET /search HTTP/1.1"
    assert "private" not in line


def test_hostile_values_cannot_forge_or_break_lines(logged):
    client, lines = logged
    # Set in the environ directly: a test client refuses such headers, a raw socket does not.
    forged = 'evil" 200 1 "-" "x\r\n127.0.0.1 - - [forged]'
    client.get("/feeds/latest.atom", environ_base={"HTTP_USER_AGENT": forged, "HTTP_REFERER": "é"})
    client.get("/caf%C3%A9/")
    first, second = lines()
    agent = fields(first)["agent"]
    assert '"' not in agent
    assert "\\x22" in agent
    assert fields(first)["referer"] == "é"
    assert fields(second)["request"] == "GET /café/ HTTP/1.1"


def test_a_very_long_user_agent_is_cut(logged):
    client, lines = logged
    client.get("/robots.txt", headers={"User-Agent": "A" * 10_000})
    [line] = lines()
    assert len(line) < 1000
    assert fields(line)["status"] == "200"


def test_lines_are_written_in_whole_line_batches_no_larger_than_pipe_buf(tmp_path):
    path = tmp_path / "batches.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    writer = LineWriter(fd)
    sizes = []
    real_flush = writer._flush_locked

    def recording_flush():
        sizes.append(writer.size)
        real_flush()

    writer._flush_locked = recording_flush
    lines = [f"line {n} ".ljust(300, "x").encode() + b"\n" for n in range(100)]
    for line in lines:
        writer.write(line)
    assert path.read_bytes() == b"".join(lines[: sum(sizes) // 301])  # only whole batches so far
    writer.flush()
    os.close(fd)
    assert path.read_bytes() == b"".join(lines)  # every line, in order, once
    assert max(sizes) <= BATCH_BYTES
    assert len(sizes) > 1


def test_a_forked_worker_flushes_its_own_lines_without_more_requests(tmp_path):
    read_end, write_end = os.pipe()
    release_read, release_write = os.pipe()  # the worker stays up until the test is done
    writer = LineWriter(write_end)
    child = os.fork()
    if child == 0:  # the worker: one line, then idle; its own thread must send it
        try:
            writer.write(b"from the worker\n")
            os.read(release_read, 1)
        finally:
            os._exit(0)
    try:
        os.close(write_end)
        ready, _, _ = select.select([read_end], [], [], FLUSH_SECONDS * 10)
        assert ready, "the worker's line was never flushed"
        assert os.read(read_end, 4096) == b"from the worker\n"
    finally:
        os.write(release_write, b"x")
        os.waitpid(child, 0)
        for fd in (read_end, release_read, release_write):
            os.close(fd)
