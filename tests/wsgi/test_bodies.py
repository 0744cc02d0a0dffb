"""Request bodies behind the real server: a deadline for each, a share of threads per client.

Raw sockets stand in for clients that stop sending, trickle, or go away mid-body, and an
HTTP/2 client (h2) for one that speaks HTTP/2 without asking; meanwhile another client's
writes and everyone's reads must be answered.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from contextlib import ExitStack

import h2.config
import h2.connection
import pytest

from tests.support.api import WRITE_TOKEN, story_json
from tests.support.archives import settings_mapping
from tests.support.live import LiveServer

# The other write token of the `api_tokens` fixture: a second client of the write API.
OTHER_TOKEN = "other-writer-token-0000"


@pytest.fixture
def live(tmp_path, api_tokens):
    with LiveServer(tmp_path, settings_mapping(tmp_path)) as server:
        yield server


def head_of(token: str, *, length: int | None = 1000, chunked: bool = False) -> bytes:
    lines = [
        "POST /api/stories HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Bearer {token}",
        "Content-Type: application/json",
    ]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    elif length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def status_of(answer: bytes) -> int | None:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


def post_story(port: int, token: str, slug: str) -> int:
    body = json.dumps(story_json(slug=slug)).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head_of(token, length=len(body)) + body)
        return status_of(sock.recv(65536))


def get_status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as answer:
        answer.read()
        return answer.status


class Upload(threading.Thread):
    """A POST whose body never arrives in time: `silent` sends none of it, `trickle` sends a
    byte every tenth of a second (10 bytes a second), until the server answers."""

    def __init__(self, port: int, token: str, how: str, *, chunked: bool = False):
        super().__init__(daemon=True)
        self.port, self.token, self.how, self.chunked = port, token, how, chunked
        self.status: int | None = None
        self.answered = threading.Event()
        self.hanging_up = threading.Event()
        self.seconds = 0.0

    def run(self) -> None:
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
            sock.sendall(head_of(self.token, chunked=self.chunked))
            sock.settimeout(0.1)
            answer = b""
            while not answer and not self.hanging_up.is_set() and time.monotonic() - started < 20:
                try:
                    answer = sock.recv(65536)
                except TimeoutError:
                    if self.how == "trickle":
                        sock.sendall(b"1\r\n \r\n" if self.chunked else b" ")
                    continue
            self.status = status_of(answer)
        self.seconds = time.monotonic() - started
        self.answered.set()

    def hang_up(self) -> None:
        """Close the connection if it is still waiting, as a client that gives up does."""
        self.hanging_up.set()
        self.join()


@pytest.mark.parametrize("how", ["silent", "trickle"])
def test_stalled_uploads_of_one_client_leave_other_writers_answered(live, how):
    """Six uploads stalled by one token holder: another token's writes are all answered."""
    uploads = [Upload(live.port, WRITE_TOKEN, how) for _ in range(6)]
    for upload in uploads:
        upload.start()
    # A client holds at most all but one of a worker's body slots (2 of 3): the rest are
    # refused at once, and once they are, the ones left are the ones holding slots. (Where
    # every upload may take a slot, none is refused: the writes below show what that costs.)
    deadline = time.monotonic() + 2
    while sum(u.status == 503 for u in uploads) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(not u.answered.is_set() for u in uploads)  # still stalled, holding its slot
    written = [post_story(live.port, OTHER_TOKEN, f"meanwhile-{n}") for n in range(5)]
    assert written == [201] * 5
    assert get_status(live.url + "/health") == 200
    assert get_status(live.url + "/feeds/latest.atom") == 200
    if how == "trickle":
        # Slower than [server] body_min_bytes_per_second: cut off soon after the grace.
        for upload in uploads:
            assert upload.answered.wait(10)
        assert {u.status for u in uploads} == {408, 503}
        assert max(u.seconds for u in uploads if u.status == 408) < 10
    # The stalled ones hang up: the server's stop waits for requests in flight, and would wait
    # for these until the clients gave up.
    for upload in uploads:
        upload.hang_up()


def test_slow_bodies_are_408_and_large_ones_413_however_they_are_framed(live):
    uploads = [
        Upload(live.port, WRITE_TOKEN, "trickle"),
        Upload(live.port, OTHER_TOKEN, "trickle", chunked=True),
    ]
    for upload in uploads:
        upload.start()
    for upload in uploads:
        assert upload.answered.wait(15)
    assert [upload.status for upload in uploads] == [408, 408]
    # [server] body_timeout_seconds is 30: the minimum rate cut them off.
    assert max(upload.seconds for upload in uploads) < 10
    # A body that comes quickly but is too large is still refused whole (read in pieces).
    body = json.dumps(story_json(body="<p>" + "x" * 1_100_000 + "</p>")).encode()
    with ExitStack() as stack:
        sock = stack.enter_context(socket.create_connection(("127.0.0.1", live.port), timeout=10))
        sock.sendall(head_of(WRITE_TOKEN, length=None, chunked=True))
        for start in range(0, len(body), 65536):
            piece = body[start : start + 65536]
            try:
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            except OSError:
                break  # the server answered and closed
        assert status_of(sock.recv(65536)) == 413


def abort_upload(port: int, framing: str) -> None:
    """An HTTP/1.1 upload its client gives up on mid-body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            head_of(
                WRITE_TOKEN,
                length=None if framing == "none" else 1000,
                chunked=framing == "chunked",
            )
            + (b"10\r\n" if framing == "chunked" else b"")
            + b'{"title": "Cut'
        )


# --- HTTP/2 ---------------------------------------------------------------------------------


def h2_upload_then_abort(port: int) -> bytes:
    """An HTTP/2 upload with prior knowledge (no Content-Length), abandoned mid-body; returns
    whatever the server sent before the client went away."""
    connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    connection.initiate_connection()
    stream = connection.get_next_available_stream_id()
    connection.send_headers(
        stream,
        [
            (":method", "POST"),
            (":path", "/api/stories"),
            (":scheme", "http"),
            (":authority", f"127.0.0.1:{port}"),
            ("authorization", f"Bearer {WRITE_TOKEN}"),
            ("content-type", "application/json"),
        ],
    )
    connection.send_data(stream, b'{"title": "Cut')
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(connection.data_to_send())
        try:
            answer = sock.recv(65536)
        except TimeoutError:
            answer = b""
        # Still sending, as far as the server knows, while the app starts reading the body.
        time.sleep(0.5)
        return answer


def test_aborted_uploads_in_every_framing_and_protocol_hold_no_thread(live):
    """More aborted uploads than the server has threads (2 workers x 4), each way a body can
    come: with a length, chunked, with neither, and over HTTP/2 with prior knowledge."""
    for framing in ("length", "chunked", "none"):
        for _ in range(10):
            abort_upload(live.port, framing)
    assert get_status(live.url + "/health") == 200
    # Each was answered once its client had gone (400: what arrived is not a story; or 503
    # when it came while the same client's last one was still being read).
    answered = '"POST /api/stories HTTP/1.1" '
    deadline = time.monotonic() + 10
    while live.log.read_text().count(answered) < 30 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert live.log.read_text().count(answered) == 30
    assert post_story(live.port, WRITE_TOKEN, "after-http1") == 201
    answers = [h2_upload_then_abort(live.port) for _ in range(8)]
    assert get_status(live.url + "/health") == 200
    # The server speaks HTTP/1.1 only: no HTTP/2 frame (its SETTINGS first) comes back, so no
    # stream was ever started.
    assert all(a == b"" or a.startswith(b"HTTP/1.1 ") for a in answers), answers[0][:40]
    assert post_story(live.port, WRITE_TOKEN, "after-http2") == 201
