"""Archive pages for readers and archivists: home, date archives and story permalinks."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, render_template

from service.archive_access import get_archive, settings

bp = Blueprint("pages", __name__)

# Stories listed on the home page.
HOME_SIZE = 20


@bp.get("/")
def list_latest():
    return render_template(
        "list.html", title="Latest stories", stories=get_archive().latest(limit=HOME_SIZE)
    )


@bp.get("/<int:year>/<int:month>/<int:day>/")
def list_day(year: int, month: int, day: int):
    try:
        when = date(year, month, day)
    except ValueError:
        abort(404)
    stories = get_archive().between(when.isoformat(), when.isoformat())
    title = f"Stories of {when.strftime('%-d %B %Y')}"
    return render_template("list.html", title=title, stories=stories)


@bp.get("/<int:year>/<int:month>/<int:day>/<slug>/")
def show_story(year: int, month: int, day: int, slug: str):
    story = get_archive().at(f"/{year:04d}/{month:02d}/{day:02d}/{slug}/")
    return render_template("story.html", story=story, site=settings().site)


@bp.app_template_filter("localdate")
def local_date(moment: datetime) -> str:
    """A time as readers of the site see it: its date in the site's zone."""
    local = moment.astimezone(ZoneInfo(settings().site.timezone))
    return f"{local.day} {local:%B %Y, %H:%M %Z}"


@bp.app_context_processor
def site_context():
    return {"site": settings().site}
