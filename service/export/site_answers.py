"""The public site asked of the app itself, in process: what `export-site`, `export --warc` and
`export --bag` hold. Asks the app; writes nothing but the feeds a live site would have built.

Each request goes through the whole WSGI pipeline (feeds, page cache, Flask) as a reader's does,
marked as Masthead's own (`ratelimit.INTERNAL_CALLER`, an object no request from outside can
carry), so the request limit readers share never refuses the export. Any answer a reader should
never get (a 5xx, a 429, a page that fails to render) is a failure: the export names its URL
and keeps nothing it wrote.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import Flask
from lxml import etree, html

from archive import Archive, SavedStory
from service import urls
from service.feeds import renditions
from service.wsgi import ratelimit

log = logging.getLogger("masthead.export")

# Where every crawl starts; links found on these lead to everything else.
ROOTS = ("/", "/feeds/", "/feeds.opml", "/sitemap.xml", "/robots.txt")
# Paths only the running service can answer.
DYNAMIC = ("/api/", "/search", "/health")
# What the export asks as: the one marker the request limit lets through, and no compression.
INTERNAL_ENVIRON = {ratelimit.INTERNAL: ratelimit.INTERNAL_CALLER}
PLAIN = {"Accept-Encoding": "identity"}
# WHATWG URL parsing: C0 controls and spaces around a URL are dropped, tabs and newlines
# anywhere in it are ignored; what serialisation percent-encodes of the rest (controls, space,
# DEL, quotes and angle brackets, backtick, braces, every non-ASCII character).
URL_ENDS = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
URL_IGNORED = re.compile(r"[\t\n\r]")
URL_ENCODED = re.compile(r'[\x00-\x20\x7f"<>`{}]|[^\x00-\x7f]')


@dataclass(frozen=True)
class Answer:
    """What the app answered for one site path (with its query), as a reader would get it."""

    target: str
    status: int
    headers: list[tuple[str, str]]
    mimetype: str
    body: bytes

    @property
    def is_failure(self) -> bool:
        """An answer no reader should get: the site failed (5xx) or refused (429)."""
        return self.status >= 500 or self.status == 429

    def header(self, name: str) -> str | None:
        return next((v for n, v in self.headers if n.lower() == name.lower()), None)


class ExportFailed(Exception):
    """The site gave answers an export must not hold; `failures` names each URL and answer."""

    def __init__(self, failures: list[str]):
        self.failures = failures
        shown = "\n".join(f"  {line}" for line in failures[:50])
        more = f"\n  ... and {len(failures) - 50} more" if len(failures) > 50 else ""
        super().__init__(
            f"{len(failures)} answers of the site failed; nothing was exported:\n{shown}{more}"
        )


class Site:
    """The app asked in process as Masthead's own caller."""

    def __init__(self, app: Flask):
        self.app = app
        self.settings = app.config["MASTHEAD"].site
        self.client = app.test_client()

    def ask(self, target: str, headers: dict[str, str] | None = None) -> Answer:
        """The app's answer to a GET of `target`; a render error that escapes every layer is
        answered as the 500 a server would send."""
        try:
            with self.client.get(
                target, headers=headers or PLAIN, environ_overrides=INTERNAL_ENVIRON
            ) as response:
                return Answer(
                    target,
                    response.status_code,
                    list(response.headers.items()),
                    response.mimetype or "",
                    response.get_data(),
                )
        except Exception as error:
            log.exception("rendering %s failed", target)
            return Answer(
                target, 500, [], "text/plain", f"{type(error).__name__}: {error}".encode()
            )

    def url(self, target: str) -> str:
        return urls.site_url(self.settings, target)


def build_feeds(app: Flask, archive: Archive, *, now: datetime) -> list[str]:
    """Build the feeds a live site would serve and the archive does not hold yet (or holds from
    older stories), as `masthead serve` does at its start. Returns a failure line per feed that
    could not be built."""
    outcome = renditions.rebuild(archive, app.config["MASTHEAD"], now=now)
    return [
        f"feed {scope}: could not be built (see `masthead feeds list`)" for scope in outcome.failed
    ]


def old_permalinks(archive: Archive, story: SavedStory) -> list[str]:
    """The permalinks a story had while public before its slug or date changed (each answers
    301 to the current one)."""
    old = []
    for revision in archive.history(story.id, published_only=True):
        path = revision.snapshot.get("path")
        if path and path != story.path and path not in old:
            old.append(path)
    return old


def crawl(
    site: Site,
    archive: Archive,
    *,
    wanted: Callable[[str], bool] = lambda target: True,
    extra: Iterable[str] = (),
) -> Iterator[Answer]:
    """Every answer of the public site: from the roots, every stored feed, every static file and
    `extra`, following the site's own links in each answer of 200. `wanted(target)` decides
    whether a path met is asked for at all."""
    feeds = [f"/feeds/{info.key}" for info in archive.renditions()]
    queue = deque(
        dict.fromkeys([*ROOTS, *feeds, *(f"/static/{p}" for p in _static_files(site.app)), *extra])
    )
    seen: set[str] = set(queue)
    while queue:
        target = queue.popleft()
        if not wanted(target):
            continue
        answer = site.ask(target)
        yield answer
        if answer.status != 200:
            continue
        for link in _links(answer.body, answer.mimetype, site.url("/")):
            if link not in seen and not link.startswith(DYNAMIC):
                seen.add(link)
                queue.append(link)


def safe_url(url: str) -> str:
    """A URL as a browser's WHATWG URL serialisation writes it: no control character, space or
    non-ASCII character left, so it is safe in an HTTP or WARC header line."""
    url = URL_IGNORED.sub("", URL_ENDS.sub("", url))
    return URL_ENCODED.sub(
        lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8", "replace")), url
    )


def failure_line(site: Site, answer: Answer) -> str:
    """`URL: status (what the answer says)`, for the command's report."""
    said = ""
    if answer.mimetype == "text/html" and answer.body:
        tree = html.fromstring(answer.body)
        said = " ".join(tree.xpath("normalize-space(string(//h1))").split())
    elif answer.body:
        said = answer.body[:200].decode("utf-8", "replace").strip().split("\n")[0]
    return f"{site.url(answer.target)}: {answer.status}" + (f" ({said[:160]})" if said else "")


def _static_files(app: Flask) -> Iterator[str]:
    if app.static_folder is None:
        return
    folder = Path(app.static_folder)
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path.relative_to(folder).as_posix()


def _links(body: bytes, mimetype: str, home_url: str) -> Iterator[str]:
    """The site's own paths (with their query) a page, sitemap, feed or OPML links to, the
    absolute links among them those under `home_url` (the site's /)."""
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
        link = safe_url(str(link))
        if link.startswith(home_url):
            link = link[len(home_url) - 1 :]
        if link.startswith("/") and not link.startswith("//"):
            yield link.split("#", 1)[0]
