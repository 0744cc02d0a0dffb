"""Partner feeds (RSS 2.0, Atom 1.0, JSON Feed 1.1) and ninjs items read as stories' JSON shape.

`parse_document` reads what a source answered into entries, each with its id (guid, id, ninjs
uri), its facts as the story shape, or the tombstone that deletes it. `story_shape` then applies
the source's terms: the originating publisher, rights (the entry's, else the feed's, else the
source's, else "not stated"; never this site), the syndication policy. Nothing here writes to
the archive or fetches anything.

RSS and Atom are read by feedparser (it reads every dialect in the wild, sanitises HTML and
resolves relative links against xml:base and the document's URL); before it, defusedxml parses
the document with entity declarations refused, so an entity bomb is never expanded.
"""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree
import feedparser
import lxml.etree
import lxml.html

from archive.ingest import ninjs
from archive.story.fields import LANGUAGE_PATTERN
from archive.story.html import sanitise, to_text
from archive.story.rights import parse_rights

ATOM_ENTRY = "{http://www.w3.org/2005/Atom}entry"
TOMBSTONES = "{http://purl.org/atompub/tombstones/1.0}deleted-entry"
JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1")
# The story's syndication policy for each source policy: what our own feeds may carry of it.
SYNDICATION = {"full": "full", "summary": "summary", "link": "none"}
# Longest summary made from a body when the policy keeps only a summary.
SUMMARY_CHARACTERS = 600
NOT_STATED = "not stated"


class UnreadableDocument(ValueError):
    """A source's answer is not a feed or ninjs that can be read; the message says why."""


@dataclass(frozen=True)
class Entry:
    """One entry: its id, its facts as the story shape, or a tombstone (`deleted`)."""

    entry_id: str
    shape: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False


@dataclass(frozen=True)
class Document:
    """What a source answered: its kind, the feed-level facts, its entries, and what was odd."""

    kind: str
    title: str = ""
    home_url: str | None = None
    rights: str = ""
    language: str = ""
    authors: tuple[str, ...] = ()
    hub_url: str | None = None
    self_url: str | None = None
    entries: tuple[Entry, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Terms:
    """How a source's entries become stories (the source's options, the site's own names)."""

    policy: str = "full"
    rights: str = ""
    publisher: str = ""
    section: str = ""
    tags: tuple[str, ...] = ()
    status: str = "published"
    own_names: tuple[str, ...] = ()


def parse_document(data: bytes, *, url: str, max_entries: int = 500) -> Document:
    """Read a feed or ninjs document. Raises UnreadableDocument naming what is wrong."""
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start in (b"{", b"["):
        document = _parse_json(data, url=url)
    elif start == b"<":
        document = _parse_xml(data, url=url, max_entries=max_entries)
    else:
        raise UnreadableDocument(
            "the answer is neither XML (RSS, Atom) nor JSON (JSON Feed, ninjs)"
        )
    return _checked(document, max_entries=max_entries)


def _checked(document: Document, *, max_entries: int) -> Document:
    """Entries with an id each, the first of a repeated id only, at most `max_entries`."""
    seen: set[str] = set()
    entries, problems = [], list(document.problems)
    for entry in document.entries:
        if not entry.entry_id:
            problems.append(f"an entry titled {entry.shape.get('title', '')!r} has no id nor link")
        elif entry.entry_id in seen:
            problems.append(f"entry id {entry.entry_id!r} appears more than once (first taken)")
        else:
            seen.add(entry.entry_id)
            entries.append(entry)
    if len(entries) > max_entries:
        problems.append(f"{len(entries):,} entries; the first {max_entries:,} taken")
        entries = entries[:max_entries]
    return Document(**{**document.__dict__, "entries": tuple(entries), "problems": tuple(problems)})


# --- XML: RSS 2.0 and Atom 1.0 -------------------------------------------------------------


def _parse_xml(data: bytes, *, url: str, max_entries: int) -> Document:
    try:
        tree = defusedxml.ElementTree.fromstring(data)
    except defusedxml.DefusedXmlException as error:
        raise UnreadableDocument(f"the XML declares entities, refused ({error})") from None
    except ParseError as error:
        raise UnreadableDocument(f"the XML is not well-formed: {error}") from None
    deleted = [Entry(element.get("ref", ""), deleted=True) for element in tree.iter(TOMBSTONES)]
    problems = []
    if cut := _cut(tree, max_entries):
        # feedparser reads a thousand entries a second: only those to be taken are read.
        problems.append(f"{cut:,} entries; the first {max_entries:,} taken")
        data = xml.etree.ElementTree.tostring(tree, encoding="utf-8")
    parsed = feedparser.parse(
        data, response_headers={"content-location": url, "content-type": "application/xml"}
    )
    version = parsed.get("version", "")
    if not version:
        raise UnreadableDocument(f"the XML is not RSS or Atom (its root is <{_local(tree.tag)}>)")
    feed = parsed.feed
    links = feed.get("links", [])
    entries = [_feed_entry(entry, feed) for entry in parsed.entries]
    return Document(
        kind="atom" if version.startswith("atom") else "rss",
        title=_plain(feed.get("title", "")),
        home_url=_web(feed.get("link")),
        rights=_plain(feed.get("rights", "")),
        language=_language(feed.get("language", "")),
        authors=tuple(a.get("name", "") for a in feed.get("authors", []) if a.get("name")),
        hub_url=next((_web(link.get("href")) for link in links if link.get("rel") == "hub"), None),
        self_url=next(
            (_web(link.get("href")) for link in links if link.get("rel") == "self"), None
        ),
        entries=tuple(entries + deleted),
        problems=tuple(problems),
    )


def _cut(tree, most: int) -> int:
    """Leave the first `most` entries (RSS items, Atom entries) in the tree; how many there
    were, when there were more (else 0)."""
    parents = [tree, *tree.findall("channel")]
    for parent in parents:
        entries = parent.findall("item") + parent.findall(ATOM_ENTRY)
        if len(entries) > most:
            for entry in entries[most:]:
                parent.remove(entry)
            return len(entries)
    return 0


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _feed_entry(entry: dict, feed: dict) -> Entry:
    shape: dict[str, Any] = {"title": _plain(entry.get("title", ""))}
    content = entry.get("content") or []
    summary = entry.get("summary", "")
    if content:
        shape["body"] = content[0].get("value", "")
        if summary and summary != shape["body"]:
            shape["summary"] = _plain(summary)
    elif summary:
        shape["body"] = summary
    authors = [a.get("name", "").strip() for a in entry.get("authors", []) if a.get("name")]
    if not authors and entry.get("author"):
        authors = [entry["author"].strip()]
    if authors:
        shape["authors"] = authors
    if link := _web(entry.get("link")):
        shape["original_url"] = link
    for key, name in (("published_at", "published"), ("updated_at", "updated")):
        # dict.get: feedparser's own get maps a missing `updated` to `published`, with a warning.
        if moment := _time(dict.get(entry, name), dict.get(entry, f"{name}_parsed")):
            shape[key] = moment
    if "published_at" not in shape and "updated_at" in shape:
        shape["published_at"] = shape["updated_at"]
    language = (entry.get("title_detail") or {}).get("language") or ""
    if language := _language(language):
        shape["language"] = language
    if rights := _plain(entry.get("rights", "")):
        shape["rights"] = rights  # as text: story_shape reads it
    tags = [t.get("term", "").strip() for t in entry.get("tags", []) if t.get("term")]
    if tags:
        shape["tags"] = list(dict.fromkeys(t for t in tags if t))[:50]
    if media := _media_of(entry):
        shape["media"] = media
    entry_id = entry.get("id") or entry.get("guid") or shape.get("original_url") or ""
    return Entry(str(entry_id).strip(), shape)


def _media_of(entry: dict) -> list[dict]:
    """Media RSS pictures with their credits (media:credit) and descriptions."""
    credits = [c.get("content", "").strip() for c in entry.get("media_credit", [])]
    caption = _plain(entry.get("media_description", "") or "")
    found: list[dict] = []
    for content in entry.get("media_content", []) + entry.get("media_thumbnail", [])[:1]:
        address = _web(content.get("url"))
        if not address or any(m["url"] == address for m in found):
            continue
        media: dict[str, Any] = {"url": address, "caption": caption}
        if credits and credits[0]:
            media["credit"] = credits[0]
        kind = content.get("type")
        if isinstance(kind, str) and "/" in kind:
            media["mime_type"] = kind
        width, height = _pixels(content.get("width")), _pixels(content.get("height"))
        if width and height:
            media["width"], media["height"] = width, height
        found.append(media)
    return found[:100]


def _pixels(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= 100_000 else None


# --- JSON: JSON Feed 1.1 and ninjs ---------------------------------------------------------


def _parse_json(data: bytes, *, url: str) -> Document:
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise UnreadableDocument(f"the JSON is not UTF-8 (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise UnreadableDocument(f"not valid JSON: {error.msg} at line {error.lineno}") from None
    except RecursionError:
        raise UnreadableDocument("the JSON is nested too deeply") from None
    if isinstance(value, dict) and str(value.get("version", "")).rstrip("/") in JSON_FEED_VERSIONS:
        return _json_feed(value, url=url)
    items = value if isinstance(value, list) else [value]
    if items and all(ninjs.is_ninjs(item) for item in items):
        return Document(kind="ninjs", entries=tuple(_ninjs_entry(item, url) for item in items))
    raise UnreadableDocument("the JSON is neither a JSON Feed (version 1.1) nor ninjs items")


def _ninjs_entry(item: dict, url: str) -> Entry:
    if ninjs.is_withdrawn(item):
        return Entry(item["uri"], deleted=True)
    shape = ninjs.story_shape(item)
    if "body" in shape:
        shape["body"] = absolute_links(shape["body"], url)
    return Entry(item["uri"], shape)


def _json_feed(feed: dict, *, url: str) -> Document:
    home = _web(feed.get("home_page_url"))
    items = feed.get("items")
    if not isinstance(items, list):
        items = []
    entries = [
        _json_entry(item, feed, base=home or url) for item in items if isinstance(item, dict)
    ]
    hubs = [h for h in feed.get("hubs") or [] if isinstance(h, dict)]
    return Document(
        kind="json feed",
        title=_text(feed.get("title")),
        home_url=home,
        language=_language(_text(feed.get("language"))),
        authors=tuple(_json_authors(feed)),
        hub_url=next((_web(h.get("url")) for h in hubs if h.get("type") == "WebSub"), None),
        self_url=_web(feed.get("feed_url")),
        entries=tuple(entries),
    )


def _json_authors(value: dict) -> list[str]:
    authors = value.get("authors") or ([value["author"]] if value.get("author") else [])
    return [_text(a.get("name")) for a in authors if isinstance(a, dict) and _text(a.get("name"))]


def _json_entry(item: dict, feed: dict, *, base: str) -> Entry:
    link = _web(item.get("url")) or _web(item.get("external_url"))
    shape: dict[str, Any] = {"title": _text(item.get("title"))}
    if body := _text(item.get("content_html")):
        shape["body"] = absolute_links(body, link or base)
    elif body := _text(item.get("content_text")):
        paragraphs = [p.strip() for p in body.split("\n\n") if p.strip()]
        shape["body"] = "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
    if summary := _text(item.get("summary")):
        shape["summary"] = summary
    if not shape["title"]:
        shape["title"] = (shape.get("summary") or to_text(sanitise(shape.get("body", ""))))[:120]
    if authors := _json_authors(item):
        shape["authors"] = authors
    if link:
        shape["original_url"] = link
    for key, name in (("published_at", "date_published"), ("updated_at", "date_modified")):
        if moment := _time(_text(item.get(name)), None):
            shape[key] = moment
    if language := _language(_text(item.get("language"))):
        shape["language"] = language
    tags = [t.strip() for t in item.get("tags") or [] if isinstance(t, str) and t.strip()]
    if tags:
        shape["tags"] = list(dict.fromkeys(tags))[:50]
    if image := _web(item.get("image")) or _web(item.get("banner_image")):
        shape["media"] = [{"url": image}]
    return Entry(_text(item.get("id")) or link or "", shape)


# --- Values ----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _plain(value: str) -> str:
    """Plain text of a title or summary that may carry markup."""
    if not value or ("<" not in value and "&" not in value):
        return (value or "").strip()
    return to_text(sanitise(value)).strip()


def _web(value: Any) -> str | None:
    """An absolute http(s) URL, else None (a javascript: or data: link is dropped)."""
    if isinstance(value, str) and value.strip().lower().startswith(("http://", "https://")):
        return value.strip()
    return None


def _language(value: str) -> str:
    value = (value or "").strip().replace("_", "-")
    return value if value and LANGUAGE_PATTERN.fullmatch(value) and len(value) <= 35 else ""


def _time(text: Any, parsed: Any) -> str | None:
    """A time as the entry wrote it, with its offset (ISO 8601); feedparser's UTC reading when
    the text is in no format read here; None when there is none."""
    if isinstance(text, str) and text.strip():
        text = text.strip()
        try:
            moment = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            try:
                moment = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                moment = None
        if moment is not None:
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
    if parsed:
        return datetime(*parsed[:6]).replace(tzinfo=UTC).isoformat()
    return None


def absolute_links(body: str, base: str | None) -> str:
    """The body with every relative link and image source made absolute against `base`."""
    if not base or not body.strip():
        return body
    try:
        fragment = lxml.html.fragment_fromstring(body, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return body
    fragment.make_links_absolute(base, resolve_base_href=False, handle_failures="discard")
    inner = (fragment.text or "") and html.escape(fragment.text, quote=False)
    return inner + "".join(
        lxml.html.tostring(child, encoding="unicode", with_tail=True) for child in fragment
    )


# --- Terms -----------------------------------------------------------------------------------


def story_shape(entry: Entry, document: Document, terms: Terms) -> dict[str, Any]:
    """The story an entry becomes under its source's terms (see the module's docstring)."""
    shape = dict(entry.shape)
    rights_text = shape.pop("rights", "") or document.rights or terms.rights
    shape["rights"] = _rights(rights_text) if isinstance(rights_text, str) else rights_text
    if not shape["rights"]:
        shape["rights"] = {"holder": NOT_STATED, "statement": "Rights not stated by the source."}
    shape["publisher"] = shape.get("publisher") or _publisher(document, terms)
    if not shape["publisher"]:
        shape.pop("publisher")
    if not shape.get("authors") and document.authors:
        shape["authors"] = list(document.authors)
    if not shape.get("language") and document.language:
        shape["language"] = document.language
    if terms.section:
        shape.setdefault("section", terms.section)
    if terms.tags:
        shape["tags"] = list(dict.fromkeys([*shape.get("tags", []), *terms.tags]))[:50]
    shape["status"] = terms.status
    shape["syndication"] = SYNDICATION[terms.policy]
    shape.pop("embargo_at", None)
    return _under_policy(shape, terms.policy)


def _rights(text: Any) -> dict | None:
    if isinstance(text, dict):
        return text
    text = (text or "").strip()
    if not text:
        return None
    return parse_rights(text) or {"holder": "", "statement": text}


def _publisher(document: Document, terms: Terms) -> dict | None:
    """The originating publisher: the source's --publisher, else the feed's title or author;
    never this site."""
    name = terms.publisher or document.title or (document.authors[0] if document.authors else "")
    own = {n.strip().casefold() for n in terms.own_names if n}
    if not name or name.strip().casefold() in own:
        return None
    found = {"name": name[:200]}
    if document.home_url:
        found["url"] = document.home_url
    return found


def _under_policy(shape: dict, policy: str) -> dict:
    """Only what the policy allows: full (everything), summary (no body), link (title and
    link). The original's link is always kept."""
    if policy == "full":
        return shape
    body = shape.pop("body", "")
    if policy == "summary":
        if not shape.get("summary"):
            text = to_text(sanitise(body))
            shape["summary"] = text[:SUMMARY_CHARACTERS].rsplit(" ", 1)[0] if text else ""
        return shape
    shape.pop("summary", None)
    shape.pop("dek", None)
    shape["media"] = []
    return shape
