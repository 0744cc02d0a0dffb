"""The public site as files: every page, feed, sitemap and asset under the path it is served at.

`export_site` asks the app itself for each answer (through the test client, as a reader would),
starting from the home page, the feed directory, the sitemaps and every stored feed, and following
every link of the site it meets (`crawl`, which `masthead export --warc` shares). So the files are
the bytes `masthead serve` answers, whatever a page or a feed holds. Written for any static
host or object store:

- a path ending in `/` is written as `index.html` in that folder; `?page=N` of a list as
  `page-N.html` beside it (`nginx_static_location` maps the query back);
- each text file has a gzip copy beside it (`.gz`, feeds from their stored gzip bytes) for hosts
  that serve precompressed files (nginx `gzip_static`);
- only answers of 200 are written: search and the write API need the service, and a withdrawn
  story's tombstone (410) is left to it;
- a second run writes only the files whose bytes changed and removes those no longer served,
  as listed in `MANIFEST` from the run before; a file it did not write is never removed.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from lxml import etree, html

from archive import Archive

# The list of files the last export wrote, relative to its folder.
MANIFEST = ".masthead-export.json"
# Where every crawl starts; links found on these lead to everything else.
ROOTS = ("/", "/feeds/", "/feeds.opml", "/sitemap.xml", "/robots.txt", "/static/feed.xsl")
# Paths only the running service can answer.
DYNAMIC = ("/api/", "/search", "/health")
# Types worth a precompressed copy.
TEXT_TYPES = ("text/", "application/xml", "application/xslt+xml", "+xml", "json", "opml")


@dataclass
class Export:
    """What one export did: files written, files already up to date, and files removed."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # path -> status not exported

    @property
    def files(self) -> list[str]:
        return sorted(self.written + self.unchanged)


def file_for(path: str, query: str = "") -> str | None:
    """The file (relative to the export folder) a site path and query are written to; None when
    the answer cannot be a static file (another query, a path that climbs out)."""
    page = parse_qs(query).get("page", [""])[0] if query else ""
    if query and (set(parse_qs(query)) != {"page"} or not page.isdigit()):
        return None
    parts = PurePosixPath(path).parts[1:]
    if ".." in parts or not path.startswith("/"):
        return None
    name = "/".join(parts)
    if path.endswith("/"):
        name = f"{name}/" if name else ""
        return f"{name}page-{int(page)}.html" if page and int(page) > 1 else f"{name}index.html"
    return None if page else name


@dataclass(frozen=True)
class Answer:
    """What the app answered for one site path (with its query), as a reader would get it."""

    target: str
    status: int
    headers: list[tuple[str, str]]
    mimetype: str
    body: bytes


def crawl(
    app: Flask, archive: Archive, *, wanted: Callable[[str], bool] = lambda target: True
) -> Iterator[Answer]:
    """Every answer of the public site, asked of the app itself (uncompressed): from the roots,
    every stored feed and every static file, following the site's own links in each answer of
    200. `wanted(target)` decides whether a path met is asked for at all."""
    base_url = app.config["MASTHEAD"].site.base_url.rstrip("/")
    client = app.test_client()
    feeds = [f"/feeds/{info.key}" for info in archive.renditions()]
    queue = deque([*ROOTS, *feeds, *(f"/static/{p}" for p in _static_files(app))])
    seen: set[str] = set(queue)
    while queue:
        target = queue.popleft()
        if not wanted(target):
            continue
        with client.get(target, headers={"Accept-Encoding": "identity"}) as response:
            answer = Answer(
                target,
                response.status_code,
                list(response.headers.items()),
                response.mimetype,
                response.get_data(),
            )
        yield answer
        if answer.status != 200:
            continue
        for link in _links(answer.body, answer.mimetype, base_url):
            if link not in seen and not link.startswith(DYNAMIC):
                seen.add(link)
                queue.append(link)


def export_site(app: Flask, archive: Archive, destination: Path) -> Export:
    """Write the public site under `destination`; see the module's description."""
    destination.mkdir(parents=True, exist_ok=True)
    previous = _manifest(destination)
    done = Export()
    client = app.test_client()
    named: set[str] = set()
    file_of: dict[str, str] = {}  # target -> the file it is written to

    def wanted(target: str) -> bool:
        parts = urlsplit(target)
        name = file_for(parts.path, parts.query)
        if name is None or name in named:
            return False  # not a file, or one already written (`/2014/` and `/2014/?page=1`)
        named.add(name)
        file_of[target] = name
        return True

    for answer in crawl(app, archive, wanted=wanted):
        if answer.status != 200:
            done.skipped[answer.target] = answer.status
            continue
        name = file_of[answer.target]
        _save(destination, name, answer.body, done)
        if _is_text(answer.mimetype):
            packed = _stored_gzip(client, answer.target) or gzip.compress(answer.body, mtime=0)
            _save(destination, f"{name}.gz", packed, done)
    for stale in sorted(set(previous) - set(done.files)):
        (destination / stale).unlink(missing_ok=True)
        done.removed.append(stale)
    _write_if_changed(destination / MANIFEST, json.dumps(done.files, indent=0).encode())
    return done


def _save(destination: Path, name: str, body: bytes, done: Export) -> None:
    if _write_if_changed(destination / name, body):
        done.written.append(name)
    else:
        done.unchanged.append(name)


def _write_if_changed(path: Path, body: bytes) -> bool:
    """Write `body` to `path` atomically unless it already holds exactly these bytes."""
    try:
        if path.read_bytes() == body:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".export-", delete=False) as temp:
        temp.write(body)
    os.chmod(temp.name, 0o644)
    os.replace(temp.name, path)
    return True


def _manifest(destination: Path) -> list[str]:
    try:
        listed = json.loads((destination / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [name for name in listed if isinstance(name, str) and file_for("/" + name) is not None]


def _stored_gzip(client, target: str) -> bytes | None:
    """A feed's stored gzip bytes (feeds are answered gzip from storage, never compressed)."""
    if not target.startswith("/feeds/") or target.endswith("/"):
        return None
    with client.get(target, headers={"Accept-Encoding": "gzip"}) as response:
        packed = response.headers.get("Content-Encoding") == "gzip"
        return response.get_data() if packed else None


def _static_files(app: Flask) -> Iterator[str]:
    folder = Path(app.static_folder)
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path.relative_to(folder).as_posix()


def _is_text(mimetype: str) -> bool:
    return any(kind in mimetype for kind in TEXT_TYPES)


def _links(body: bytes, mimetype: str, base_url: str) -> Iterator[str]:
    """The site's own paths (with their query) a page, sitemap, feed or OPML links to."""
    if mimetype == "text/html":
        tree = html.fromstring(body)
        found = tree.xpath("//a/@href | //link/@href | //img/@src | //script/@src")
    elif "xml" in mimetype or "opml" in mimetype:
        try:
            tree = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            return
        found = tree.xpath(
            "//*[local-name()='loc']/text() | //*[local-name()='link']/@href"
            " | //*[local-name()='link' and not(@href)]/text()"
            " | //@xmlUrl | //@htmlUrl | //*[local-name()='archive']/@href"
        )
    elif mimetype == "text/plain":  # robots.txt: "Sitemap: URL"
        lines = body.decode().splitlines()
        found = [line.split(":", 1)[1] for line in lines if line.lower().startswith("sitemap:")]
    else:
        return
    for link in found:
        link = str(link).strip()
        if link.startswith(base_url + "/"):
            link = link[len(base_url) :]
        if link.startswith("/") and not link.startswith("//"):
            yield link.split("#", 1)[0]


def nginx_static_location(folder: Path) -> str:
    """An nginx server block part serving an export folder as `masthead serve` would."""
    return f"""    root {folder};
    index index.html;
    gzip_static on;
    types {{
        text/html html;
        text/css css;
        text/plain txt;
        image/png png;
        application/atom+xml atom;
        application/rss+xml rss;
        application/feed+json json;
        text/x-opml opml;
        application/xml xml;
        application/xslt+xml xsl;
        application/x-bibtex bib;
        application/x-research-info-systems ris;
    }}
    default_type application/octet-stream;
    location / {{
        # ?page=N of a list is the file page-N.html in the list's folder.
        try_files $uri/page-$arg_page.html $uri $uri/index.html =404;
    }}
    # A story's TimeMap (RFC 7089) is link-format, kept as the folder's index.html.
    location ~ /timemap/$ {{
        types {{ }}
        default_type application/link-format;
        try_files $uri/index.html =404;
    }}
    # A citation as CSL-JSON; every other .json file is a JSON Feed.
    location ~ /cite\\.json$ {{
        types {{ }}
        default_type application/vnd.citationstyles.csl+json;
    }}
"""
