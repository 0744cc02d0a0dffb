"""Archive pages for readers and archivists: home, date archives, sections, tags, authors (and
their indexes) and story permalinks. Each view parses its URL, asks the archive, and renders
through render_page.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime

from flask import Blueprint, abort
from markupsafe import Markup

from archive import Clock, FeedScope, Media, Rights, Story
from archive.db.calendar import Neighbours
from service.archive_access import get_archive, settings, site_clock
from service.site.linked_data import (
    first_published,
    news_article,
    open_graph,
    script_json,
    twitter_card,
)
from service.site.pagination import paged_routes, paginate, take_path_page
from service.site.templating import feed_links, own, render_page

bp = Blueprint("pages", __name__)
bp.url_value_preprocessor(take_path_page)

# Permalink and archive dates are zero-padded: /2014/02/24/, never /2014/2/24/.
YEAR = "<int(fixed_digits=4):year>"
MONTH = "<int(fixed_digits=2):month>"
DAY = "<int(fixed_digits=2):day>"


@paged_routes(bp, "/")
def list_latest():
    archive = get_archive()
    stories, page = paginate(lambda limit, offset: archive.latest(limit=limit, offset=offset))
    return render_page(
        "list.html",
        title="Latest stories",
        stories=stories,
        page=page,
        years=sorted(archive.year_counts().items(), reverse=True),
    )


@bp.get(f"/{YEAR}/")
def list_year(year: int):
    archive = get_archive()
    first, last = _day(year, 1, 1), _day(year, 12, 31)
    counts = archive.month_counts(year)
    if not counts:
        abort(404, description=f"there are no stories from {year}")
    months = [(m, calendar.month_name[m], counts[m]) for m in sorted(counts)]
    return render_page(
        "year.html",
        title=str(year),
        year=year,
        months=months,
        total=sum(counts.values()),
        around=_around(archive.neighbours(first.isoformat(), last.isoformat()), "year"),
    )


@paged_routes(bp, f"/{YEAR}/{MONTH}/")
def list_month(year: int, month: int):
    archive = get_archive()
    first = _day(year, month, 1)
    last = first.replace(day=calendar.monthrange(year, month)[1])
    counts = archive.day_counts(year, month)
    if not counts:
        abort(404, description=f"there are no stories from {first:%B %Y}")
    stories, page = paginate(
        lambda limit, offset: archive.between(
            first.isoformat(), last.isoformat(), limit=limit, offset=offset
        )
    )
    return render_page(
        "month.html",
        title=f"{first:%B %Y}",
        first=first,
        days=sorted(counts.items()),
        stories=stories,
        page=page,
        around=_around(archive.neighbours(first.isoformat(), last.isoformat()), "month"),
    )


@paged_routes(bp, f"/{YEAR}/{MONTH}/{DAY}/")
def list_day(year: int, month: int, day: int):
    archive = get_archive()
    when = _day(year, month, day).isoformat()
    stories, page = paginate(
        lambda limit, offset: archive.between(when, when, limit=limit, offset=offset)
    )
    if not stories:
        abort(404, description=f"there are no stories from {when}")
    return render_page(
        "day.html",
        title=f"{_day(year, month, day):%-d %B %Y}",
        when=_day(year, month, day),
        stories=stories,
        page=page,
        around=_around(archive.neighbours(when, when), "day"),
    )


@bp.get(f"/{YEAR}/{MONTH}/{DAY}/<slug>/")
def show_story(year: int, month: int, day: int, slug: str):
    story = get_archive().at(f"/{year:04d}/{month:02d}/{day:02d}/{slug}/")
    site = settings().site
    return render_page(
        "story.html",
        story=story,
        notes=get_archive().notes(story.id),
        from_month=from_month(first_published(story), site_clock()),
        json_ld=script_json(news_article(story, site)),
        open_graph=open_graph(story, site),
        twitter_card=twitter_card(story),
        last_modified=story.updated_at,
    )


@bp.app_template_global("display_name")
def display_name(kind: str, slug: str, written: str) -> str:
    """For templates: the name a section, tag or author is shown by, else the story's spelling."""
    return (get_archive().names.shown(kind, slug) if slug else None) or written


@paged_routes(bp, "/sections/<slug>/")
def list_section(slug: str):
    name = get_archive().names.section(slug)
    return _list_by(FeedScope.of("sections", slug), title=name)


@paged_routes(bp, "/tags/<slug>/")
def list_tag(slug: str):
    name = get_archive().names.tag(slug)
    return _list_by(FeedScope.of("tags", slug), title=f"Tagged {name}")


@paged_routes(bp, "/authors/<slug>/")
def list_author(slug: str):
    author = get_archive().names.author(slug)
    return _list_by(FeedScope.of("authors", slug), title=f"Stories by {author.name}", author=author)


# The indexes of names: kind -> (page title, the view listing one name's stories, what to say).
INDEXES = {
    "sections": ("Sections", "pages.list_section", "Every section with published stories."),
    "tags": ("Tags", "pages.list_tag", "Every tag published stories carry."),
    "authors": ("Authors", "pages.list_author", "Everyone with a byline on a published story."),
}


@bp.get("/sections/")
def list_sections():
    return _index("sections")


@bp.get("/tags/")
def list_tags():
    return _index("tags")


@bp.get("/authors/")
def list_authors():
    return _index("authors")


def _index(kind: str):
    title, view, lead = INDEXES[kind]
    return render_page(
        "index.html", title=title, lead=lead, view=view, names=get_archive().names.index(kind)
    )


def from_month(published_at: datetime, clock: Clock) -> str | None:
    """ "February 2014" for a story first published more than a year before the site's now (so
    readers see it is not news), else None."""
    now = clock.local(clock.now())
    try:
        year_ago = now.replace(year=now.year - 1)
    except ValueError:  # 29 February: a year before is the 28th
        year_ago = now.replace(year=now.year - 1, day=28)
    published = clock.local(published_at)
    return f"{published:%B %Y}" if published <= year_ago else None


# How a credit is introduced when it does not say itself ("Photo: Sam Lee" stays as it is).
CREDIT_LABELS = {"video": "Video", "audio": "Audio"}
LABELLED_CREDIT = re.compile(r"^\s*(photo|picture|image|video|audio|source|credit)s?\s*:", re.I)


@bp.app_template_filter("unshown_line")
def unshown_line(media: Media, story: Story) -> Markup:
    """A picture the page does not show, as its credits block names it: "Photo (not
    reproduced): The closing ceremony … — Alexander Vilf / RIA Novosti", the caption and credit
    in the story's language and direction."""
    label = CREDIT_LABELS.get((media.mime_type or "").partition("/")[0], "Photo")
    credit = LABELLED_CREDIT.sub("", media.credit).strip()
    said = " — ".join(part for part in (media.caption.strip(), credit) if part)
    if media.copyright and media.copyright not in said:
        said = f"{said} · {media.copyright}" if said else media.copyright
    return Markup("{} (not reproduced): <bdi{}>{}</bdi>").format(label, own(story), said)


@bp.app_template_filter("license_sentence")
def license_sentence(rights: Rights, holder: str) -> Markup:
    """ "Licensed under CC BY 4.0 by X.", the licence's name linked to its deed; "not stated"
    where the licensor is unknown."""
    link = Markup('<a rel="license" href="{}">{}</a>').format(
        rights.license_url, rights.license_name
    )
    by = holder or "a licensor not stated"
    if rights.license_name.startswith("CC0"):
        return Markup("Dedicated to the public domain under {} by {}.").format(link, by)
    if rights.license_name.startswith("Public Domain Mark"):
        return Markup("Marked as free of known copyright ({}).").format(link)
    return Markup("Licensed under {} by {}.").format(link, by)


@bp.app_template_filter("credit_line")
def credit_line(media: Media) -> str:
    """A picture's credit as newspapers print it: "Photo: Alexander Vilf / RIA Novosti"."""
    credit = media.credit or media.copyright
    if LABELLED_CREDIT.match(credit):
        return credit
    label = CREDIT_LABELS.get((media.mime_type or "").partition("/")[0], "Photo")
    return f"{label}: {credit}"


def _list_by(scope: FeedScope, *, title: str, **context):
    """A section, tag or author page: the stories its feed follows, newest first."""
    archive = get_archive()
    stories, page = paginate(
        lambda limit, offset: archive.latest(limit=limit, offset=offset, **scope.filters)
    )
    return render_page(
        "list.html",
        title=title,
        stories=stories,
        page=page,
        page_feeds=feed_links(scope, f"{settings().site.title}: {title}"),
        **context,
    )


def _day(year: int, month: int, day: int) -> date:
    """The date, or 404 for one that does not exist (2014/02/30)."""
    try:
        return date(year, month, day)
    except ValueError:
        abort(404, description=f"{year:04d}-{month:02d}-{day:02d} is not a date")


# Links to neighbouring date archives, per unit: (path format, label format).
ARCHIVE_LINKS = {
    "year": ("/%Y/", "%Y"),
    "month": ("/%Y/%m/", "%B %Y"),
    "day": ("/%Y/%m/%d/", "%-d %B %Y"),
}


def _around(found: Neighbours, unit: str) -> dict[str, tuple[str, str] | None]:
    """Previous/next links as (url, label) from the nearest dates that have stories."""
    path, label = ARCHIVE_LINKS[unit]

    def link(text: str | None) -> tuple[str, str] | None:
        if text is None:
            return None
        moment = date.fromisoformat(text)
        return moment.strftime(path), moment.strftime(label)

    return {"previous": link(found.before), "next": link(found.after)}
