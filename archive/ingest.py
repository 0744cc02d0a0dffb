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
from archive.extract import SPACES, Extracted, author_names, extract, parse_credit
from archive.html import to_text
from archive.language import declared_language, detected_language
from archive.models import Story
from archive.names import slugify
from archive.origin import page_origin, with_holder_as_origin
from archive.rights import parse_rights
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
# Formats whose language, when neither the file nor the caller gives it, is read from the text.
GUESSES_LANGUAGE = {"text", "html"}
# Elements whose text a saved page shows as one block (titles, paragraphs, captions, list items).
TEXT_BLOCKS = "//title | //h1 | //h2 | //h3 | //h4 | //p | //li | //figcaption | //blockquote"


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
    shape.update(found.origin_shape())  # origin of syndicated copy (archive.origin)
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
    page = lxml.html.document_fromstring(raw)
    as_written = _texts_as_written(page)
    lines = (meta.get("text") or "").split("\n")
    paragraphs = "\n\n".join(as_written.get(line.strip(), line) for line in lines)
    description = as_written.get(meta.get("description") or "", meta.get("description") or "")
    title = as_written.get(meta.get("title") or "", meta.get("title") or "")
    found = extract(paragraphs, title=title, find_dek=not description)
    for media in _figures(page):
        if media not in found.media:
            found.media.append(media)
    shape = _shape_from(found)
    if description:
        shape["dek"] = description
    if meta.get("author") and not found.authors:
        shape["authors"] = author_names(meta["author"])
    if meta.get("sitename"):
        shape.setdefault("publisher", {"name": meta["sitename"]})
    shape = {**page_origin(page), **shape}  # the page's canonical URL (archive.origin)
    if language := declared_language(page):
        shape["language"] = language
    # Only a date the page states in its metadata: trafilatura's guesses can come from a
    # copyright year, which is not a publication time.
    published = page.xpath("//meta[@property='article:published_time']/@content")
    if published:
        shape["published_at"] = published[0].strip()
    return [shape]


def _texts_as_written(page) -> dict[str, str]:
    """The page's blocks of text keyed by their whitespace-collapsed form.

    trafilatura collapses every space, the ideographic space U+3000 too; the archive keeps text
    as the page wrote it, so each extracted line is looked up here.
    """
    written = {}
    for element in page.xpath(TEXT_BLOCKS):
        text = SPACES.sub(" ", element.text_content()).strip()
        written.setdefault(" ".join(text.split()), text)
    for content in page.xpath("//meta/@content"):
        text = SPACES.sub(" ", content).strip()
        written.setdefault(" ".join(text.split()), text)
    return written


def _figures(page) -> list[dict]:
    """Figures with captions: the caption's credit ("Photo: X") split off, absolute src kept."""
    found = []
    for figure in page.xpath("//article//figure | //main//figure"):
        caption = SPACES.sub(" ", figure.xpath("string(.//figcaption)")).strip()
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
        if kind in GUESSES_LANGUAGE and isinstance(shape, dict):  # read from prose
            shape = with_holder_as_origin(shape)
        if kind in GUESSES_LANGUAGE and isinstance(shape, dict) and not shape.get("language"):
            shape = _with_guessed_language(shape)
        story = story_from_dict(shape)
        if not story.title.strip():
            raise IngestError(["no title found (the first line of the article is its title)"])
        name = story.slug or slugify(story.title) or index
        key = origin if len(items) == 1 else f"{origin}#{name}"
        stories.append(story.replace(origin=key if origin else None))
    return stories


def _with_guessed_language(shape: dict) -> dict:
    """The shape with the language its text is written in, when that is clear."""
    text = "\n\n".join([shape.get("title") or "", shape.get("dek") or "", to_text(shape["body"])])
    language = detected_language(text)
    return {**shape, "language": language} if language else shape


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
