"""The site's stylesheet and icon under content-hashed names: /assets/style.3f2a1b9c.css.

A hashed name never changes meaning, so browsers and caches may keep it for a year without
asking again (`immutable`); a new stylesheet is a new name, which the next page links to.
The unhashed /static/ names stay for what must not move: the feeds' icon and stylesheet.
"""

from __future__ import annotations

import hashlib
import mimetypes
from functools import cache
from pathlib import Path, PurePosixPath

from flask import Blueprint, abort, current_app

from service.wsgi.answers import Answer, cache_control
from service.wsgi.http import respond

bp = Blueprint("assets", __name__)

PREFIX = "/assets/"


class Asset:
    def __init__(self, path: Path):
        self.body = path.read_bytes()
        self.digest = hashlib.sha256(self.body).hexdigest()
        name = PurePosixPath(path.name)
        self.hashed_name = f"{name.stem}.{self.digest[:12]}{name.suffix}"
        self.content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if self.content_type.startswith("text/"):
            self.content_type += "; charset=utf-8"


@cache
def assets(folder: str) -> dict[str, Asset]:
    """Every file of the static folder by its own name, read once per process."""
    return {path.name: Asset(path) for path in sorted(Path(folder).iterdir()) if path.is_file()}


@cache
def by_hashed_name(folder: str) -> dict[str, Asset]:
    return {asset.hashed_name: asset for asset in assets(folder).values()}


def asset_url(filename: str) -> str:
    """The hashed address of a static file, for templates: asset_url("style.css")."""
    return PREFIX + assets(current_app.static_folder)[filename].hashed_name


@bp.get(f"{PREFIX}<name>")
def send_asset(name: str):
    asset = by_hashed_name(current_app.static_folder).get(name)
    if asset is None:
        abort(404, description=f"no asset {name!r}: pages link the current ones")
    answer = Answer(
        asset.body,
        content_type=asset.content_type,
        etag=asset.digest[:32],
        last_modified=None,
        headers=[("Cache-Control", cache_control("immutable asset"))],
    )
    return respond(answer)


@bp.get("/favicon.ico")
def send_favicon():
    """The site's icon where browsers and crawlers look for it without a page's link: the PNG
    (every browser reads a PNG under this name), cached for a day as its name never changes."""
    asset = assets(current_app.static_folder)["icon.png"]
    answer = Answer(
        asset.body,
        content_type=asset.content_type,
        etag=asset.digest[:32],
        last_modified=None,
        headers=[("Cache-Control", cache_control("asset"))],
    )
    return respond(answer)
