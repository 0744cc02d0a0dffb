"""The public site as files: every page, feed, sitemap and asset under the path it is served at.

`export_site` asks the app itself for each answer, in process (service/export/site_answers.py: the
whole pipeline, never the request limit), from the home page, the feed directory, the sitemaps
and every feed, following every link of the site it meets. So the files are the bytes
`masthead serve` answers. Written for any static host or object store:

- a path ending in `/` is written as `index.html` in that folder (lists page by path,
  `/sections/sport/page/2/`, so every page is a folder's index);
- each text file has a gzip copy beside it (`.gz`, feeds from their stored gzip bytes) for hosts
  that serve precompressed files (nginx `gzip_static`);
- only answers of 200 are written, and for an old permalink (301) a page that leads to the
  new one (canonical link and refresh), since static hosts send no redirects of their own; the
  write API needs the service, and a withdrawn story's tombstone (410) is left to it; a 5xx or
  429 fails the whole export, naming each URL;
- `search/index.html` answers the pages' search form without a server, from a Pagefind index
  of the story pages (service/export/static_search.py).

The export is written into a new folder beside DIR and put in DIR's place only once complete,
so a failed export leaves the one before as it was. Files whose bytes did not change are
linked from the previous export (their times kept, for rsync and object-store syncs); files
in DIR that no export wrote are carried over. Nothing outside DIR is ever written, followed or
removed: links inside DIR are never followed, `MANIFEST` entries count only as relative paths
under DIR, and a non-empty DIR holding no earlier export is refused unless forced.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from flask import Flask

from archive import Archive
from service.export import static_search
from service.export.site_answers import (
    Answer,
    ExportFailed,
    Site,
    build_feeds,
    crawl,
    failure_line,
    old_permalinks,
)
from service.wsgi.http import CONTENT_SECURITY_POLICY, SECURITY_HEADERS

# The list of files the last export wrote, relative to its folder.
MANIFEST = ".masthead-export.json"
# Types worth a precompressed copy.
TEXT_TYPES = ("text/", "application/xml", "+xml", "json", "opml")


class ExportRefused(Exception):
    """DIR cannot take an export: it holds something that is not an earlier one."""


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
    """The file (relative to the export folder) a site path is written to; None when the answer
    cannot be a static file (a query, a path that climbs out)."""
    if query or not path.startswith("/") or "\\" in path or "\0" in path:
        return None
    parts = path[1:].split("/")
    if any(part in (".", "..") for part in parts) or "" in parts[:-1]:
        return None
    return path[1:] + "index.html" if path.endswith("/") else path[1:]


def relative_name(entry: object) -> str | None:
    """A manifest entry as a path under the export folder, or None when it is anything else
    (absolute, `//host/...`, climbing out with `..`, empty parts, a NUL)."""
    if not isinstance(entry, str) or not entry or "\0" in entry or "\\" in entry:
        return None
    parts = entry.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    return str(PurePosixPath(*parts))


def export_site(
    app: Flask, archive: Archive, destination: Path, *, now: datetime, force: bool = False
) -> Export:
    """Write the public site as files into `destination`; see the module's description.

    Raises ExportRefused (DIR holds something else), ExportFailed (answers that must not be
    exported, each named) or OSError, leaving DIR as it was."""
    destination = destination.resolve()  # DIR itself may be a link; nothing inside it is
    previous = _previous_export(destination, force=force)
    destination.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=destination.parent, prefix=f".{destination.name}.new-"))
    try:
        done = _write_export(app, archive, destination, building, now=now)
        done.removed = sorted(set(previous) - set(done.files))
        _carry_over(destination, building, set(previous) | set(done.files) | {MANIFEST})
        (building / MANIFEST).write_text(json.dumps(done.files, indent=0), encoding="utf-8")
        os.chmod(building, 0o755)  # noqa: S103 (a public web folder, as mkdir would make it)
        _swap(building, destination)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return done


def _write_export(
    app: Flask, archive: Archive, destination: Path, building: Path, *, now: datetime
) -> Export:
    site = Site(app)
    failures = build_feeds(app, archive, now=now)
    done = Export()
    named: set[str] = set()
    file_of: dict[str, str] = {}  # target -> the file it is written to

    def wanted(target: str) -> bool:
        parts = urlsplit(target)
        name = file_for(parts.path, parts.query)
        if name is None or name in named:
            return False  # not a file, or one already written
        named.add(name)
        file_of[target] = name
        return True

    moved = [path for story in archive.all_stories() for path in old_permalinks(archive, story)]
    for answer in crawl(site, archive, wanted=wanted, extra=moved):
        if answer.is_failure:
            failures.append(failure_line(site, answer))
            continue
        if answer.status == 301 and answer.target in moved:
            _save(destination, building, file_of[answer.target], moved_page(site, answer), done)
            continue
        if answer.status != 200:
            done.skipped[answer.target] = answer.status
            continue
        name = file_of[answer.target]
        _save(destination, building, name, answer.body, done)
        if _is_text(answer.mimetype):
            packed = _stored_gzip(site, answer.target) or gzip.compress(answer.body, mtime=0)
            _save(destination, building, f"{name}.gz", packed, done)
    if failures:
        raise ExportFailed(failures)
    for name, body in static_search.search_files(site, building).items():
        _save(destination, building, name, body, done)
    return done


def moved_page(site: Site, answer: Answer) -> bytes:
    """A page standing for an old permalink's 301 on hosts that send no redirects of their own:
    it names the new address, as canonical, and browsers go there at once."""
    location = answer.header("Location") or "/"
    where = escape(site.url(location) if location.startswith("/") else location)
    return (
        '<!doctype html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        f'<title>Moved</title>\n<link rel="canonical" href="{where}">\n'
        '<meta name="robots" content="noindex">\n'
        f'<meta http-equiv="refresh" content="0; url={where}">\n</head>\n'
        f'<body><p>This story moved to <a href="{where}">{where}</a>.</p></body>\n</html>\n'
    ).encode()


def _previous_export(destination: Path, *, force: bool) -> list[str]:
    """The files the export in `destination` wrote (none for a new or empty folder).
    Raises ExportRefused for a folder holding anything else, unless `force`."""
    if not destination.exists():
        return []
    if not destination.is_dir():
        raise ExportRefused(f"{destination} is not a folder")
    manifest = destination / MANIFEST
    if manifest.is_symlink() or not manifest.is_file():
        if any(destination.iterdir()) and not force:
            raise ExportRefused(
                f"{destination} is not empty and holds no earlier export ({MANIFEST}); "
                "choose an empty folder, or --force to export into it (its files are kept)"
            )
        return []
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        listed = []
    names = [relative_name(entry) for entry in listed] if isinstance(listed, list) else []
    return [name for name in names if name is not None]


def _save(destination: Path, building: Path, name: str, body: bytes, done: Export) -> None:
    """Write `name` into the new export: linked from the previous one when its bytes are the
    same (a regular file reached through no link), else written."""
    target = building / name
    target.parent.mkdir(parents=True, exist_ok=True)
    old = _regular_file(destination, name)
    if old is not None and old.stat().st_size == len(body) and old.read_bytes() == body:
        try:
            os.link(old, target)
            done.unchanged.append(name)
            return
        except OSError:
            pass  # another file system, or no hard links: written below
    target.write_bytes(body)
    os.chmod(target, 0o644)
    done.written.append(name)


def _regular_file(folder: Path, name: str) -> Path | None:
    """`folder/name` when every part of it under `folder` is a real folder or file, no link."""
    path = folder
    for part in PurePosixPath(name).parts:
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return None
        if stat.S_ISLNK(mode):
            return None
    return path if stat.S_ISREG(mode) else None


def _carry_over(destination: Path, building: Path, exported: set[str]) -> None:
    """Move what DIR holds that no export wrote into the new export, as it is (a link stays a
    link, never followed); what an export wrote there is left to go with the old folder."""
    if not destination.is_dir():
        return
    for relative in _own_entries(destination, ""):
        if relative in exported:
            continue
        target = building / relative
        if target.exists() or target.is_symlink() or not _is_folder_in(building, target.parent):
            continue  # the new export has its own file there
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(destination / relative, target)


def _own_entries(root: Path, prefix: str) -> Iterator[str]:
    """Every file and link under `root` (relative, folders walked without following links)."""
    with os.scandir(root / prefix if prefix else root) as entries:
        listed = sorted(entries, key=lambda entry: entry.name)
    for entry in listed:
        relative = f"{prefix}/{entry.name}" if prefix else entry.name
        if entry.is_dir(follow_symlinks=False):
            yield from _own_entries(root, relative)
        else:
            yield relative


def _is_folder_in(root: Path, folder: Path) -> bool:
    """Whether `folder` under `root` is a folder or could be made one (no file in its way)."""
    path = folder
    while path != root:
        if path.exists() and not path.is_dir():
            return False
        path = path.parent
    return True


def _swap(building: Path, destination: Path) -> None:
    """Put the finished export in DIR's place; the old one is removed (links in it unlinked,
    never followed)."""
    if not destination.exists():
        os.rename(building, destination)
        return
    retired = destination.with_name(f".{destination.name}.old-{secrets.token_hex(4)}")
    os.rename(destination, retired)
    os.rename(building, destination)
    shutil.rmtree(retired, ignore_errors=True)


def _stored_gzip(site: Site, target: str) -> bytes | None:
    """A feed's stored gzip bytes (feeds are answered gzip from storage, never compressed)."""
    if not target.startswith("/feeds/") or target.endswith("/"):
        return None
    answer = site.ask(target, {"Accept-Encoding": "gzip"})
    return answer.body if answer.header("Content-Encoding") == "gzip" else None


def _is_text(mimetype: str) -> bool:
    return any(kind in mimetype for kind in TEXT_TYPES)


def _headers(policy: str, indent: str) -> str:
    """nginx add_header lines: Masthead's security headers with this Content-Security-Policy
    (a location with add_header of its own inherits none from the server block)."""
    sent = [
        *SECURITY_HEADERS,
        ("Content-Security-Policy", policy),
        ("X-Frame-Options", "SAMEORIGIN"),
    ]
    return "".join(f'{indent}add_header {name} "{value}" always;\n' for name, value in sent)


def nginx_static_location(folder: Path) -> str:
    """An nginx server block part serving an export folder as `masthead serve` would, with the
    same security headers."""
    # Pagefind's search runs WebAssembly: the search page alone may compile it.
    search_policy = CONTENT_SECURITY_POLICY.replace(
        "script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'"
    )
    return f"""    root {folder};
    index index.html;
    gzip_static on;
    types {{
        text/html html;
        text/css css;
        text/javascript js mjs;
        application/wasm wasm;
        text/plain txt;
        image/png png;
        application/atom+xml atom;
        application/rss+xml rss;
        application/feed+json json;
        text/x-opml opml;
        application/xml xml;
        application/x-bibtex bib;
        application/x-research-info-systems ris;
    }}
    default_type application/octet-stream;
{_headers(CONTENT_SECURITY_POLICY, "    ")}    location / {{
        # Lists page by path; the query form of older links moves there, as Masthead answers.
        if ($arg_page = "1") {{
            rewrite ^(.*)$ $1? permanent;
        }}
        if ($arg_page ~ "^[0-9]+$") {{
            rewrite ^(.*?)/?$ $1/page/$arg_page/? permanent;
        }}
        try_files $uri $uri/index.html =404;
    }}
    location /search {{
{_headers(search_policy, "        ")}        try_files $uri $uri/index.html =404;
    }}
    location /pagefind/ {{
{_headers(search_policy, "        ")}    }}
    # A story's TimeMap (RFC 7089) is link-format, kept as the folder's index.html.
    location ~ /timemap/$ {{
        types {{ }}
        default_type application/link-format;
        try_files $uri/index.html =404;
    }}
    # A citation as CSL-JSON; every other .json file is a JSON Feed.
    location ~ /cite\\.json$ {{
{_headers(CONTENT_SECURITY_POLICY, "        ")}        types {{ }}
        default_type application/vnd.citationstyles.csl+json;
    }}
"""
