"""Sources on the site: `/sources/<slug>/`, the public stories a source gave with its terms."""

from __future__ import annotations

from flask import Blueprint, abort

from archive.db import sources as store
from archive.story.visibility import is_live
from service.archive_access import get_archive
from service.site.templating import render_page

bp = Blueprint("sources", __name__)

# Stories listed on a source's page, newest entries first.
STORIES_SHOWN = 100


@bp.get("/sources/<slug>/")
def show_source(slug: str):
    archive = get_archive()
    try:
        source = store.get_source(archive.db, slug)
    except store.SourceNotFound:
        abort(404)
    stories = [archive.get(i) for i in store.story_ids_of(archive.db, source, limit=STORIES_SHOWN)]
    # Live stories only: one withdrawn or back in draft is a tombstone (archive.story.visibility).
    stories = [story for story in stories if is_live(story)]
    return render_page(
        "source.html",
        title=f"From {source.name}",
        source=source,
        stories=stories,
        last_modified=max((s.updated_at for s in stories if s.updated_at), default=None),
    )


@bp.app_template_global("source_of")
def source_of(story) -> store.Source | None:
    """The source a story was taken in from, for its page's link to the source's page."""
    if story.id is None or not (story.origin or "").startswith("source:"):
        return None
    return store.source_of_story(get_archive().db, story.id)


def failing_sources(archive) -> list[dict]:
    """Sources whose last fetch failed or that stopped, for /health."""
    return [
        {
            "source": source.slug,
            "state": source.state,
            "error": source.last_error,
            "failures": source.failures,
            "last_fetch_at": source.last_fetch_at.isoformat() if source.last_fetch_at else None,
        }
        for source in store.list_sources(archive.db)
        if source.is_failing and source.state != "paused"
    ]
