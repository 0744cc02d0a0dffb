"""The write API behind the real server (Granian): tokens stay out of logs, bodies are capped."""

from __future__ import annotations

import http.client
import json

import pytest

from tests.support.api import READ_TOKEN, WRITE_TOKEN, story_json
from tests.support.archives import settings_mapping
from tests.support.live import LiveServer

# The largest body the server under test accepts ([api] max_body_bytes).
MAX_BODY = 4096


@pytest.fixture
def api_server(tmp_path, api_tokens):
    """The real service with the tokens of `api_tokens` in its environment."""
    with LiveServer(
        tmp_path, settings_mapping(tmp_path, api={"max_body_bytes": MAX_BODY})
    ) as server:
        yield server


def send(server, method, path, body=None, headers=None, *, chunked=False):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_writes_through_the_server_never_log_the_token(api_server):
    headers = {"Authorization": f"Bearer {WRITE_TOKEN}", "Content-Type": "application/json"}
    status, answer, body = send(
        api_server, "POST", "/api/stories", json.dumps(story_json()), headers
    )
    assert status == 201, body
    assert answer["Location"] == "/api/stories/1"
    status, _, _ = send(
        api_server, "GET", "/api/stories/1", headers={"Authorization": f"Bearer {READ_TOKEN}"}
    )
    assert status == 200
    wrong = {**headers, "Authorization": f"Bearer {WRITE_TOKEN}-but-wrong"}
    assert send(api_server, "POST", "/api/stories", "{}", wrong)[0] == 401
    api_server.stop()
    log = api_server.log.read_text()
    assert '"POST /api/stories HTTP/1.1" 201' in log  # the access log is on
    assert WRITE_TOKEN not in log
    assert READ_TOKEN not in log


def test_chunked_body_over_the_limit_is_cut_off_with_413(api_server):
    headers = {"Authorization": f"Bearer {WRITE_TOKEN}", "Content-Type": "application/json"}
    big = json.dumps(story_json(body="<p>" + "x" * MAX_BODY + "</p>")).encode()
    chunks = iter([big[i : i + 1000] for i in range(0, len(big), 1000)])
    status, answer, _ = send(api_server, "POST", "/api/stories", chunks, headers, chunked=True)
    assert status == 413
    assert answer["Content-Type"] == "application/problem+json"
    assert (
        send(api_server, "GET", "/api/stories")[2]
        == b'{"stories": [], "cursor": "0", "next": null}'
    )


def test_two_workers_updating_from_one_etag_let_exactly_one_win(api_server):
    """Two clients PUT from the same ETag at the same moment to a two-worker server."""
    import threading

    headers = {"Authorization": f"Bearer {WRITE_TOKEN}", "Content-Type": "application/json"}
    status, answer, _ = send(api_server, "POST", "/api/stories", json.dumps(story_json()), headers)
    assert status == 201
    etag = answer["ETag"]
    start = threading.Barrier(2, timeout=10)
    results = {}

    def put(title):
        body = json.dumps(story_json(title=title, slug="harbour-bridge-reopens"))
        start.wait()
        results[title] = send(
            api_server, "PUT", "/api/stories/1", body, {**headers, "If-Match": etag}
        )

    threads = [threading.Thread(target=put, args=(t,)) for t in ("First", "Second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    statuses = sorted(status for status, _, _ in results.values())
    assert statuses == [200, 412]
    winner = next(title for title, (status, _, _) in results.items() if status == 200)
    story = json.loads(send(api_server, "GET", "/api/stories/1")[2])
    assert (story["title"], story["revision"]) == (winner, 2)


def test_two_retries_of_one_post_at_the_same_moment_create_one_story(api_server):
    import threading

    headers = {
        "Authorization": f"Bearer {WRITE_TOKEN}",
        "Content-Type": "application/json",
        "Idempotency-Key": "cms-retry-0001",
    }
    body = json.dumps(story_json())
    start = threading.Barrier(2, timeout=10)
    results = []

    def post():
        start.wait()
        results.append(send(api_server, "POST", "/api/stories", body, headers))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [status for status, _, _ in results] == [201, 201]
    assert {answer["Location"] for _, answer, _ in results} == {"/api/stories/1"}
    listed = json.loads(send(api_server, "GET", "/api/stories")[2])["stories"]
    assert [story["id"] for story in listed] == [1]
