"""The WARC as a timeline, replayed by pywb: every published revision of a story is a memento
of its permalink, dated when it was published; old slugs' 301s, a tombstone's 410, TimeMaps,
revisits and a metadata record per story are in it, and `warcio index` reads every record.

pywb runs as its own `wayback` server on 127.0.0.1 and a free port, stopped by the test.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from werkzeug.http import http_date

from tests.support.feeds import build
from tests.support.live import free_port
from tests.support.stories import NOW, SYNDICATED, make_story

BIN = Path(sys.executable).parent
BASE = "https://news.example"
DEKS = ["First dek.", "Second dek.", "Third dek."]


@pytest.fixture
def timeline(archive, settings):
    """A story published, edited, drafted, edited with a new slug; and one withdrawn."""
    times = [NOW, NOW + timedelta(days=1), NOW + timedelta(days=3)]
    story = archive.save(make_story(SYNDICATED, slug="bridge", dek=DEKS[0]), now=times[0])
    story = archive.save(story.replace(dek=DEKS[1]), now=times[1])
    story = archive.save(story.replace(status="draft", dek="Never public."), now=NOW + timedelta(2))
    story = archive.save(
        story.replace(status="published", dek=DEKS[2], slug="bridge-reopens"), now=times[2]
    )
    gone = archive.save(make_story(SYNDICATED, slug="ferry", title="Ferry sinks"), now=NOW)
    archive.withdraw(gone.id, reason="Published in error.", now=NOW + timedelta(days=1))
    build(archive, settings, now=NOW + timedelta(days=4))
    return story, times, gone


class Wayback:
    """pywb's `wayback` over one collection holding one WARC, in `folder`."""

    def __init__(self, folder: Path, warc: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        for args in (["init", "masthead"], ["add", "masthead", str(warc)]):
            subprocess.run([BIN / "wb-manager", *args], cwd=folder, check=True, capture_output=True)

    def __enter__(self) -> Wayback:
        self.log = (self.folder / "wayback.log").open("wb")
        self.process = subprocess.Popen(
            [BIN / "wayback", "-p", str(self.port), "-b", "127.0.0.1"],
            cwd=self.folder,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.folder / "wayback.log").read_text()
            try:
                urllib.request.urlopen(self.url + "/masthead/cdx?url=x", timeout=2).close()
                return self
            except urllib.error.HTTPError:
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("pywb did not answer")

    def __exit__(self, *_exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=20) as response:
            return response.read().decode()

    def captures(self, url: str) -> list[dict]:
        text = self.get(f"/masthead/cdx?url={url}&output=json")
        return [json.loads(line) for line in text.splitlines()]


def test_pywb_lists_each_published_revision_as_a_memento_of_the_permalink(
    timeline, runner, tmp_path
):
    story, times, gone = timeline
    warc = tmp_path / "site.warc.gz"
    said = runner.invoke(args=["export", "--warc", str(warc)])
    assert said.exit_code == 0, said.output
    permalink = BASE + story.path
    with Wayback(tmp_path, warc) as wayback:
        timemap = wayback.get(f"/masthead/timemap/link/{permalink}")
        mementos = re.findall(r'rel="memento"; datetime="([^"]+)"', timemap)
        # Three published revisions, three mementos, each dated when it was published (the
        # draft between them never was public).
        assert mementos == [http_date(moment) for moment in times]
        for moment, dek in zip(times, DEKS, strict=True):
            stamp = moment.strftime("%Y%m%d%H%M%S")
            page = wayback.get(f"/masthead/{stamp}mp_/{permalink}")
            assert dek in page, stamp
        old = wayback.captures(f"{BASE}/2026/11/20/bridge/")
        assert [c["status"] for c in old] == ["301"]
        assert [c["status"] for c in wayback.captures(BASE + gone.path)] == ["410"]
        timemaps = wayback.captures(f"{permalink}timemap/")
        assert [c["mime"] for c in timemaps] == ["application/link-format"]


def test_warcio_indexes_every_record_with_revisits_and_story_metadata(timeline, runner, tmp_path):
    story, times, _ = timeline
    warc = tmp_path / "site.warc.gz"
    said = runner.invoke(args=["export", "--warc", str(warc)])
    answers, stories = map(
        int, re.search(r"exported (\d+) answers.* of (\d+) stories", said.output).groups()
    )
    index = subprocess.run(
        [BIN / "warcio", "index", "-f", "warc-type,warc-target-uri,warc-date", str(warc)],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in index.stdout.splitlines()]
    assert len(lines) == 1 + 2 * answers + stories
    with warc.open("rb") as stream:
        assert sum(1 for _ in ArchiveIterator(stream)) == len(lines)
    kinds = [line["warc-type"] for line in lines]
    assert "revisit" in kinds  # a revision page's payload is the permalink's of its time
    [metadata] = [line for line in lines if line["warc-type"] == "metadata"]
    assert metadata["warc-target-uri"] == BASE + story.path
    with warc.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "metadata":
                fields = record.content_stream().read().decode()
                break
    assert f"entry-id: {story.entry_id}" in fields
    assert fields.count("revision: ") == 3
    assert "rights-holder: Masthead" in fields
    assert "license: https://creativecommons.org/licenses/by/4.0/" in fields
    # Each capture of the permalink is dated its revision's Memento-Datetime.
    dates = [
        line["warc-date"] for line in lines if line.get("warc-target-uri") == BASE + story.path
    ]
    assert sorted(set(dates)) == [moment.strftime("%Y-%m-%dT%H:%M:%SZ") for moment in times]
