"""/corrections/: every correction to a public story, newest first, paged like every list.

Each correction shows when it was made, its note, the story as it reads now, and links to the
revision it made (whose page marks the words that changed). The same corrections, read the
same way (Archive.corrections), make the corrections feed.
"""

from __future__ import annotations

from flask import Blueprint

from archive import CORRECTIONS
from service.archive_access import get_archive, settings
from service.site.pagination import paged_routes, paginate, take_path_page
from service.site.templating import feed_links, render_page

bp = Blueprint("corrections_page", __name__)
bp.url_value_preprocessor(take_path_page)


@paged_routes(bp, "/corrections/")
def list_corrections():
    archive = get_archive()
    found, page = paginate(lambda limit, offset: archive.corrections(limit=limit, offset=offset))
    title = "Corrections"
    return render_page(
        "corrections.html",
        title=title,
        corrections=found,
        page=page,
        page_feeds=feed_links(CORRECTIONS, f"{settings().site.title}: {title}"),
    )
