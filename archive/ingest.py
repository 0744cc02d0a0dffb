"""Ingestion: plain text, Markdown with front matter, saved HTML pages and JSON -> Story.

Each reader returns stories in the JSON shape of archive.shape, then one place applies the
caller's defaults and validates. Nothing here writes to the archive.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import frontmatter
import lxml.html
import markdown
import yaml

from archive.errors import InvalidStory
from archive.extract import Extracted, extract, parse_credit, parse_rights
from archive.models import Story
from archive.names import slugify
from archive.shape import story_from_dict

# Largest file `masthead import` reads; an article is far smaller.
MAX_FILE_BYTES = 10 * 1024 * 1024
SUFFIXES = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
}


class IngestError(InvalidStory):
    """A file could not be read as a story; the message names the file and the problem."""


def rights_from_text(text: str) -> dict:
    """A rights option ("© 2020 X. All rights reserved.") as the rights object of the shape."""
    return parse_rights(text.strip()) or {"holder": "", "statement": text.strip()}


def _body_from(found: Extracted) -> str:
    parts = []
    for kind, text in found.paragraphs:
        escaped = html.escape(text, quote=False)
        if kind == "voice":
            parts.append(f'<p class="voice">{escaped}</p>')
        elif kind == "quote":
            parts.append(f"<blockquote><p>{escaped}</p></blockquote>")
        else:
            parts.append(f"<p>{escaped}</p>")
    return "\n".join(parts)


def _shape_from(found: Extracted) -> dict[str, Any]:
    shape: dict[str, Any] = {"title": found.title, "dek": found.dek, "body": _body_from(found)}
    if found.authors:
        shape["authors"] = found.authors
    if found.media:
        shape["media"] = found.media
    if found.sources:
        shape["sources"] = found.sources
    if found.rights:
        shape["rights"] = found.rights
    return shape


def read_text(raw: str) -> list[dict]:
    """A plain-text article: title line, captions with credits, standfirst, body, rights."""
    return [_shape_from(extract(raw))]


def read_markdown(raw: str) -> list[dict]:
    """Markdown with optional YAML front matter in the story's JSON shape."""
    try:
        post = frontmatter.loads(raw)
    except yaml.YAMLError as error:
        raise IngestError([f"front matter is not valid YAML: {error}"]) from None
    meta = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in post.metadata.items()}
    content = post.content
    if "title" not in meta:
        first, _, rest = content.lstrip().partition("\n")
        if first.startswith("# "):
            meta["title"], content = first[2:].strip(), rest
    meta["body"] = markdown.markdown(content, extensions=["extra"], output_format="html")
    return [meta]


def read_html(raw: str) -> list[dict]:
    """A saved article page: trafilatura removes the page furniture, then the text rules apply."""
    import trafilatura  # slow to import; only HTML needs it

    document = trafilatura.bare_extraction(
        raw, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    if document is None:
        raise IngestError(["no article text found in the HTML page"])
    meta = document.as_dict()
    paragraphs = (meta.get("text") or "").replace("\n", "\n\n")
    description = meta.get("description") or ""
    found = extract(paragraphs, title=meta.get("title") or "", find_dek=not description)
    page = lxml.html.document_fromstring(raw)
    for media in _figures(page):
        if media not in found.media:
            found.media.append(media)
    shape = _shape_from(found)
    if description:
        shape["dek"] = description
    if meta.get("author") and not found.authors:
        shape["authors"] = [a.strip() for a in meta["author"].split(";") if a.strip()]
    if meta.get("sitename"):
        shape["publisher"] = {"name": meta["sitename"]}
    # Only a date the page states in its metadata: trafilatura's guesses can come from a
    # copyright year, which is not a publication time.
    published = page.xpath("//meta[@property='article:published_time']/@content")
    if published:
        shape["published_at"] = published[0].strip()
    return [shape]


def _figures(page) -> list[dict]:
    """Figures with captions: the caption's credit ("Photo: X") split off, absolute src kept."""
    found = []
    for figure in page.xpath("//article//figure | //main//figure"):
        caption = " ".join(figure.xpath("string(.//figcaption)").split())
        media = parse_credit(caption) or {"caption": caption, "credit": ""}
        src = (figure.xpath(".//img/@src") or [""])[0]
        if src.startswith(("http://", "https://")):
            media["url"] = src
        alt = (figure.xpath(".//img/@alt") or [""])[0]
        if alt:
            media["alt"] = alt
        if media["caption"] or media["credit"]:
            found.append(media)
    return found


def read_json(raw: str) -> list[dict]:
    """One story object or a list of them, in the write API's shape."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise IngestError([f"not valid JSON: {error.msg} at line {error.lineno}"]) from None
    items = data if isinstance(data, list) else [data]
    if not items:
        raise IngestError(["the JSON list holds no stories"])
    return items


READERS: dict[str, Callable[[str], list[dict]]] = {
    "text": read_text,
    "markdown": read_markdown,
    "html": read_html,
    "json": read_json,
}


def stories_from(
    raw: str, kind: str, *, defaults: dict[str, Any] | None = None, origin: str | None = None
) -> list[Story]:
    """Stories from text of a known kind, the caller's defaults filling what the text leaves out.

    Raises InvalidStory (or IngestError) naming every problem.
    """
    stories = []
    items = READERS[kind](raw)
    for index, shape in enumerate(items):
        shape = apply_defaults(shape, defaults or {})
        story = story_from_dict(shape)
        if not story.title.strip():
            raise IngestError(["no title found (the first line of the article is its title)"])
        name = story.slug or slugify(story.title) or index
        key = origin if len(items) == 1 else f"{origin}#{name}"
        stories.append(story.replace(origin=key if origin else None))
    return stories


def apply_defaults(shape: dict, defaults: dict[str, Any]) -> dict:
    """What the file says wins; defaults fill only fields it left empty."""
    if not isinstance(shape, dict):
        return shape
    merged = dict(shape)
    for key, value in defaults.items():
        if merged.get(key) in (None, "", [], {}):
            merged[key] = value
    return merged


def read_file(path: Path, *, defaults: dict[str, Any] | None = None) -> list[Story]:
    """The stories in one file, its format chosen by suffix.

    Raises IngestError naming the problem.
    """
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise IngestError(
            [
                f"unknown format {path.suffix or '(no suffix)'!r} "
                f"(expected one of {', '.join(SUFFIXES)})"
            ]
        )
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise IngestError([f"file is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB"])
        data = path.read_bytes()
    except OSError as error:
        raise IngestError([f"cannot read the file: {error.strerror}"]) from None
    if not data.strip():
        raise IngestError(["the file is empty"])
    if b"\x00" in data:
        raise IngestError(["the file is binary, not text"])
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise IngestError([f"the file is not UTF-8 text (byte {error.start})"]) from None
    return stories_from(raw, kind, defaults=defaults, origin=f"file:{path.resolve()}")


def files_under(paths: list[Path]) -> list[Path]:
    """Every importable file named or inside a named folder, in a stable order."""
    found = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
            )
        else:
            found.append(path)
    return found
