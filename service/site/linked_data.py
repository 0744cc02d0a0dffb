"""Machine-readable descriptions of a story for its page: schema.org NewsArticle JSON-LD, Open
Graph properties and the Twitter card, carrying the same attribution and rights readers see.

Plain values in, plain values out; the JSON is escaped for a <script> data block here.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from markupsafe import Markup

from archive import Media, Story, rights_holder
from archive.story.models import as_written
from service import urls
from service.settings import SiteSettings

# Characters that could end a <script> data block or open a comment inside it, as JSON escapes
# (HTML 4.12.1.3: the text of a script element must not contain "</script" or "<!--").
SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


# The site's icon (urls.icon_url): the publisher's logo in JSON-LD, 64x64 pixels.
ICON_SIZE = 64
# BCP 47 subtags: a two-letter or three-digit region ("en-GB", "es-419"), after the language
# and an optional script ("zh-Hant-TW").
REGION = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z]{4})?-([A-Za-z]{2}|[0-9]{3})(?:-|$)")


def first_published(story: Story) -> datetime:
    """When a story was first published: every story with a page was. Raises ValueError."""
    if story.published_at is None:
        raise ValueError(f"story {story.id} was never published: it has no page")
    return story.published_at


def og_locale(language: str) -> str:
    """Open Graph's language_TERRITORY form of a BCP 47 tag: en-GB -> en_GB, zh-Hant-TW ->
    zh_TW. A tag without a region keeps its bare language (ru -> ru): guessing a territory
    would be wrong as often as right (en: GB or US?)."""
    primary = language.split("-")[0].lower()
    region = REGION.match(language)
    return f"{primary}_{region[1].upper()}" if region else primary


def news_article(story: Story, site: SiteSettings) -> dict[str, Any]:
    """schema.org NewsArticle with authors, dates, publisher, rights, credits and lead image."""
    rights = story.rights
    # The one rule of every surface: the site holds only its own copy; else "not stated".
    holder = rights_holder(story, own_holder=site.rights_holder)
    if rights and rights.statement:
        notice = rights.statement
    else:
        notice = site.rights if holder == site.rights_holder else "Rights holder not stated."
    published = first_published(story)
    article = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "@id": urls.story_url(site, story),
        "mainEntityOfPage": urls.story_url(site, story),
        "url": urls.story_url(site, story),
        # The entry id: the story's one stable name, which no edit or new slug changes.
        "identifier": story.entry_id,
        "headline": story.title,
        "description": story.dek or story.summary,
        "inLanguage": story.language,
        # In the offset the story was published with (where it was filed).
        "datePublished": as_written(published, story.published_offset).isoformat(),
        "dateModified": (story.updated_at or published).isoformat(),
        "author": authors(story, site),
        # The site publishes the page; the originating publisher is the article's source.
        "publisher": _site_organization(site),
        "sourceOrganization": _origin(story),
        "isBasedOn": story.original_url,
        "copyrightHolder": {"@type": _kind_of(holder, story), "name": holder} if holder else None,
        "copyrightNotice": notice,
        "creditText": credit_text(story),
        "articleSection": story.section,
        "keywords": list(story.tags),
    }
    if rights and rights.license_url:
        article["license"] = rights.license_url
    image = story.lead_image
    if image and image.url:  # a picture the story does not carry is credited in creditText
        article["image"] = _image(image)
    return {key: value for key, value in article.items() if value not in ("", [], None)}


def authors(story: Story, site: SiteSettings) -> list[dict[str, Any]]:
    """Who wrote the story, never left out: its bylines (people, and agencies as
    organisations), else the originating publisher, else the site itself."""
    found = [
        {
            "@type": "Person" if a.is_person else "Organization",
            "name": a.name,
            "url": urls.name_url(site, "author", a.slug) if a.slug else a.url,
        }
        for a in story.authors
    ]
    if found:
        return found
    home = {"@type": "Organization", "name": site.title, "url": urls.home_url(site)}
    return [_origin(story) or home]


def _kind_of(holder: str, story: Story) -> str:
    """A holder a byline names as a person is a Person; any other an Organization."""
    persons = {a.name for a in story.authors if a.is_person}
    return "Person" if holder in persons else "Organization"


def _site_organization(site: SiteSettings) -> dict[str, Any]:
    """This site, with its icon as logo: the publisher of every page it serves."""
    return {
        "@type": "Organization",
        "name": site.title,
        "url": urls.home_url(site),
        "logo": {
            "@type": "ImageObject",
            "url": urls.icon_url(site),
            "width": ICON_SIZE,
            "height": ICON_SIZE,
        },
    }


def _origin(story: Story) -> dict[str, Any] | None:
    """The originating publisher of syndicated copy (its logo is not ours to give), else None."""
    if not story.publisher:
        return None
    found = {"@type": "Organization", "name": story.publisher.name}
    if story.publisher.url:
        found["url"] = story.publisher.url
    return found


def _image(image: Media) -> dict[str, Any]:
    """The lead image with its credit and the holder of its rights (notice or agency). A picture
    the story names but does not carry keeps its credit only, as its page does."""
    found: dict[str, Any] = {
        "@type": "ImageObject",
        "contentUrl": image.url,
        "url": image.url,
        "caption": image.caption if image.url else "",
        "creditText": image.credit,
        "copyrightNotice": image.copyright,
    }
    if image.url and image.width and image.height:
        found.update(width=image.width, height=image.height)
    if holder := image.holder:
        found["copyrightHolder"] = {"@type": "Organization", "name": holder}
    return {key: value for key, value in found.items() if value not in ("", None)}


def credit_text(story: Story) -> str:
    """How to credit the story: its bylines, and the originating publisher after a slash; then
    the credits of pictures it names but does not carry."""
    names = ", ".join(a.name for a in story.authors)
    if story.publisher:
        names = f"{names} / {story.publisher.name}" if names else story.publisher.name
    pictures = [m.credit or m.copyright for m in story.unshown_media if m.credit or m.copyright]
    return "; ".join([names, *(f"Photo: {credit}" for credit in pictures)] if names else pictures)


def script_json(data: dict[str, Any]) -> Markup:
    """JSON safe to place inside <script type="application/ld+json">: no markup can break out."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=False)
    for character, escape in SCRIPT_ESCAPES.items():
        text = text.replace(character, escape)
    # Safe: every character that could end the data block is escaped just above.
    return Markup(text)  # noqa: S704


def open_graph(story: Story, site: SiteSettings) -> list[tuple[str, str]]:
    """Open Graph (ogp.me) properties for the story, as (property, content) pairs."""
    published = first_published(story)
    properties = [
        ("og:type", "article"),
        ("og:site_name", site.title),
        ("og:title", story.title),
        ("og:description", story.dek or story.summary),
        ("og:url", story.canonical_elsewhere or urls.story_url(site, story)),
        ("og:locale", og_locale(story.language)),
        ("article:published_time", published.isoformat()),
        ("article:modified_time", (story.updated_at or published).isoformat()),
        ("article:section", story.section),
    ]
    properties += [("article:author", a.name) for a in story.authors]
    properties += [("article:tag", tag) for tag in story.tags]
    image = story.lead_image
    if image and image.url:
        properties += [("og:image", image.url)]
        if image.width and image.height:
            properties += [
                ("og:image:width", str(image.width)),
                ("og:image:height", str(image.height)),
            ]
        properties += [("og:image:alt", image.alt or image.caption)]
    return [(key, value) for key, value in properties if value]


def twitter_card(story: Story) -> list[tuple[str, str]]:
    """The Twitter (X) card, as (name, content) pairs: a large picture when there is one; the
    title, description and image come from Open Graph, which the card falls back to."""
    image = story.lead_image
    return [("twitter:card", "summary_large_image" if image and image.url else "summary")]
