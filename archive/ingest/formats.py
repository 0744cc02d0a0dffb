"""Ingestion: plain text, Markdown with front matter, saved HTML pages, JSON and JSON Lines
-> Story.

Each reader returns stories in the JSON shape of archive.story.shape, then one place applies the
caller's defaults and validates. Nothing here writes to the archive; JSON Lines are read a line
at a time, every other file whole (at most MAX_FILE_BYTES).
"""

from __future__ import annotations

import html
import json
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import frontmatter
import lxml.html
import markdown
import yaml

from archive.errors import InvalidStory
from archive.ingest import folders, ninjs
from archive.ingest.byline import author_names
from archive.ingest.extract import SPACES, Extracted, extract, parse_credit
from archive.ingest.folders import Found
from archive.ingest.language import declared_language, detected_language
from archive.ingest.origin import page_origin, with_holder_as_origin
from archive.story.html import to_text
from archive.story.models import Story, markup_problems
from archive.story.names import slugify
from archive.story.rights import parse_rights
from archive.story.shape import story_from_dict

# Largest file `masthead import` holds in memory whole (.json, .md, .html, .txt); an article is
# far smaller. JSON Lines files are read a line at a time and have no limit of their own.
MAX_FILE_BYTES = 10 * 1024 * 1024
# Longest line of a JSON Lines file: one story with every revision of its history.
MAX_LINE_BYTES = 256 * 1024 * 1024
# Deepest nesting of lists and quotes a Markdown file may have, in columns of indentation and
# markers before a line's text: Python-Markdown parses each level by recursion over the rest of
# the block, so 3,000 levels took minutes and gigabytes. An article nests a few levels.
MAX_MARKDOWN_NESTING = 64
# Python-Markdown's link and HTML parsing is quadratic in the `[` and `<` left open in one
# paragraph (a 6 KB paragraph of "[x " takes 2 s): real prose has a few per paragraph, so more
# than this many in one paragraph, or in the whole file, is refused before rendering.
MAX_MARKDOWN_OPENERS = (100, 10_000)
# Longest Markdown text rendered: a story's body holds at most a million characters.
MAX_MARKDOWN_CHARACTERS = 2_000_000
# Python-Markdown's tables split each row into cells by scanning the rest of the row for code
# spans at every `|`, so a row takes time with the square of its cells (4,000 `|` on one line
# took 3 s), and a table with its rows (a table of 2 MB, a minute). Real tables have a few
# dozen columns at most, and some hundreds of rows (a nation's constituencies): more `|` on one
# line, or more lines holding a `|` in one file, are refused before rendering.
MAX_MARKDOWN_TABLE_CELLS = 100
MAX_MARKDOWN_TABLE_ROWS = 2_000
# Most entity references ("&amp;", "&quot;") in a saved HTML page, counted as its "&": a page
# carries more than the article in it (JSON in attributes is all "&quot;"), so more than a
# body's MAX_ENTITIES; reading takes time with their number (1.5 million took 24 s).
MAX_PAGE_ENTITIES = 500_000
# Python-Markdown's "extra" without abbreviations: every abbreviation is one more pattern run
# over the whole text (3,000 of them took 7 s), and articles do not define them.
MARKDOWN_EXTENSIONS = [
    "attr_list",
    "def_list",
    "fenced_code",
    "footnotes",
    "md_in_html",
    "tables",
]
SUFFIXES = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".jsonl": "jsonl",
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
    shape.update(found.origin_shape())  # origin of syndicated copy (archive.ingest.origin)
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
    _check_nesting(content)
    _check_openers(content)
    _check_tables(content)
    if "title" not in meta:
        first, _, rest = content.lstrip().partition("\n")
        if first.startswith("# "):
            meta["title"], content = first[2:].strip(), rest
    meta["body"] = markdown.markdown(content, extensions=MARKDOWN_EXTENSIONS, output_format="html")
    return [meta]


def _check_nesting(content: str) -> None:
    """Refuse Markdown nested deeper than MAX_MARKDOWN_NESTING before it is rendered."""
    for number, line in enumerate(content.split("\n"), start=1):
        depth = nesting_of(line)
        if depth > MAX_MARKDOWN_NESTING:
            raise IngestError(
                [
                    f"Markdown line {number} is nested too deeply ({depth} columns of indentation, "
                    f"list and quote markers; at most {MAX_MARKDOWN_NESTING})"
                ]
            )


def _check_openers(content: str) -> None:
    """Refuse Markdown too long, or with too many `[` and `<` in a paragraph or in all, before
    it is rendered (see MAX_MARKDOWN_OPENERS)."""
    if len(content) > MAX_MARKDOWN_CHARACTERS:
        raise IngestError(
            [f"Markdown is {len(content):,} characters long (at most {MAX_MARKDOWN_CHARACTERS:,})"]
        )
    per_paragraph, in_all = MAX_MARKDOWN_OPENERS
    total = 0
    for number, paragraph in enumerate(re.split(r"\n[ \t]*\n", content), start=1):
        openers = paragraph.count("[") + paragraph.count("<")
        total += openers
        if openers > per_paragraph or total > in_all:
            where, found = (
                (f"paragraph {number}", openers) if openers > per_paragraph else ("the file", total)
            )
            raise IngestError(
                [
                    f"Markdown {where} has too many [ and < ({found:,}; at most {per_paragraph} "
                    f"a paragraph and {in_all:,} in all)"
                ]
            )


def _check_tables(content: str) -> None:
    """Refuse Markdown with tables too wide or too long (see MAX_MARKDOWN_TABLE_CELLS) before
    it is rendered."""
    rows = 0
    for number, line in enumerate(content.split("\n"), start=1):
        if (cells := line.count("|")) == 0:
            continue
        rows += 1
        if cells > MAX_MARKDOWN_TABLE_CELLS:
            raise IngestError(
                [
                    f"Markdown line {number} has {cells:,} | (table cells; at most "
                    f"{MAX_MARKDOWN_TABLE_CELLS} on a line)"
                ]
            )
    if rows > MAX_MARKDOWN_TABLE_ROWS:
        raise IngestError(
            [
                f"Markdown has {rows:,} lines holding a | (table rows; at most "
                f"{MAX_MARKDOWN_TABLE_ROWS:,} in a file)"
            ]
        )


def nesting_of(line: str) -> int:
    """Columns of indentation, quote (>) and list markers (-, *, +, 1.) before a line's text."""
    column, index, length = 0, 0, len(line)
    while index < length:
        char = line[index]
        if char == "\t":
            column += 4 - column % 4
        elif char in " >" or (char in "-*+" and line[index + 1 : index + 2] in (" ", "\t")):
            column += 1
        elif char.isdigit():
            end = index
            while end < length and end - index < 10 and line[end].isdigit():
                end += 1
            if line[end : end + 1] not in (".", ")") or line[end + 1 : end + 2] not in (" ", "\t"):
                break
            column += end + 1 - index
            index = end
        else:
            break
        index += 1
    return column


def read_html(raw: str) -> list[dict]:
    """A saved article page: trafilatura removes the page furniture, then the text rules apply."""
    import trafilatura  # slow to import; only HTML needs it

    if problems := markup_problems(raw, max_entities=MAX_PAGE_ENTITIES):
        raise IngestError([f"the HTML page {problem}" for problem in problems])
    document = trafilatura.bare_extraction(
        raw, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    if document is None:
        raise IngestError(["no article text found in the HTML page"])
    meta = document if isinstance(document, dict) else document.as_dict()
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
    shape = {**page_origin(page), **shape}  # the page's canonical URL (archive.ingest.origin)
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
    written: dict[str, str] = {}
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
    # IPTC ninjs items are recognised by their `uri`, which no story of our own shape has.
    return [ninjs.story_shape(item) if ninjs.is_ninjs(item) else item for item in items]


READERS: dict[str, Callable[[str], list[dict]]] = {
    "text": read_text,
    "markdown": read_markdown,
    "html": read_html,
    "json": read_json,
}


@dataclass(frozen=True)
class Item:
    """One story as a file gave it: its JSON shape (defaults applied) and where it came from.

    `origin` names the file (and the story within it) for re-imports; `where` names the file,
    and for JSON Lines the line, in messages.
    """

    shape: dict[str, Any]
    origin: str | None
    where: str


def stories_from(
    raw: str, kind: str, *, defaults: dict[str, Any] | None = None, origin: str | None = None
) -> list[Story]:
    """Stories from text of a known kind, the caller's defaults filling what the text leaves out.

    Raises InvalidStory (or IngestError) naming every problem.
    """
    return [story_of(item) for item in items_from(raw, kind, defaults=defaults, origin=origin)]


def items_from(
    raw: str,
    kind: str,
    *,
    defaults: dict[str, Any] | None = None,
    origin: str | None = None,
    where: str = "",
) -> list[Item]:
    """The stories in text of a known kind as shapes, each with the origin it is imported from."""
    found: list[Item] = []
    keys: set[str | None] = set()
    items = READERS[kind](raw)
    for index, shape in enumerate(items):
        shape = apply_defaults(shape, defaults or {})
        if kind in GUESSES_LANGUAGE and isinstance(shape, dict):  # read from prose
            shape = with_holder_as_origin(shape)
        if kind in GUESSES_LANGUAGE and isinstance(shape, dict) and not shape.get("language"):
            shape = _with_guessed_language(shape)
        if not isinstance(shape, dict):
            story_from_dict(shape)  # raises, naming what the item is instead of an object
        key = origin if len(items) == 1 else f"{origin}#{_name_in(shape, index)}"
        if key in keys:
            key = f"{key}-{index}"  # two stories of one list by one name stay two stories
        keys.add(key)
        found.append(Item(shape, key if origin else None, where or origin or ""))
    return found


def _name_in(shape: dict, index: int) -> str | int:
    slug, title = shape.get("slug"), shape.get("title")
    slug = slug if isinstance(slug, str) else ""
    return slug or slugify(title if isinstance(title, str) else "") or index


def story_of(item: Item, *, base: Story | None = None) -> Story:
    """The story an item gives; over `base` (the story a re-import updates), only the fields
    the item carries change: a re-import never clears what the file does not say.

    Raises InvalidStory naming every problem.
    """
    story = story_from_dict(item.shape, base=base)
    if not story.title.strip():
        raise IngestError(["no title found (the first line of the article is its title)"])
    return story.replace(origin=item.origin) if base is None else story


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
    return [story_of(item) for item in items_in(path, defaults=defaults) if _is_item(item)]


def _is_item(item: Item | Unreadable) -> TypeGuard[Item]:
    if isinstance(item, Unreadable):
        raise item.error
    return True


def items_in(
    path: Path, *, defaults: dict[str, Any] | None = None, follow_links: bool = True
) -> Iterator[Item | Unreadable]:
    """The stories in one file as items, its format chosen by suffix.

    A JSON Lines file is read a line at a time: a bad line is yielded as an Unreadable naming
    it, and the lines after it are still read. Any other file is read whole, at most
    MAX_FILE_BYTES; `follow_links=False` refuses a symbolic link. Raises IngestError naming the
    problem with the file.
    """
    kind = kind_of(path)
    with _opened(path, follow_links=follow_links, whole=kind != "jsonl") as file:
        origin = f"file:{path.resolve()}"  # once open: a link loop has failed to open by now
        if kind == "jsonl":
            yield from _lines_of(file, defaults=defaults, origin=origin, where=str(path))
            return
        raw = _text_of(file.read())
    yield from items_from(raw, kind, defaults=defaults, origin=origin, where=str(path))


def kind_of(path: Path) -> str:
    """The format of a file by its suffix; IngestError for an unknown one."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise IngestError(
            [
                f"unknown format {path.suffix or '(no suffix)'!r} "
                f"(expected one of {', '.join(SUFFIXES)})"
            ]
        )
    return kind


def _opened(path: Path, *, follow_links: bool, whole: bool):
    """The file open for reading in binary, if it is a regular file (not a FIFO or a device,
    which could block for ever) of at most MAX_FILE_BYTES when it is to be read `whole`."""
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow_links else os.O_NOFOLLOW)
    try:
        handle = os.open(path, flags)
    except OSError as error:
        raise IngestError([f"cannot read the file: {error.strerror}"]) from None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise IngestError(["not a regular file (a device, a pipe or a socket)"])
        if whole and info.st_size > MAX_FILE_BYTES:
            raise IngestError([f"file is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB"])
        return os.fdopen(handle, "rb")
    except BaseException:
        os.close(handle)
        raise


def _text_of(data: bytes, *, what: str = "the file") -> str:
    if not data.strip():
        raise IngestError([f"{what} is empty"])
    if b"\x00" in data:
        raise IngestError([f"{what} is binary, not text"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise IngestError([f"{what} is not UTF-8 text (byte {error.start})"]) from None


def _lines_of(
    file, *, defaults: dict[str, Any] | None, origin: str, where: str
) -> Iterator[Item | Unreadable]:
    """Items from a JSON Lines file, one story a line; blank lines are skipped."""
    number = 0
    while line := file.readline(MAX_LINE_BYTES + 1):
        number += 1
        here = f"{where}:{number}"
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            problem = IngestError([f"line {number} is longer than {MAX_LINE_BYTES // 2**20} MiB"])
            yield Unreadable(here, problem)
            while line and not line.endswith(b"\n"):  # the rest of that line
                line = file.readline(MAX_LINE_BYTES)
            continue
        if not line.strip():
            continue
        try:
            [shape] = read_json(_text_of(line, what=f"line {number}"))
            if not isinstance(shape, dict):
                story_from_dict(shape)
        except (InvalidStory, RecursionError, ValueError) as error:
            yield Unreadable(here, error)
            continue
        shape = apply_defaults(shape, defaults or {})
        name = shape.get("id") if isinstance(shape.get("id"), int) else _name_in(shape, number)
        yield Item(shape, f"{origin}#{name}", here)


@dataclass(frozen=True)
class Unreadable:
    """One line of a JSON Lines file that could not be read: where, and the error saying why."""

    where: str
    error: Exception


def files_under(paths: list[Path]) -> list[Found]:
    """Every importable file named or inside a named folder (see archive.ingest.folders)."""
    return folders.files_under(paths, suffixes=set(SUFFIXES))
