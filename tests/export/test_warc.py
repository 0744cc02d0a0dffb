"""`masthead export --warc`: the public site as WARC/1.1, read back with warcio and compared
with what the app answers for each path.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import lxml.html
import pytest
from warcio.archiveiterator import ArchiveIterator

from service.export.static_site import export_site
from tests.support.feeds import build
from tests.support.stories import NOW, full_story

BASE = "https://news.example"
STORY = "/2014/02/24/harbour-bridge-reopens/"
WARCIO = Path(sys.executable).with_name("warcio")


@pytest.fixture
def site(archive, settings):
    """A story edited once and once as a draft, another withdrawn, a draft never published."""
    story = archive.save(full_story(), now=NOW)
    story = archive.save(story.replace(status="draft", dek="Draft dek."), now=NOW + timedelta(1))
    story = archive.save(story.replace(status="published", dek="Dek."), now=NOW + timedelta(2))
    gone = archive.save(
        full_story(title="Ferry sinks", slug="ferry-sinks", published_at="2014-02-25T09:00Z"),
        now=NOW,
    )
    archive.withdraw(gone.id, reason="Published in error.", now=NOW + timedelta(3))
    archive.save(full_story(title="Secret plan", slug="secret-plan", status="draft"), now=NOW)
    build(archive, settings)
    return story


def records_of(path: Path) -> list[dict]:
    """Every record of a WARC file: type, headers, HTTP status and headers, payload."""
    found = []
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            found.append(
                {
                    "type": record.rec_type,
                    "version": record.rec_headers.protocol,
                    "headers": dict(record.rec_headers.headers),
                    "http": record.http_headers,
                    "payload": record.content_stream().read(),
                }
            )
    return found


def export(runner, path: Path):
    result = runner.invoke(args=["export", "--warc", str(path)])
    assert result.exit_code == 0, result.output
    return result


def test_warc_holds_every_public_answer_as_the_app_gives_it(
    site, archive, runner, client, tmp_path
):
    path = tmp_path / "site.warc.gz"
    result = export(runner, path)
    assert f"to {path}" in result.output
    records = records_of(path)
    assert records[0]["type"] == "warcinfo"
    assert {r["version"] for r in records} == {"WARC/1.1"}
    info = records[0]["payload"].decode()
    assert "software: Masthead" in info
    assert "format: WARC File Format 1.1" in info
    assert records[0]["headers"]["WARC-Filename"] == "site.warc.gz"
    metadata = [r for r in records if r["type"] == "metadata"]
    pairs = [r for r in records[1:] if r["type"] != "metadata"]
    # Each response (or revisit) is followed by the request it answered, as wget writes them.
    assert [r["type"] for r in pairs[1::2]] == ["request"] * (len(pairs) // 2)
    assert {r["type"] for r in pairs[::2]} <= {"response", "revisit"}
    by_digest = {}
    responses = {}
    for response, request in zip(pairs[::2], pairs[1::2], strict=True):
        uri = response["headers"]["WARC-Target-URI"]
        assert uri.startswith(BASE + "/")
        assert request["headers"]["WARC-Target-URI"] == uri
        assert request["headers"]["WARC-Concurrent-To"] == response["headers"]["WARC-Record-ID"]
        assert request["http"].protocol == "GET"
        assert request["http"].get_header("Host") == "news.example"
        datetime.fromisoformat(response["headers"]["WARC-Date"])
        assert response["headers"]["WARC-Date"] == request["headers"]["WARC-Date"]
        digest = response["headers"]["WARC-Payload-Digest"]
        assert digest.startswith("sha1:")
        if response["type"] == "revisit":
            # identical-payload-digest: the payload is the one written before under that digest
            assert response["headers"]["WARC-Profile"].endswith("/identical-payload-digest")
            response = {**response, "payload": by_digest[digest]}
        else:
            by_digest.setdefault(digest, response["payload"])
        # The latest capture of each URI is what the app answers now.
        path = uri.removeprefix(BASE)
        kept = responses.get(path)
        if kept is None or kept["headers"]["WARC-Date"] <= response["headers"]["WARC-Date"]:
            responses[path] = response
    # Each record is what the app answers for that path, headers and bytes.
    for target, response in responses.items():
        with client.get(target, headers={"Accept-Encoding": "identity"}) as served:
            assert response["payload"] == served.get_data(), target
            http = response["http"]
            assert int(http.get_statuscode()) == served.status_code, target
            for name in ("Content-Type", "ETag", "Cache-Control", "Last-Modified", "Link"):
                assert http.get_header(name) == served.headers.get(name), (target, name)
    # One metadata record per live story, about its permalink.
    assert [m["headers"]["WARC-Target-URI"] for m in metadata] == [BASE + STORY]
    paths = set(responses)
    assert {
        "/",
        "/2014/",
        "/2014/02/",
        "/2014/02/24/",
        STORY,
        STORY + "revisions/",
        STORY + "revisions/1/",
        STORY + "revisions/3/",
        STORY + "cite.json",
        STORY + "cite.bib",
        STORY + "revisions/1/cite.bib",
        "/sections/city/",
        "/tags/transport/",
        "/authors/helen-marsh/",
        "/feeds/",
        "/feeds/latest.atom",
        "/feeds/latest.rss",
        "/feeds/latest.json",
        "/sitemap.xml",
    } <= paths
    assert int(responses[STORY]["http"].get_statuscode()) == 200
    assert responses[STORY + "revisions/3/"]["http"].get_header("Memento-Datetime")
    # Every stored feed is in it; nothing only the running service answers, and no draft.
    assert {f"/feeds/{info.key}" for info in archive.renditions()} <= paths
    assert not [p for p in paths if p.startswith(("/api/", "/search", "/health"))]
    assert STORY + "revisions/2/" not in paths  # saved as a draft
    assert not [p for p in paths if "secret-plan" in p]


def test_warc_covers_what_the_static_export_writes(site, runner, app, archive, tmp_path):
    export(runner, tmp_path / "site.warc.gz")
    uris = {
        r["headers"]["WARC-Target-URI"].removeprefix(BASE)
        for r in records_of(tmp_path / "site.warc.gz")
        if r["type"] in ("response", "revisit")
    }
    written = export_site(app, archive, tmp_path / "files", now=NOW)
    for name in written.files:
        if name.endswith(".gz") or name.startswith(("search/", "pagefind/")):
            continue  # the export's own search, not an answer of the site
        folder, _, file = ("/" + name).rpartition("/")
        path = f"{folder}/" if file == "index.html" else f"/{name}"
        assert path in uris, name


def test_warc_digests_check_and_index(site, runner, tmp_path):
    path = tmp_path / "site.warc.gz"
    export(runner, path)
    checked = subprocess.run([WARCIO, "check", "-v", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    index = subprocess.run(
        [WARCIO, "index", "-f", "warc-type,warc-target-uri,offset,length", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in index.stdout.splitlines()]
    responses = [line for line in lines if line["warc-type"] == "response"]
    assert BASE + STORY in {line["warc-target-uri"] for line in responses}
    # Each indexed offset starts a record of that URI: a replay tool can seek to it.
    with path.open("rb") as stream:
        for line in responses[:5]:
            stream.seek(int(line["offset"]))
            record = next(iter(ArchiveIterator(stream)))
            assert record.rec_headers.get_header("WARC-Target-URI") == line["warc-target-uri"]


def test_uncompressed_warc_when_the_name_says_so(site, runner, tmp_path):
    path = tmp_path / "site.warc"
    export(runner, path)
    assert path.read_bytes().startswith(b"WARC/1.1\r\n")
    assert records_of(path)[0]["type"] == "warcinfo"


def test_warc_export_refuses_all_and_revisions(site, runner, tmp_path):
    for option in ("--all", "--revisions"):
        result = runner.invoke(args=["export", "--warc", option, str(tmp_path / "x.warc.gz")])
        assert result.exit_code == 2
        assert "--warc" in result.output
    assert not (tmp_path / "x.warc.gz").exists()


def test_warc_export_to_a_missing_folder_fails_naming_it(site, runner, tmp_path):
    target = tmp_path / "missing" / "site.warc.gz"
    result = runner.invoke(args=["export", "--warc", str(target)])
    assert result.exit_code == 1
    assert str(tmp_path / "missing") in result.output
    assert "Traceback" not in result.output


# --- headers that carry no control character ----------------------------------------------------

INJECTION = '<p><a href="/x&#10;WARC-Type: resource&#13;&#10;X-Injected: 1">x</a></p>'
RAW_INJECTION = '<p><a href="/y\nWARC-Type: resource\r\n\r\nX-Injected: 2" title="a\r\nb">y</a></p>'


def test_stored_html_keeps_no_control_character_in_an_attribute(archive):
    saved = archive.save(full_story(body=INJECTION + RAW_INJECTION), now=NOW)
    stored = archive.get(saved.id).body_html
    assert not re.search(r"[\x00-\x1f\x7f]", stored)
    hrefs = lxml.html.fragment_fromstring(stored, create_parent="div").xpath("//a/@href")
    assert hrefs == ["/xWARC-Type: resourceX-Injected: 1", "/yWARC-Type: resourceX-Injected: 2"]


def test_a_link_with_newlines_injects_no_warc_header_and_every_record_is_read(
    archive, settings, runner, tmp_path
):
    archive.save(full_story(body=INJECTION), now=NOW)
    other = archive.save(full_story(slug="older-body", title="Older body"), now=NOW)
    build(archive, settings)
    # A body stored before bodies were cleaned keeps its raw newlines: the export cleans them.
    with sqlite3.connect(settings.archive_path) as db:
        db.execute("UPDATE stories SET body_html = ? WHERE id = ?", [RAW_INJECTION, other.id])
    path = tmp_path / "site.warc"
    said = export(runner, path).output
    answers, stories = map(
        int, re.search(r"exported (\d+) answers.* of (\d+) stories", said).groups()
    )
    read = 0
    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
        for record in records:
            record.content_stream().read()
            read += 1
            for name, value in record.rec_headers.headers:
                assert not re.search(r"[\x00-\x1f\x7f]", name + value), (name, value)
            assert record.rec_type != "resource"
            assert record.rec_headers.get_header("X-Injected") is None
            if record.http_headers is not None:
                assert record.http_headers.get_header("X-Injected") is None
    # Every record written was read: warcinfo, a response and a request per answer, and a
    # metadata record per story; none ended warcio's reading early.
    assert read == 1 + 2 * answers + stories
    assert answers > 20
    index = subprocess.run(
        [WARCIO, "index", "-f", "warc-type,warc-target-uri", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    uris = [json.loads(line)["warc-target-uri"] for line in index.stdout.splitlines()[1:]]
    assert len(uris) == read - 1
    assert f"{BASE}/xWARC-Type:%20resourceX-Injected:%201" in uris
    assert f"{BASE}/yWARC-Type:%20resourceX-Injected:%202" in uris
