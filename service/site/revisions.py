"""A story's revision history: every revision with its time and what changed, and each one
viewable as it was. Nothing an editor changes goes unrecorded for readers.

The history also answers Memento (RFC 7089, service/site/memento.py): each revision page is a
Memento,
`.../timemap/` lists them, and the permalink negotiates on Accept-Datetime (hooks below).
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from archive import PublishedStory, StoryMoved
from service.archive_access import get_archive, settings
from service.site import memento
from service.site.negotiation import varying_on_accept, wants_page
from service.site.pages import DAY, MONTH, YEAR
from service.site.templating import render_page, send_text
from service.wsgi.answers import cache_control

bp = Blueprint("revisions", __name__)

STORY = f"/{YEAR}/{MONTH}/{DAY}/<slug>/"
# The view answering a story's permalink (service/site/pages.py): the Original Resource and
# TimeGate.
PERMALINK_ENDPOINT = "pages.show_story"


@bp.get(f"{STORY}revisions/")
def list_revisions(year: int, month: int, day: int, slug: str):
    story = public_story(year, month, day, slug, below="revisions/")
    # Drafts and scheduled versions were never public: readers see published revisions only.
    history = get_archive().history(story.id, published_only=True)
    return render_page(
        "revisions.html",
        title=f"Revisions of “{story.title}”",
        story=story,
        history=list(reversed(history)),
        is_partial=history[0].number > 1 if history else False,
    )


@bp.get(f"{STORY}revisions/<int:number>/")
def show_revision(year: int, month: int, day: int, slug: str, number: int):
    story = public_story(year, month, day, slug, below=f"revisions/{number}/")
    revision = get_archive().revision(story.id, number, published_only=True)
    base_url = settings().site.base_url
    mementos = _mementos(story, base_url)
    [this] = [m for m in mementos if m.number == number]
    place = mementos.index(this)
    response = render_page(
        "revision.html",
        title=f"{revision.story.title} (revision {number})",
        current=story,
        revision=revision,
        story=revision.story,
        # The published revisions either side, for readers and archival crawlers.
        previous=mementos[place - 1].number if place > 0 else None,
        following=mementos[place + 1].number if place + 1 < len(mementos) else None,
    )
    # RFC 7089 2.1.1 and 2.2: a Memento says when it was saved and where its siblings are.
    response.headers["Memento-Datetime"] = this.datetime_value
    response.headers["Link"] = memento.memento_links(story.path, mementos, number, base_url)
    return response


@bp.get(f"{STORY}timemap/")
def show_timemap(year: int, month: int, day: int, slug: str):
    story = public_story(year, month, day, slug, below="timemap/")
    base_url = settings().site.base_url
    mementos = _mementos(story, base_url)
    if wants_page(memento.LINK_FORMAT):
        # A browser gets the TimeMap as a page at the same address (service/site/negotiation.py).
        page = render_page(
            "timemap.html",
            title=f"Past versions of “{story.title}”",
            last_modified=story.updated_at,
            story=story,
            mementos=mementos,
            urls=memento.story_urls(story.path, base_url),
        )
        return varying_on_accept(page)
    text = memento.timemap(story.path, mementos, base_url)
    # RFC 6690 7.1: link-format is UTF-8 and takes no charset parameter.
    return varying_on_accept(send_text(text, memento.LINK_FORMAT, story.updated_at))


@bp.before_app_request
def negotiate_datetime() -> BaseResponse | None:
    """The permalink as TimeGate (RFC 7089 4.1.1, URI-R = URI-G): with Accept-Datetime, 302 to
    the revision in force then; a withdrawn story answers 410 as its permalink does."""
    value = request.headers.get(memento.ACCEPT_DATETIME)
    if request.endpoint != PERMALINK_ENDPOINT or value is None:
        return None
    try:
        story = public_story(**(request.view_args or {}))
    except StoryMoved:
        return None  # the permalink's own view answers 301 to where the story moved
    moment = memento.parse_accept_datetime(value)
    base_url = settings().site.base_url
    mementos = _mementos(story, base_url)
    chosen = memento.memento_at(mementos, moment)
    response = redirect(chosen.url, code=302)
    response.headers["Link"] = memento.timegate_links(story.path, mementos, chosen, base_url)
    response.headers["Cache-Control"] = cache_control("page", settings().http.page_max_age)
    response.vary.add(memento.VARY)
    return response


@bp.after_app_request
def mark_original(response: Response) -> Response:
    """The permalink's own answers name its TimeGate and TimeMap, and vary on Accept-Datetime
    so that a cache never hands a negotiated answer to a plain request or the other way."""
    if request.endpoint != PERMALINK_ENDPOINT:
        return response
    response.vary.add(memento.VARY)
    if response.status_code in (200, 304) and "Link" not in response.headers:
        path = "/{year:04d}/{month:02d}/{day:02d}/{slug}/".format(**(request.view_args or {}))
        response.headers["Link"] = memento.original_links(path, settings().site.base_url)
    return response


def _mementos(story: PublishedStory, base_url: str) -> list[memento.Memento]:
    times = get_archive().public_revision_times(story.id)
    return memento.mementos_of(story.path, times, base_url)


def public_story(year: int, month: int, day: int, slug: str, *, below: str = "") -> PublishedStory:
    """The published story at this permalink, for a page `below` it ("revisions/", say).

    Raises StoryMoved with that page's address under the story's new permalink when the story
    moved (service/site/errors.py answers 301), StoryNotFound, or StoryWithdrawn: a withdrawn
    story's history is withdrawn with it (410).
    """
    try:
        return get_archive().at(f"/{year:04d}/{month:02d}/{day:02d}/{slug}/")
    except StoryMoved as moved:
        raise StoryMoved(moved.path + below) from None
