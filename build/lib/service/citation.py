"""How to cite a story or one of its revisions: the citation block every story and revision page
shows, and its downloads as CSL-JSON (`cite.json`) and BibTeX (`cite.bib`).

A citation names the title, bylines, originating publisher, first-publication date (the site's
calendar, as the permalink), the permalink, the story's `tag:` entry id, and the revision cited
with its date. Builds values from a Story; reads nothing of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from flask import Blueprint, Response, redirect

from archive import Clock, Story
from archive.history import Revision
from service.archive_access import get_archive, settings, site_clock
from service.revisions import STORY, public_story
from service.settings import SiteSettings
from service.templating import send_text

bp = Blueprint("citation", __name__)

# The registered media types of the two downloads.
CSL_JSON = "application/vnd.citationstyles.csl+json"
BIBTEX = "application/x-bibtex"
# BibTeX's special characters and how each is written in a field (non-ASCII stays UTF-8, which
# biber and bibtexu read as it is).
BIBTEX_ESCAPES = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "{": r"\{",
        "}": r"\}",
        "%": r"\%",
        "&": r"\&",
        "#": r"\#",
        "_": r"\_",
        "$": r"\$",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
)


@dataclass(frozen=True)
class Citation:
    """What a reader needs to cite one state of a story."""

    title: str
    authors: tuple[str, ...]
    publisher: str  # the originating publisher, "" when the story is the site's own
    site: str
    language: str
    published_on: date  # first publication, in the site's zone
    permalink: str
    entry_id: str
    revision: int
    revised_at: datetime  # in the site's zone
    revision_url: str | None  # set when a revision page is cited

    @property
    def url(self) -> str:
        """What the citation points at: the revision page, or the permalink."""
        return self.revision_url or self.permalink

    @property
    def path(self) -> str:
        """The site path of what is cited, under which its downloads are."""
        return urlsplit(self.url).path

    @property
    def key(self) -> str:
        """A BibTeX key from the permalink's date and slug (ASCII, unique on the site)."""
        slug = self.permalink.rstrip("/").rsplit("/", 1)[-1]
        key = f"{slug}-{self.published_on.isoformat()}"
        return f"{key}-r{self.revision}" if self.revision_url else key

    @property
    def revision_text(self) -> str:
        moment = self.revised_at
        return f"Revision {self.revision}, saved {_long_date(moment)}, {moment:%H:%M %Z}"

    @property
    def bylines(self) -> str:
        """The bylines as a phrase: "A", "A and B", "A, B and C"."""
        if len(self.authors) < 2:
            return "".join(self.authors)
        return f"{', '.join(self.authors[:-1])} and {self.authors[-1]}"


def citation_for(
    story: Story,
    *,
    site: SiteSettings,
    clock: Clock,
    saved_at: datetime | None = None,
    revision: Revision | None = None,
    current: Story | None = None,
) -> Citation:
    """The citation of a story as it reads now (its latest revision was `saved_at`), or of one
    revision of it (`revision`, with the `current` story whose permalink it lives under)."""
    current = current or story
    permalink = site.base_url.rstrip("/") + current.path
    revised_at = revision.saved_at if revision else saved_at or story.updated_at
    return Citation(
        title=story.title,
        authors=tuple(author.name for author in story.authors),
        publisher=story.publisher.name if story.publisher else "",
        site=site.title,
        language=story.language,
        published_on=date.fromisoformat(clock.local_date(story.published_at)),
        permalink=permalink,
        entry_id=current.entry_id,
        revision=revision.number if revision else story.revision,
        revised_at=clock.local(revised_at),
        revision_url=f"{permalink}revisions/{revision.number}/" if revision else None,
    )


def plain_text(citation: Citation) -> str:
    """The citation as one paragraph of plain text, ready to copy."""
    parts = [f"{citation.bylines}." if citation.authors else "", f"“{citation.title}.”"]
    origin = f" (originally published by {citation.publisher})" if citation.publisher else ""
    parts.append(f"{citation.site}, {_long_date(citation.published_on)}{origin}.")
    parts.append(f"{citation.revision_text}.")
    if citation.revision_url:
        parts.append(f"{citation.revision_url} (permalink {citation.permalink}).")
    else:
        parts.append(f"{citation.permalink}.")
    parts.append(f"Entry id {citation.entry_id}.")
    return " ".join(part for part in parts if part)


def csl_item(citation: Citation) -> dict:
    """The citation as one CSL-JSON item (Citation Style Language, csl-data.json)."""
    item = {
        "id": citation.entry_id
        + (f"#revision-{citation.revision}" if citation.revision_url else ""),
        "type": "article-newspaper",
        "title": citation.title,
        "author": [{"literal": name} for name in citation.authors],
        "container-title": citation.site,
        "publisher": citation.site,
        "issued": {"date-parts": [_date_parts(citation.published_on)]},
        "URL": citation.url,
        "version": str(citation.revision),
        "language": citation.language,
        "note": f"{citation.revision_text}. Permalink {citation.permalink}. "
        f"Entry id {citation.entry_id}.",
    }
    if citation.publisher:
        item["original-publisher"] = citation.publisher
    return item


def bibtex(citation: Citation) -> str:
    """The citation as one BibTeX entry (biblatex fields, read by BibTeX styles as well)."""
    origin = f"Originally published by {citation.publisher}. " if citation.publisher else ""
    fields = [
        ("author", " and ".join(f"{{{_escape(name)}}}" for name in citation.authors)),
        # Inner braces keep the title's capitals as written (styles lowercase titles otherwise).
        ("title", f"{{{_escape(citation.title)}}}"),
        ("journal", _escape(citation.site)),
        ("date", citation.published_on.isoformat()),
        ("year", str(citation.published_on.year)),
        ("month", str(citation.published_on.month)),
        ("version", str(citation.revision)),
        # A verbatim field in biblatex (and \url in BibTeX styles): written as it is.
        ("url", citation.url),
        (
            "note",
            _escape(
                f"{origin}{citation.revision_text}. Permalink {citation.permalink}. "
                f"Entry id {citation.entry_id}."
            ),
        ),
    ]
    lines = [f"  {name} = {{{value}}}," for name, value in fields if value]
    return "\n".join([f"@article{{{citation.key},", *lines, "}"]) + "\n"


@bp.app_template_global("citation_of")
def citation_of(story: Story, revision: Revision | None = None, current: Story | None = None):
    """For templates: the citation of the story on the page, or of the revision shown."""
    saved_at = None
    if revision is None:
        # The story as it reads now is its latest revision: cited with the time it was saved,
        # as its revision page and Memento-Datetime give it.
        saved_at = get_archive().revision_saved_at(story.id, story.revision)
    return citation_for(
        story,
        site=settings().site,
        clock=site_clock(),
        saved_at=saved_at,
        revision=revision,
        current=current,
    )


@bp.app_template_filter("citation_text")
def citation_text(citation: Citation) -> str:
    return plain_text(citation)


@bp.get(f"{STORY}cite.<any(json, bib):fmt>")
def download_story_citation(year: int, month: int, day: int, slug: str, fmt: str):
    story = public_story(year, month, day, slug)
    if isinstance(story, str):
        return redirect(f"{story}cite.{fmt}", code=301)
    return _download(citation_of(story), fmt, story.updated_at)


@bp.get(f"{STORY}revisions/<int:number>/cite.<any(json, bib):fmt>")
def download_revision_citation(year: int, month: int, day: int, slug: str, number: int, fmt: str):
    story = public_story(year, month, day, slug)
    if isinstance(story, str):
        return redirect(f"{story}revisions/{number}/cite.{fmt}", code=301)
    revision = get_archive().revision(story.id, number, published_only=True)
    return _download(citation_of(revision.story, revision, story), fmt, revision.saved_at)


def _download(citation: Citation, fmt: str, last_modified: datetime) -> Response:
    if fmt == "json":
        text = json.dumps([csl_item(citation)], ensure_ascii=False, indent=2) + "\n"
        content_type = f"{CSL_JSON}; charset=utf-8"
    else:
        text, content_type = bibtex(citation), f"{BIBTEX}; charset=utf-8"
    response = send_text(text, content_type, last_modified)
    response.headers["Content-Disposition"] = f'inline; filename="{citation.key}.{fmt}"'
    return response


def _escape(text: str) -> str:
    return text.translate(BIBTEX_ESCAPES)


def _long_date(moment: date) -> str:
    return f"{moment.day} {moment:%B %Y}"


def _date_parts(day: date) -> list[int]:
    return [day.year, day.month, day.day]
