"""IPTC ninjs (News in JSON, 3.x) items read as stories' JSON shape (archive.story.shape).

What Masthead keeps of an item: headline, descriptions (dek, summary), body (the marked-up one
when there is one), byline (`by`, people with an author's role), language, first and latest
version times with their offsets, copyright (notice, holder, usage terms, linked rights), the
originating publisher (infoSources), pictures (renditions, associations) with their credits,
subjects as tags and the dateline (`located`). Nothing here writes to the archive.
"""

from __future__ import annotations

import html
from typing import Any

from archive.ingest.byline import author_names
from archive.story.rights import parse_rights

# pubStatus values that take an item back: ninjs 3 says withheld or canceled; older agencies
# write withdrawn.
WITHDRAWN = ("withheld", "canceled", "cancelled", "withdrawn")
# Body content types that are markup, as agencies write them.
MARKUP_TYPES = ("html", "xhtml", "xml")
# People whose relation to an item makes them its authors.
AUTHOR_RELS = ("author", "creator", "by", "writer", "photographer", "contributor")
# infoSources roles that name the originating publisher.
PUBLISHER_ROLES = ("originator", "publisher", "source", "provider", "distributor")
PICTURE_TYPES = ("picture", "graphic", "image")


def is_ninjs(data: Any) -> bool:
    """Whether a JSON object is a ninjs item: `uri` is its one required property, and no
    story of Masthead's own shape has one."""
    return isinstance(data, dict) and isinstance(data.get("uri"), str) and "title" not in data


def is_withdrawn(item: dict) -> bool:
    return str(item.get("pubStatus") or item.get("pubstatus") or "").lower() in WITHDRAWN


def story_shape(item: dict) -> dict[str, Any]:
    """A ninjs item as the story's JSON shape; what the item does not say is left out."""
    shape: dict[str, Any] = {}
    headline = _value(item.get("headlines"), ("main", "headline", None)) or item.get("title")
    descriptions = item.get("descriptions")
    summary = _value(descriptions, ("summary", "text", "caption", None), plain=True)
    if isinstance(headline, str) and headline.strip():
        shape["title"] = headline.strip()
    elif summary:
        shape["title"] = summary.strip().split("\n")[0][:300]
    if dek := _value(item.get("headlines"), ("sub", "subheadline", "subtitle")):
        shape["dek"] = dek
    if summary:
        shape["summary"] = summary[:2000]
    if body := _body(item):
        shape["body"] = body
    authors = _authors(item)
    if authors:
        shape["authors"] = authors
    if isinstance(item.get("language"), str) and item["language"]:
        shape["language"] = item["language"]
    _times(item, shape)
    if rights := _rights(item):
        shape["rights"] = rights
    if publisher := _publisher(item):
        shape["publisher"] = publisher
    if media := _media(item):
        shape["media"] = media
    tags = [s["name"] for s in _objects(item.get("subjects")) if isinstance(s.get("name"), str)]
    if tags:
        shape["tags"] = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    if isinstance(item.get("located"), str) and item["located"].strip():
        shape["dateline"] = item["located"].strip()[:100]
    return shape


def _objects(value: Any) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _value(parts: Any, roles: tuple, *, plain: bool = False) -> str:
    """The value of the first part whose role is one of `roles` (None: no role), in that order."""
    found = [p for p in _objects(parts) if isinstance(p.get("value"), str)]
    if plain:
        found = [p for p in found if not _is_markup(p)] or found
    for role in roles:
        for part in found:
            if role is None or part.get("role") == role:
                return part["value"] if not _is_markup(part) else _text_of(part["value"])
    return ""


def _is_markup(part: dict) -> bool:
    kind = str(part.get("contentType") or "").lower()
    return any(word in kind for word in MARKUP_TYPES) or part.get("role") == "richtext"


def _text_of(markup: str) -> str:
    from archive.story.html import sanitise, to_text

    return to_text(sanitise(markup))


def _body(item: dict) -> str:
    bodies = [b for b in _objects(item.get("bodies")) if isinstance(b.get("value"), str)]
    if not bodies and str(item.get("type")) in PICTURE_TYPES:
        bodies = [d for d in _objects(item.get("descriptions")) if isinstance(d.get("value"), str)]
    marked = [b for b in bodies if _is_markup(b)]
    if marked:
        return marked[0]["value"]
    if bodies:
        paragraphs = [p.strip() for p in bodies[0]["value"].split("\n\n") if p.strip()]
        return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
    return ""


def _authors(item: dict) -> list[dict]:
    people = [
        {"name": p["name"], **({"url": p["uri"]} if _is_web(p.get("uri")) else {})}
        for p in _objects(item.get("people"))
        if isinstance(p.get("name"), str) and str(p.get("rel", "")).lower() in AUTHOR_RELS
    ]
    if people:
        return people
    by = item.get("by")
    if isinstance(by, str) and by.strip():
        return [{"name": name} for name in author_names(by.strip())]
    return []


def _times(item: dict, shape: dict) -> None:
    first = item.get("firstCreated") or item.get("contentCreated") or item.get("versionCreated")
    if isinstance(first, str):
        shape["published_at"] = first
    if isinstance(item.get("versionCreated"), str):
        shape["updated_at"] = item["versionCreated"]
    if isinstance(item.get("embargoedUntil"), str):
        shape["embargo_at"] = item["embargoedUntil"]


def _rights(item: dict) -> dict | None:
    notice, holder, terms = (
        value if isinstance(value := item.get(key), str) else ""
        for key in ("copyrightNotice", "copyrightHolder", "usageTerms")
    )
    linked = (item.get("rightsInfo") or {}).get("linkedRights")
    if not (notice or holder or terms or linked):
        return None
    rights = parse_rights(notice.strip()) or {} if notice else {}
    statement = " ".join(part.strip() for part in (notice, terms) if part and part.strip())
    # "Copyright 2013 The News Agency, www.tna.org - all rights reserved.": the holder is what
    # stands before the dash of the reservation.
    parsed_holder = (rights.get("holder") or "").rstrip(" -–—,;")
    found = {"holder": holder.strip() or parsed_holder, "statement": statement}
    license_url = linked if _is_web(linked) else rights.get("license_url")
    if license_url:
        found["license_url"] = license_url
    return found


def _publisher(item: dict) -> dict | None:
    for source in _objects(item.get("infoSources")):
        role = str(source.get("role") or "").lower().rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        if isinstance(source.get("name"), str) and role in PUBLISHER_ROLES:
            found = {"name": source["name"]}
            if _is_web(source.get("uri")):
                found["url"] = source["uri"]
            return found
    return None


def _media(item: dict) -> list[dict]:
    pictures = [item] if str(item.get("type")) in PICTURE_TYPES else []
    pictures += [
        a for a in _objects(item.get("associations")) if str(a.get("type")) in PICTURE_TYPES
    ]
    media = []
    for picture in pictures:
        renditions = [r for r in _objects(picture.get("renditions")) if _is_web(r.get("href"))]
        if not renditions:
            continue
        best = next((r for r in renditions if r.get("name") in ("main", "original")), renditions[0])
        found: dict[str, Any] = {"url": best["href"]}
        if isinstance(best.get("contentType"), str):
            found["mime_type"] = best["contentType"].replace("image/jpg", "image/jpeg")
        if _is_size(best.get("width")) and _is_size(best.get("height")):
            found["width"], found["height"] = best["width"], best["height"]
        caption = _value(picture.get("descriptions"), ("caption", "text", None), plain=True)
        if caption or picture is not item:
            found["caption"] = caption or _value(picture.get("headlines"), ("main", None))
        if isinstance(picture.get("by"), str):
            found["credit"] = picture["by"]
        if isinstance(picture.get("copyrightNotice"), str):
            found["copyright"] = picture["copyrightNotice"]
        media.append(found)
    return media


def _is_web(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def _is_size(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
