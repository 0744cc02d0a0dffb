"""The public site as a WARC file (ISO 28500, WARC/1.1) for web archives, as a timeline: a
`warcinfo` record, then a `response` (or `revisit`) and a `request` record for every answer of
the site, with its real HTTP headers and bytes, as `masthead serve` gives them.

The answers come from the same in-process crawl as `masthead export-site`
(service/export/site_answers.py). Each published revision of a story is captured as the permalink
itself, dated its Memento-Datetime (the revision's page for earlier ones, the permalink's own
answer for the current one), so replay tools show every published state of a story on their
calendar; the story's TimeMap, the 301s of its old slugs and a withdrawn story's 410 are
captured too, and a `metadata` record per story names its entry id, revisions and rights.
An answer whose payload was already written is a `revisit` record (identical-payload-digest).
Every header value is percent-encoded or cleaned to carry no control character.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import version
from io import BytesIO
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from flask import Flask
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive import Archive, PublishedStory, Story
from service import urls
from service.export.site_answers import (
    Answer,
    ExportFailed,
    Site,
    build_feeds,
    crawl,
    failure_line,
    old_permalinks,
    safe_url,
)
from service.site import memento

# What the request records say was sent: the crawl asks for every answer uncompressed.
REQUEST_HEADERS = (("Accept-Encoding", "identity"),)
# The WARC format written, as the warcinfo record names it.
CONFORMS_TO = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
# Control characters: never inside a record header or a warc-fields line.
CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass
class WarcExport:
    """What one export wrote: how many captures (answers, a story's revisions each one), of
    which statuses, how many of them revisits, and how many story timelines."""

    answers: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    revisits: int = 0
    stories: int = 0


@dataclass(frozen=True)
class Timeline:
    """A live story's published revisions as Mementos, oldest first."""

    story: Story
    mementos: list[memento.Memento]


def warc_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def export_warc(app: Flask, archive: Archive, destination: Path, *, now: datetime) -> WarcExport:
    """Write the public site to `destination` as WARC/1.1, gzip per record unless the name ends
    in `.warc`. Answers are dated `now`, but a story's revisions, which are dated when each was
    published. The file appears only once complete; raises ExportFailed (answers that must not
    be exported, each named) or OSError (a full disk, a missing folder) leaving none."""
    site = Site(app)
    settings = app.config["MASTHEAD"].site
    failures = build_feeds(app, archive, now=now)
    timelines, extra = _stories(archive, settings.base_url)
    done = WarcExport(stories=len(timelines))
    with _replaced(destination) as out:
        writer = Writer(out, destination, site, now=now)
        writer.warcinfo(settings.title)
        for answer in crawl(site, archive, extra=extra):
            if answer.is_failure:
                failures.append(failure_line(site, answer))
                continue
            timeline = timelines.get(answer.target) if answer.status == 200 else None
            if timeline is None:
                writer.capture(answer, warc_date(now))
            else:
                failures += _write_timeline(writer, site, timeline, answer)
        for timeline in timelines.values():
            writer.story_metadata(timeline)
        if failures:
            raise ExportFailed(failures)
    done.answers, done.statuses, done.revisits = writer.captures, writer.statuses, writer.revisits
    return done


def _stories(archive: Archive, base_url: str) -> tuple[dict[str, Timeline], list[str]]:
    """Every live story's timeline by permalink, and the paths the crawl must ask besides its
    links: each story's TimeMap, its old permalinks (301) and withdrawn ones (410)."""
    timelines: dict[str, Timeline] = {}
    extra: list[str] = []
    for story in archive.all_stories():
        # A public story has a permalink and a publication time (a live one, and the tombstone
        # of one that left); a row damaged out of them has no address to crawl.
        if not isinstance(story, PublishedStory):
            continue
        if story.status == "withdrawn" or story.withdrawn_at is not None:
            extra.append(story.path)
            continue
        times = archive.public_revision_times(story.id)
        timelines[story.path] = Timeline(story, memento.mementos_of(story.path, times, base_url))
        extra += [f"{story.path}timemap/", *old_permalinks(archive, story)]
    return timelines, list(dict.fromkeys(extra))


def _write_timeline(writer: Writer, site: Site, timeline: Timeline, current: Answer) -> list[str]:
    """The permalink as each published revision showed it, each dated its Memento-Datetime."""
    failures = []
    mementos = timeline.mementos
    for earlier in mementos[:-1]:
        page = site.ask(urlsplit(earlier.url).path)
        if page.status != 200:
            failures.append(failure_line(site, page))
            continue
        writer.capture(page, warc_date(earlier.saved_at), target=current.target)
    last = warc_date(mementos[-1].saved_at) if mementos else writer.now
    writer.capture(current, last)
    return failures


class Writer:
    """Records of one WARC file: request/response pairs, revisits, metadata."""

    def __init__(self, out: IO[bytes], destination: Path, site: Site, *, now: datetime):
        self.writer = WARCWriter(
            out, gzip=not destination.name.endswith(".warc"), warc_version="1.1"
        )
        self.name = destination.name
        self.site = site
        self.now = warc_date(now)
        self.host = urlsplit(site.url("/")).netloc
        self.first: dict[str, tuple[str, str]] = {}  # payload digest -> (URI, date) written
        self.captures = 0
        self.statuses: dict[int, int] = {}
        self.revisits = 0

    def warcinfo(self, title: str) -> None:
        info = {
            "software": f"Masthead {version('masthead')} (warcio {version('warcio')})",
            "format": "WARC File Format 1.1",
            "conformsTo": CONFORMS_TO,
            "isPartOf": clean(title),
            "description": clean(f"The public site of {title} at {self.site.url('/')}"),
        }
        record = self.writer.create_warcinfo_record(clean(self.name), info)
        record.rec_headers.replace_header("WARC-Date", self.now)
        self.writer.write_record(record)

    def capture(self, answer: Answer, captured: str, *, target: str | None = None) -> None:
        """One answer as a response (a revisit when its payload was written before) and the
        request record concurrent to it; `target` when it is captured under another path."""
        target = target or answer.target
        uri = safe_url(self.site.url(target))
        dated = {"WARC-Date": captured}
        status = f"{answer.status} {HTTPStatus(answer.status).phrase}"
        http = StatusAndHeaders(status, _clean_headers(answer.headers), protocol="HTTP/1.1")
        digest = payload_digest(answer.body)
        seen = self.first.get(digest) if answer.body and answer.status == 200 else None
        if seen is None:
            response = self.writer.create_warc_record(
                uri,
                "response",
                payload=BytesIO(answer.body),
                length=len(answer.body),
                warc_headers_dict=dated,
                http_headers=http,
            )
            if answer.body and answer.status == 200:
                self.first[digest] = (uri, captured)
        else:
            response = self.writer.create_revisit_record(
                uri, digest, seen[0], seen[1], http_headers=http, warc_headers_dict=dated
            )
            self.revisits += 1
        path = urlsplit(uri)
        line = (path.path or "/") + (f"?{path.query}" if path.query else "")
        request = self.writer.create_warc_record(
            uri,
            "request",
            payload=BytesIO(),
            length=0,
            warc_headers_dict=dated,
            http_headers=StatusAndHeaders(
                f"GET {line} HTTP/1.1",
                [("Host", self.host), *REQUEST_HEADERS],
                is_http_request=True,
            ),
        )
        self.writer.write_request_response_pair(request, response)
        self.captures += 1
        self.statuses[answer.status] = self.statuses.get(answer.status, 0) + 1

    def story_metadata(self, timeline: Timeline) -> None:
        """A metadata record (application/warc-fields) about a story: entry id, revisions,
        rights, under the permalink's URI."""
        story = timeline.story
        permalink = urls.story_url(self.site.settings, story)
        fields = [("entry-id", story.entry_id or ""), ("permalink", permalink)]
        for moment in timeline.mementos:
            fields.append(
                ("revision", f"{moment.number} {warc_date(moment.saved_at)} {moment.url}")
            )
        rights = story.rights
        if rights is not None:
            fields += [
                ("rights-holder", rights.holder),
                ("rights-statement", rights.statement),
                ("license", rights.license_url or ""),
            ]
        fields.append(("syndication", story.syndication))
        text = "".join(f"{name}: {clean(value)}\r\n" for name, value in fields if value)
        when = warc_date(timeline.mementos[-1].saved_at) if timeline.mementos else self.now
        record = self.writer.create_warc_record(
            safe_url(urls.story_url(self.site.settings, story)),
            "metadata",
            payload=BytesIO(text.encode()),
            length=len(text.encode()),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Date": when},
        )
        self.writer.write_record(record)


def payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest warcio writes: SHA-1, base32."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()  # noqa: S324


def clean(value: str) -> str:
    """A header or warc-fields value with every run of control characters made one space."""
    return CONTROL.sub(" ", value).strip()


def _clean_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(clean(name), clean(value)) for name, value in headers]


@contextmanager
def _replaced(destination: Path) -> Iterator[IO[bytes]]:
    """A temporary file beside `destination`, given its name only when the block succeeds."""
    with tempfile.NamedTemporaryFile(
        dir=destination.parent, prefix=".warc-", delete=False
    ) as handle:
        try:
            yield handle
        except BaseException:
            handle.close()
            Path(handle.name).unlink(missing_ok=True)
            raise
    os.chmod(handle.name, 0o644)
    os.replace(handle.name, destination)
