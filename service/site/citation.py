"""How to cite a story or one of its revisions: the citation block every story and revision page
shows, the Highwire `citation_*` and Dublin Core meta tags that reference managers (Zotero,
Mendeley) read from a page's head, and its downloads as CSL-JSON (`cite.json`), BibTeX
(`cite.bib`) and RIS (`cite.ris`).

A citation names the title, bylines, originating publisher and original URL of syndicated
copy, first-publication date (the site's calendar, as the permalink), the permalink, the
story's `tag:` entry id, and the revision cited with its own date and URL. Syndicated copy whose
original URL is known is cited as the original publication, held in this site's archive (CSL
`container-title` the original publisher, `URL` the original, `archive` and
`archive_location` this site and its page). Builds values from a Story; reads nothing of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response

from archive import Clock, Story
from archive.db.history import Revision
from service import urls
from service.archive_access import get_archive, settings, site_clock
from service.settings import SiteSettings
from service.site.linked_data import first_published
from service.site.revisions import STORY, public_story
from service.site.templating import send_text

bp = Blueprint("citation", __name__)

# The registered media types of the downloads.
CSL_JSON = "application/vnd.citationstyles.csl+json"
BIBTEX = "application/x-bibtex"
RIS = "application/x-research-info-systems"
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
    original_url: str | None = None  # where the originating publisher published it

    @property
    def is_syndicated_copy(self) -> bool:
        """Whether it is cited as the original publication, held here (its original URL is
        known)."""
        return bool(self.publisher and self.original_url)

    @property
    def container(self) -> str:
        """The publication it appeared in: the original publisher's for syndicated copy."""
        return self.publisher if self.is_syndicated_copy else self.site

    @property
    def issued_on(self) -> date:
        """The date of what is cited: a revision's own (when it was saved), else first
        publication."""
        return self.revised_at.date() if self.revision_url else self.published_on

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
    if not current.entry_id:
        raise ValueError(f"story {current.id} has no entry id: it was never published")
    permalink = urls.story_url(site, current)
    published = first_published(story)
    revised_at = revision.saved_at if revision else saved_at or story.updated_at or published
    return Citation(
        title=story.title,
        authors=tuple(author.name for author in story.authors),
        publisher=story.publisher.name if story.publisher else "",
        site=site.title,
        language=story.language,
        published_on=date.fromisoformat(clock.local_date(published)),
        permalink=permalink,
        entry_id=current.entry_id,
        revision=revision.number if revision else story.revision,
        revised_at=clock.local(revised_at),
        revision_url=f"{permalink}revisions/{revision.number}/" if revision else None,
        original_url=story.original_url,
    )


def plain_text(citation: Citation) -> str:
    """The citation as one paragraph of plain text, ready to copy."""
    parts = [f"{citation.bylines}." if citation.authors else "", f"“{citation.title}.”"]
    origin = f" (originally published by {citation.publisher})" if citation.publisher else ""
    if citation.is_syndicated_copy:
        origin = f" (originally published by {citation.publisher}, {citation.original_url})"
    parts.append(f"{citation.site}, {_long_date(citation.published_on)}{origin}.")
    parts.append(f"{citation.revision_text}.")
    if citation.revision_url:
        parts.append(f"{citation.revision_url} (permalink {citation.permalink}).")
    else:
        parts.append(f"{citation.permalink}.")
    parts.append(f"Entry id {citation.entry_id}.")
    return " ".join(part for part in parts if part)


def csl_item(citation: Citation, *, accessed: date | None = None) -> dict:
    """The citation as one CSL-JSON item (Citation Style Language, csl-data.json); `accessed`:
    the day the reader took it.

    Syndicated copy with a known original URL is the original publication (`container-title`
    and `publisher` the originating publisher, `URL` the original) held in this site's archive
    (`archive`, `archive_location`: the page cited here). Without its URL, the copy here is
    cited, published by the originating publisher. No `original-publisher`: styles print it as
    the date of an original work ("Original work published Agence Demo").
    """
    item: dict[str, Any] = {
        "id": citation.entry_id
        + (f"#revision-{citation.revision}" if citation.revision_url else ""),
        "type": "article-newspaper",
        "title": citation.title,
        "author": [{"literal": name} for name in citation.authors],
        "container-title": citation.container,
        "publisher": citation.publisher or citation.site,
        "issued": {"date-parts": [_date_parts(citation.issued_on)]},
        "URL": citation.url,
        "version": str(citation.revision),
        "language": citation.language,
        "note": f"{citation.revision_text}. Permalink {citation.permalink}. "
        f"Entry id {citation.entry_id}.",
    }
    if citation.is_syndicated_copy:
        item.update(
            {
                "URL": citation.original_url,
                "archive": citation.site,
                "archive_location": citation.url,
            }
        )
    if accessed is not None:
        item["accessed"] = {"date-parts": [_date_parts(accessed)]}
    return item


def ris(citation: Citation, *, accessed: date | None = None) -> str:
    """The citation as one RIS record (the format EndNote, Zotero and Mendeley import)."""
    origin = f"Originally published by {citation.publisher}. " if citation.publisher else ""
    fields = [
        ("TY", "NEWS"),
        ("ID", citation.key),
        ("TI", citation.title),
        *(("AU", name) for name in citation.authors),
        ("PY", str(citation.issued_on.year)),
        ("DA", f"{citation.issued_on:%Y/%m/%d}"),
        ("T2", citation.container),
        ("PB", citation.publisher or citation.site),
        ("UR", citation.url),
        ("UR", citation.original_url if citation.is_syndicated_copy else ""),
        ("DB", citation.site if citation.is_syndicated_copy else ""),
        ("ET", f"Revision {citation.revision}"),
        ("LA", citation.language),
        ("Y2", f"{accessed:%Y/%m/%d}" if accessed else ""),
        (
            "N1",
            f"{origin}{citation.revision_text}. Permalink {citation.permalink}. "
            f"Entry id {citation.entry_id}.",
        ),
    ]
    # RIS: one tag a line, "XX  - value"; a value never spans lines.
    lines = [f"{tag}  - {' '.join(value.split())}" for tag, value in fields if value]
    return "\r\n".join([*lines, "ER  - ", ""])


def meta_tags(citation: Citation) -> list[tuple[str, str]]:
    """(name, content) of the Highwire Press `citation_*` tags (what Zotero's and Mendeley's
    page readers and Google Scholar take) and the Dublin Core `DC.*` tags of a page."""
    tags = [("citation_title", citation.title)]
    tags += [("citation_author", name) for name in citation.authors]
    tags += [
        ("citation_publication_date", f"{citation.published_on:%Y/%m/%d}"),
        ("citation_online_date", f"{citation.revised_at:%Y/%m/%d}"),
        ("citation_journal_title", citation.container),
        ("citation_publisher", citation.publisher or citation.site),
        ("citation_language", citation.language),
        ("citation_public_url", citation.url),
        ("citation_fulltext_html_url", citation.url),
        ("DC.title", citation.title),
        *(("DC.creator", name) for name in citation.authors),
        ("DC.date", citation.issued_on.isoformat()),
        ("DC.publisher", citation.publisher or citation.site),
        ("DC.language", citation.language),
        ("DC.identifier", citation.url),
        ("DC.type", "Text"),
    ]
    if citation.is_syndicated_copy and citation.original_url:
        tags.append(("DC.source", citation.original_url))
    return tags


def bibtex(citation: Citation) -> str:
    """The citation as one BibTeX entry (biblatex fields, read by BibTeX styles as well)."""
    origin = f"Originally published by {citation.publisher}. " if citation.publisher else ""
    if citation.is_syndicated_copy:
        origin = f"Originally published by {citation.publisher}, {citation.original_url}. "
    fields = [
        ("author", " and ".join(f"{{{_escape(name)}}}" for name in citation.authors)),
        # Inner braces keep the title's capitals as written (styles lowercase titles otherwise).
        ("title", f"{{{_escape(citation.title)}}}"),
        ("journal", _escape(citation.site)),
        ("date", citation.issued_on.isoformat()),
        ("year", str(citation.issued_on.year)),
        ("month", str(citation.issued_on.month)),
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
    if revision is None and story.id is not None:
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


@bp.app_template_filter("citation_meta")
def citation_meta(citation: Citation) -> list[tuple[str, str]]:
    return meta_tags(citation)


@bp.get(f"{STORY}cite.<any(json, bib, ris):fmt>")
def download_story_citation(year: int, month: int, day: int, slug: str, fmt: str):
    story = public_story(year, month, day, slug, below=f"cite.{fmt}")
    return _download(citation_of(story), fmt, story.updated_at)


@bp.get(f"{STORY}revisions/<int:number>/cite.<any(json, bib, ris):fmt>")
def download_revision_citation(year: int, month: int, day: int, slug: str, number: int, fmt: str):
    story = public_story(year, month, day, slug, below=f"revisions/{number}/cite.{fmt}")
    revision = get_archive().revision(story.id, number, published_only=True)
    return _download(citation_of(revision.story, revision, story), fmt, revision.saved_at)


def _download(citation: Citation, fmt: str, last_modified: datetime | None) -> Response:
    # The day the reader took the citation, in the site's calendar (CSL `accessed`, RIS `Y2`).
    accessed = site_clock().local(datetime.now(UTC)).date()
    if fmt == "json":
        item = csl_item(citation, accessed=accessed)
        text = json.dumps([item], ensure_ascii=False, indent=2) + "\n"
        content_type = f"{CSL_JSON}; charset=utf-8"
    elif fmt == "ris":
        text, content_type = ris(citation, accessed=accessed), f"{RIS}; charset=utf-8"
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
