"""The public site as a WARC file (ISO 28500, WARC/1.1) for web archives: a `warcinfo` record,
then a `request` and a `response` record for every answer of the site, with its real HTTP
headers and bytes, as `masthead serve` gives them.

The answers come from the same crawl as `masthead export-site` (service/static_site.py): the app
itself is asked, from the home page, feeds and sitemaps, following the site's own links. Target
URIs are absolute, from `[site] base_url`. Writes one file; reads the archive only through the app.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import version
from io import BytesIO
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from flask import Flask
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive import Archive
from service.static_site import Answer, crawl

# What the request records say was sent: the crawl asks for every answer uncompressed.
REQUEST_HEADERS = (("Accept-Encoding", "identity"),)
# The WARC format written, as the warcinfo record names it.
CONFORMS_TO = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"


@dataclass
class WarcExport:
    """What one export wrote: how many answers, and of which statuses."""

    answers: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


def export_warc(app: Flask, archive: Archive, destination: Path, *, now: datetime) -> WarcExport:
    """Write the public site to `destination` as WARC/1.1, gzip per record unless the name ends
    in `.warc`. Every record is dated `now` (one capture of the whole site). The file appears
    only once complete; raises OSError (a full disk, a missing folder) leaving none."""
    site = app.config["MASTHEAD"].site
    base_url = site.base_url.rstrip("/")
    captured = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    done = WarcExport()
    with _replaced(destination) as out:
        writer = WARCWriter(out, gzip=not destination.name.endswith(".warc"), warc_version="1.1")
        info = {
            "software": f"Masthead {version('masthead')} (warcio {version('warcio')})",
            "format": "WARC File Format 1.1",
            "conformsTo": CONFORMS_TO,
            "isPartOf": site.title,
            "description": f"The public site of {site.title} at {base_url}/",
        }
        warcinfo = writer.create_warcinfo_record(destination.name, info)
        warcinfo.rec_headers.replace_header("WARC-Date", captured)
        writer.write_record(warcinfo)
        for answer in crawl(app, archive):
            _write_pair(writer, base_url, answer, captured)
            done.answers += 1
            done.statuses[answer.status] = done.statuses.get(answer.status, 0) + 1
    return done


def _write_pair(writer: WARCWriter, base_url: str, answer: Answer, captured: str) -> None:
    """One answer as a request record and the response record it is concurrent to."""
    uri = base_url + answer.target
    dated = {"WARC-Date": captured}
    status = f"{answer.status} {HTTPStatus(answer.status).phrase}"
    response = writer.create_warc_record(
        uri,
        "response",
        payload=BytesIO(answer.body),
        length=len(answer.body),
        warc_headers_dict=dated,
        http_headers=StatusAndHeaders(status, answer.headers, protocol="HTTP/1.1"),
    )
    sent = [("Host", urlsplit(base_url).netloc), *REQUEST_HEADERS]
    request = writer.create_warc_record(
        uri,
        "request",
        payload=BytesIO(),
        length=0,
        warc_headers_dict=dated,
        http_headers=StatusAndHeaders(
            f"GET {_request_target(base_url, answer.target)} HTTP/1.1",
            sent,
            is_http_request=True,
        ),
    )
    writer.write_request_response_pair(request, response)


def _request_target(base_url: str, target: str) -> str:
    """The request line's path: the site's path under a base URL that may have one itself."""
    return urlsplit(base_url).path.rstrip("/") + target


@contextmanager
def _replaced(destination: Path) -> Iterator[BinaryIO]:
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
