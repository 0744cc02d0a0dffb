"""The one definition of a valid story's fields: types, limits, allowed characters, URL schemes.

The archive checks every write against this table (archive.story.models.validate,
archive.story.shape) and
the API's OpenAPI description is generated from it; nothing else states a limit of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archive.story.names import MAX_SLUG_LENGTH

SYNDICATION_POLICIES = ("full", "summary", "none")
STATUSES = ("draft", "scheduled", "published", "withdrawn")
# A slug is a whole string of such words. Always fullmatch (or anchor with \Z): `$` also
# matches before a final newline.
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# BCP 47 language tag, as pages' lang= and feeds' xml:lang need it: "en", "ru", "zh-Hant-TW".
LANGUAGE_PATTERN = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
# Characters no plain-text field may hold: C0 and C1 controls (tab, newline and return aside),
# DEL and the non-characters XML 1.0 forbids; feeds and pages could not carry them. Written as
# escapes that Python and ECMA-262 (JSON Schema's patterns) read alike; lone surrogates, which
# no UTF-8 text holds, are refused too.
FORBIDDEN_IN_TEXT = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff"
CONTROL_CHARACTERS = re.compile(f"[{FORBIDDEN_IN_TEXT}\\ud800-\\udfff]")
# Years a story's time may be written in. Four-digit years keep stored times and permalink
# dates in text order; a margin of a year at each end keeps the same time in UTC, or in any
# other time zone, within what a datetime holds (years 1 to 9999).
TIME_YEARS = (1000, 9998)
# The same rule as a pattern on ISO 8601 text, for the OpenAPI description.
TIME_YEARS_PATTERN = r"^(?:1[0-9]{3}|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-"
# Schemes a link field may use: the web's. Pages and feeds link them as they are, so no
# javascript:, data: or file:. (Body HTML also allows mailto: in links, see archive.story.html.)
URL_SCHEMES = ("http", "https")

# Limits, in characters, from what newsrooms publish, with room to spare:
MAX_TITLE_LENGTH = 300  # headlines run 60-120 characters; the longest print ones about 250
MAX_DEK_LENGTH = 1_000  # a standfirst is a sentence or two
MAX_SUMMARY_LENGTH = 2_000  # a summary is a paragraph (feeds show it whole)
MAX_NAME_LENGTH = 200  # a section, tag, byline, quoted person or publisher
MAX_ROLE_LENGTH = 500  # "Mayor of the City of Sochi, former deputy minister of ..."
MAX_CAPTION_LENGTH = 2_000  # a photo caption, alt text or rights statement
MAX_CREDIT_LENGTH = 300  # "Source: Alexander Vilf / RIA Novosti"
MAX_URL_LENGTH = 2_000  # what browsers, sitemaps and CDNs all accept
MAX_MIME_TYPE_LENGTH = 255  # RFC 6838 4.2: type and subtype at most 127 each
MAX_LANGUAGE_LENGTH = 35  # RFC 5646 4.4.1: the tag length every tag-aware program must take
MAX_REASON_LENGTH = 2_000  # why a story was withdrawn
MAX_CHANGE_NOTE_LENGTH = 1_000  # a correction note is a sentence or two, as printed
MAX_DATELINE_LENGTH = 100  # "SOCHI", "RIO DE JANEIRO, Brazil"
# Largest story body, in characters of HTML: the longest long-form features run about 30,000
# words (some 250,000 characters with markup); imports of whole books are not stories.
MAX_BODY_LENGTH = 1_000_000
# Deepest nesting of elements in a body. Article markup nests about ten deep (figure > picture
# > img, tables in lists); HTML parsers slow down with the square of the depth, so it is
# checked on the raw text before any parser sees it.
MAX_BODY_DEPTH = 64
# Most attributes one element may carry, counted on the raw text before any parser sees it:
# HTML parsers check each new attribute against the element's others (html5ever in nh3,
# libxml2 in lxml), so the work grows with the square of their number (40,000 on one element
# took 6 s in nh3 and 19 s in lxml; 300,000 in a saved page, minutes). Article markup carries
# a few, and a saved page's busiest element a few dozen.
MAX_ATTRIBUTES = 1_000
# Most entity and character references ("&amp;", "&#8217;") in a body or a saved page, counted
# as its "&" characters before any parser sees it: a saved page of 1.5 million "&amp;" took
# 24 s to read. An article holds some thousands at most, its query strings' "&" included.
MAX_ENTITIES = 100_000
# Most parts one story may have: each tag, author and section is a feed to rebuild, so these
# bound the work one write can queue. Stories carry 3-15 tags, 1-5 bylines (a few dozen for a
# live blog), a gallery of up to a hundred photos, and a few dozen quoted people.
MAX_PARTS = {"tags": 50, "authors": 30, "media": 100, "sources": 100}
# Largest width or height of an image, in pixels: a print-resolution panorama is some 30,000
# wide; anything larger is a mistyped number.
MAX_PIXELS = 100_000


@dataclass(frozen=True)
class Field:
    """One field of the story's JSON shape.

    `kind`: "text" (plain text), "url" (an absolute http(s) URL), "html" (the body), "choice"
    (one of `choices`), "time" (ISO 8601 with zone), "flag" (true or false), "integer" (a whole
    number from `minimum` to `maximum`; never true or false), "list" (of `item`), "object"
    (`parts`).
    `required`: must be present and not blank. `nullable`: null is accepted (and means unset).
    """

    kind: str
    max_length: int | None = None
    required: bool = False
    nullable: bool = False
    pattern: re.Pattern | None = None
    choices: tuple[str, ...] = ()
    item: Field | None = None
    max_items: int | None = None
    parts: dict[str, Field] = field(default_factory=dict)
    max_depth: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    description: str = ""


def text(
    max_length: int,
    *,
    required: bool = False,
    nullable: bool = False,
    pattern: re.Pattern | None = None,
    description: str = "",
) -> Field:
    """A plain-text field of at most `max_length` characters (see Field)."""
    return Field(
        "text",
        max_length=max_length,
        required=required,
        nullable=nullable,
        pattern=pattern,
        description=description,
    )


def url(description: str = "") -> Field:
    return Field("url", max_length=MAX_URL_LENGTH, nullable=True, description=description)


def time(description: str) -> Field:
    return Field("time", nullable=True, description=description)


def pixels(description: str) -> Field:
    return Field("integer", minimum=1, maximum=MAX_PIXELS, nullable=True, description=description)


def parts(max_items: int | None, **fields: Field) -> Field:
    part = Field("object", parts=fields)
    return Field("list", item=part, max_items=max_items) if max_items else part


# Who a byline names: a person, or an organisation (a news agency's "— Reuters").
AUTHOR_KINDS = ("person", "organization")
AUTHOR = parts(
    None,
    name=text(MAX_NAME_LENGTH, required=True),
    url=url("a profile page"),
    kind=Field(
        "choice",
        choices=AUTHOR_KINDS,
        description="person (the default) or organization (a news agency's byline)",
    ),
)
MEDIA = parts(
    None,
    url=url("the image or video"),
    caption=text(MAX_CAPTION_LENGTH, nullable=True),
    credit=text(MAX_CREDIT_LENGTH, nullable=True),
    copyright=text(MAX_CREDIT_LENGTH, nullable=True),
    alt=text(MAX_CAPTION_LENGTH, nullable=True),
    mime_type=text(MAX_MIME_TYPE_LENGTH, nullable=True),
    width=pixels("in pixels; pages reserve the image's space from width and height"),
    height=pixels("in pixels"),
)
# Parts of a field given together or not at all: an image's size is its width and its height.
TOGETHER = {"media": ("width", "height")}
SOURCE = parts(
    None, name=text(MAX_NAME_LENGTH, required=True), role=text(MAX_ROLE_LENGTH, nullable=True)
)
PUBLISHER = parts(None, name=text(MAX_NAME_LENGTH, required=True), url=url("its home page"))
RIGHTS = parts(
    None,
    holder=text(MAX_CREDIT_LENGTH, nullable=True),
    statement=text(MAX_CAPTION_LENGTH, nullable=True),
    license_url=url("the licence"),
    attribution=text(
        MAX_CAPTION_LENGTH,
        nullable=True,
        description="the attribution the licence asks reusers to give",
    ),
)

# The writable fields of a story, as the JSON shape (archive.story.shape) names them.
STORY_FIELDS: dict[str, Field] = {
    "slug": text(
        MAX_SLUG_LENGTH,
        pattern=SLUG_PATTERN,
        description="lower-case letters, digits and single hyphens; derived from the title "
        "when empty",
    ),
    "title": text(MAX_TITLE_LENGTH, required=True),
    "dek": text(MAX_DEK_LENGTH, description="the standfirst"),
    "summary": text(MAX_SUMMARY_LENGTH),
    "body": Field(
        "html",
        max_length=MAX_BODY_LENGTH,
        max_depth=MAX_BODY_DEPTH,
        description=f"HTML, elements nested at most {MAX_BODY_DEPTH} deep, at most "
        f"{MAX_ATTRIBUTES:,} attributes an element and {MAX_ENTITIES:,} entity references (&); "
        "sanitised (no scripts, no event handlers, links only http(s), mailto or relative)",
    ),
    "language": text(
        MAX_LANGUAGE_LENGTH,
        required=True,
        pattern=LANGUAGE_PATTERN,
        description="BCP 47, e.g. en, pt-BR",
    ),
    "section": text(MAX_NAME_LENGTH),
    "tags": Field("list", item=text(MAX_NAME_LENGTH, required=True), max_items=MAX_PARTS["tags"]),
    "authors": Field(
        "list", item=AUTHOR, max_items=MAX_PARTS["authors"], description="in byline order"
    ),
    "media": Field("list", item=MEDIA, max_items=MAX_PARTS["media"]),
    "sources": Field(
        "list", item=SOURCE, max_items=MAX_PARTS["sources"], description="people quoted"
    ),
    # --- Origin of syndicated copy -------------------------------------------------------
    # `publisher` is the originating publisher: who first published the story (its name and
    # home page), never this site. Null for the site's own stories.
    "publisher": Field(
        "object",
        parts=PUBLISHER.parts,
        nullable=True,
        description="the originating publisher (who first published the story; null for the "
        "site's own)",
    ),
    "original_url": url("where the originating publisher published the story"),
    "canonical_is_original": Field(
        "flag",
        description="pages name original_url as the canonical URL (else their own permalink)",
    ),
    # --- end of origin ----------------------------------------------------------------------
    "rights": Field("object", parts=RIGHTS.parts, nullable=True),
    "syndication": Field("choice", choices=SYNDICATION_POLICIES),
    "status": Field("choice", choices=STATUSES),
    "embargo_at": time("when a scheduled story goes live"),
    "published_at": time("first publication"),
    "updated_at": time("last update; never earlier than the stored one"),
    # Where the story was filed from, printed before its first paragraph.
    "dateline": text(MAX_DATELINE_LENGTH, description='where the story was filed, e.g. "SOCHI"'),
}
# Why a story is withdrawn (DELETE's body, archive.withdraw).
REASON = text(MAX_REASON_LENGTH, required=True)

# What kind of change a write is (archive.story.models.ChangeNote): a correction and an update are
# printed on the story's page and re-announced in feeds; a minor edit (a typo) is neither.
CHANGE_KINDS = ("correction", "update", "minor")
# A write's change note, sent beside the story's fields (never part of the story itself).
CHANGE_FIELDS: dict[str, Field] = {
    "change_kind": Field(
        "choice",
        choices=CHANGE_KINDS,
        nullable=True,
        description="correction or update (printed on the page and re-announced in feeds), "
        "minor (neither); an edit without one is an update",
    ),
    "change_note": text(
        MAX_CHANGE_NOTE_LENGTH,
        description='what changed, as printed: "An earlier version of this story misstated ..."',
    ),
}
