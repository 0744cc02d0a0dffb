"""Reading an article as text, in any language and script: title, byline, photo credits,
standfirst, quoted people, rights.

Works on blocks of text (paragraphs) as copied from a web page; page furniture
(archive.ingest.furniture)
is dropped before anything else. Names are any letters (Unicode categories), labels end in any
colon (":" or the full-width "："), and no pattern nests quantifiers, so no input backtracks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import regex

from archive.ingest.byline import MAX_NAME, byline_authors, names_in, parse_byline
from archive.ingest.furniture import MAX_FURNITURE, is_furniture, without_furniture_lines
from archive.ingest.origin import origin_shape, parse_origin
from archive.lexicon import CREDIT_LABELS, UNSPACED
from archive.story.rights import creative_commons_url, parse_rights

__all__ = ["Extracted", "creative_commons_url", "extract", "parse_byline", "parse_credit"]

# Longest standfirst (dek): one or two sentences.
MAX_DEK = 320
# Longest credit.
MAX_CREDIT = 120
# Longest "Name, role:" line: the name, a role of up to 200 characters, the colon.
MAX_SOURCE_INTRO = MAX_NAME + 210
# Blocks at an article's end that may hold its byline ("Text and photos: X", "— Reuters"),
# before its rights and origin lines.
TAIL_BYLINES = 2

COLONS = ":：﹕︓"
# Marks that open a quotation, in the conventions of many languages.
QUOTE_OPENERS = "\"“«‘'„‚‹「『"
# A caption ends as a sentence does before its credit (or the credit stands in brackets).
CAPTION_ENDS = '.!?。．！？؟।”"»」』)'
SPACES = re.compile(r"[ \t\n\r\f\v]+")  # the ideographic space U+3000 is text, not layout
LABEL_BEFORE_COLON = regex.compile(r"(?<![\p{L}\p{M}])(?:\p{L}[\p{L}\p{M}]*\.? ?){1,2}$")
SOURCE_INTRO = regex.compile(
    rf"^(?P<name>[^,،、，{COLONS}\"“”«»「」]{{1,{MAX_NAME}}})"
    rf"(?:[,،、，]\s*(?P<role>[^{COLONS}\"“”«»「」]{{1,200}}))?\s*[{COLONS}]$"
)
CJK_LABEL_END = regex.compile(rf"[{UNSPACED}]+$")


@dataclass
class Extracted:
    """What the text said, in the story's JSON shape (see archive.story.shape)."""

    title: str = ""
    authors: list[dict] = field(default_factory=list)  # {"name"[, "kind"]}, in byline order
    dek: str = ""
    paragraphs: list[tuple[str, str]] = field(default_factory=list)  # (kind, text)
    media: list[dict] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    rights: dict | None = None
    origin: dict | None = None  # an origin line's {name[, url]} (archive.ingest.origin)

    def origin_shape(self) -> dict:
        """The shape's originating publisher and original URL, from an origin line."""
        return origin_shape(self.origin)


def blocks_of(text: str) -> list[str]:
    """Paragraphs: runs of non-blank lines joined by spaces, layout whitespace collapsed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    blocks = (SPACES.sub(" ", block).strip() for block in re.split(r"\n[ \t]*\n", text))
    return [block for block in blocks if block]


def parse_credit(block: str) -> dict | None:
    """A caption ending in its credit ("... Source: X / Agency", "…。写真：X／Y") as media.

    The label is one of many languages' (archive.lexicon.CREDIT_LABELS), or any one or two words
    when the credit names its agency after a slash. None when the block is not a credit.
    """
    if len(block) > MAX_FURNITURE:
        return None
    bracketed = block.endswith((")", "]", "）"))
    core = block.rstrip(")]） ") if bracketed else block
    colon = max(core.rfind(c) for c in COLONS)
    credit = core[colon + 1 :].strip().rstrip(".")
    if colon < 0 or not 2 <= len(credit) <= MAX_CREDIT or regex.search(r"[()\[\]（）]", credit):
        return None
    found = _credit_label(core[:colon].rstrip())
    if found is None:
        return None
    caption, label = found
    if label.lower().rstrip(".") not in CREDIT_LABELS and not regex.search(r"[/／]|^©", credit):
        return None
    if caption and not bracketed and not caption.endswith(tuple(CAPTION_ENDS)):
        return None  # "source:" in the middle of a sentence is prose, not a credit
    media = {"caption": caption, "credit": credit}
    if credit.startswith("©"):
        media["copyright"] = credit
    return media


def _credit_label(head: str) -> tuple[str, str] | None:
    """(caption, label) from the text before a credit's colon, else None."""
    match = LABEL_BEFORE_COLON.search(head)
    if match is None:
        return None
    label = match.group(0).strip()
    words = label.split(" ")
    if len(words) == 2 and label.lower().rstrip(".") not in CREDIT_LABELS:
        label = words[1]  # "Sochi. Source": one word of label, the other ends the caption
    elif CJK_LABEL_END.search(label) and label not in CREDIT_LABELS:
        label = next((w for w in CREDIT_LABELS if label.endswith(w)), label)
    caption = head[: len(head) - len(label)].rstrip(" ([（")
    return caption, label


def parse_source(block: str, following: str) -> dict | None:
    """A quoted person's "Name, role:" line before a quotation, as {name, role}, else None."""
    if len(block) > MAX_SOURCE_INTRO or not is_quote(following):
        return None
    if (match := SOURCE_INTRO.match(block)) is None:
        return None
    name = match["name"].strip()
    if names_in(name) is None:
        return None
    return {"name": name, "role": (match["role"] or "").strip()}


def is_quote(block: str) -> bool:
    return block[:1] in QUOTE_OPENERS


def extract(text: str, *, title: str | None = None, find_dek: bool = True) -> Extracted:
    """Read an article's text. The first block is the title unless `title` is given."""
    blocks = [b for b in blocks_of(without_furniture_lines(text)) if not is_furniture(b)]
    found = Extracted()
    if title is None:
        found.title = blocks.pop(0) if blocks else ""
    else:
        found.title = title.strip()
        if blocks and blocks[0].split() == found.title.split():
            blocks.pop(0)
    rules = _Rules()
    blocks, found.authors = _take_bylines(blocks, rules)
    after_body = _after_body(blocks, rules)
    for index, block in enumerate(blocks):
        if (origin := parse_origin(block, after_body=index >= after_body)) is not None:
            found.origin = found.origin or origin
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else ""
        _read_block(found, block, following, rules)
    if find_dek:
        _take_dek(found)
    return found


class _Rules:
    """The credit, rights and byline rules as one article's reading tries them: each at most once
    a block (the head, the tail and the body are read in turn), each answer a fresh copy."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str], dict | list | None] = {}

    def _once(self, rule: str, block: str, read: Callable[[str], dict | list | None]):
        key = (rule, block)
        if key not in self.found:
            self.found[key] = read(block)
        found = self.found[key]
        if isinstance(found, list):
            return [dict(part) for part in found]
        return dict(found) if found else found

    def credit(self, block: str) -> dict | None:
        return self._once("credit", block, parse_credit)

    def rights(self, block: str) -> dict | None:
        return self._once("rights", block, parse_rights)

    def byline(self, block: str, *, any_label: bool) -> list[dict] | None:
        rule = "byline-any" if any_label else "byline"
        return self._once(rule, block, lambda b: byline_authors(b, any_label=any_label))


def _take_bylines(blocks: list[str], rules: _Rules) -> tuple[list[str], list[dict]]:
    """The blocks without their bylines, and the bylines' authors in order.

    A byline stands in the article's head (under the title, after a caption or the standfirst)
    or its tail (the last lines of the body, or among the rights and origin lines after it);
    a line in the middle of the body is body text whatever it says.
    """
    head = _head_end(blocks, rules)
    tail = max(head, _after_body(blocks, rules) - TAIL_BYLINES)
    kept: list[str] = []
    authors: list[dict] = []
    for index, block in enumerate(blocks):
        found = None
        if index < head or index >= tail:
            found = rules.byline(block, any_label=index == 0)
        if found is None:
            kept.append(block)
        for author in found or ():
            if all(author["name"] != known["name"] for known in authors):
                authors.append(author)
    return kept, authors


def _head_end(blocks: list[str], rules: _Rules) -> int:
    """Where the body begins: after the captions, the bylines and at most one short paragraph
    (the standfirst) that open the article."""
    paragraphs = 0
    for index, block in enumerate(blocks):
        if rules.credit(block) is not None or rules.byline(block, any_label=index == 0):
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else ""
        if (credit := rules.credit(following)) is not None and not credit["caption"]:
            continue  # a caption above its credit line
        paragraphs += 1
        if paragraphs > 1 or len(block) > MAX_DEK:
            return index
    return len(blocks)


def _after_body(blocks: list[str], rules: _Rules) -> int:
    """Where the closing lines begin: the run of rights and origin lines the text ends with."""
    start = len(blocks)
    while start > 0 and (
        rules.rights(blocks[start - 1]) is not None
        or parse_origin(blocks[start - 1], after_body=True) is not None
    ):
        start -= 1
    return start


def _read_block(found: Extracted, block: str, following: str, rules: _Rules) -> None:
    """One block of the body: a credit, the rights line, a quoted person, a quote or prose."""
    if (media := rules.credit(block)) is not None:
        if not media["caption"] and found.paragraphs and not found.media:
            media["caption"] = found.paragraphs.pop()[1]  # caption above a credit-only line
        if media not in found.media:
            found.media.append(media)
    elif (rights := rules.rights(block)) is not None:
        found.rights = found.rights or rights
    elif (source := parse_source(block, following)) is not None:
        found.sources.append(source)
        found.paragraphs.append(("voice", block))
    elif is_quote(block):
        found.paragraphs.append(("quote", block))
    else:
        found.paragraphs.append(("p", block))


def _take_dek(found: Extracted) -> None:
    """The standfirst: a short first paragraph, ahead of a longer body."""
    if len(found.paragraphs) < 2:
        return
    kind, first = found.paragraphs[0]
    if kind == "p" and len(first) <= MAX_DEK and not first.endswith(tuple(COLONS)):
        found.dek = first
        found.paragraphs.pop(0)
