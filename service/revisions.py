"""A story's revision history: every revision with its time and what changed, and each one
viewable as it was. Nothing an editor changes goes unrecorded for readers.
"""

from __future__ import annotations

from flask import Blueprint, redirect

from archive import Story, StoryMoved
from service.archive_access import get_archive
from service.pages import DAY, MONTH, YEAR
from service.templating import render_page

bp = Blueprint("revisions", __name__)

STORY = f"/{YEAR}/{MONTH}/{DAY}/<slug>/"


@bp.get(f"{STORY}revisions/")
def list_revisions(year: int, month: int, day: int, slug: str):
    story = _story(year, month, day, slug)
    if isinstance(story, str):
        return redirect(f"{story}revisions/", code=301)
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
    story = _story(year, month, day, slug)
    if isinstance(story, str):
        return redirect(f"{story}revisions/{number}/", code=301)
    revision = get_archive().revision(story.id, number, published_only=True)
    return render_page(
        "revision.html",
        title=f"{revision.story.title} (revision {number})",
        current=story,
        revision=revision,
        story=revision.story,
    )


def _story(year: int, month: int, day: int, slug: str) -> Story | str:
    """The published story at this permalink, or the path it moved to (a str).

    A withdrawn story's history is withdrawn with it: StoryWithdrawn answers 410.
    """
    try:
        return get_archive().at(f"/{year:04d}/{month:02d}/{day:02d}/{slug}/")
    except StoryMoved as moved:
        return moved.path
