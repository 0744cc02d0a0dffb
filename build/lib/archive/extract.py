"""Reading an article as text, in any language and script: title, byline, photo credits,
standfirst, quoted people, rights.

Works on blocks of text (paragraphs) as copied from a web page; page furniture (archive.furniture)
is dropped before anything else. Names are any letters (Unicode categories), labels end in any
colon (":" or the full-width "："), and no pattern nests quantifiers, so no input backtracks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import regex

from archive.furniture import MAX_FURNITURE, is_furniture, without_furniture_lines
from archive.lexicon import BYLINE_WORDS, CONJUNCTIONS, CREDIT_LABELS, UNSPACED, words_pattern
from archive.origin import origin_shape, parse_origin
from archive.rights import creative_commons_url, parse_rights

__all__ = ["Extracted", "creative_commons_url", "extract", "parse_byline", "parse_credit"]

# Longest standfirst (dek): one or two sentences.
MAX_DEK = 320
# Longest byline (three dozen short names), credit and quoted person's name.
MAX_BYLINE = 300
MAX_CREDIT = 120
MAX_NAME = 60
MAX_NAME_WORDS = 6
MAX_LABEL_WORDS = 3
# Longest "Name, role:" line: the name, a role of up to 200 characters, the colon.
MAX_SOURCE_INTRO = MAX_NAME + 210

COLONS = ":：﹕︓"
# Marks that open a quotation, in the conventions of many languages.
QUOTE_OPENERS = "\"“«‘'„‚‹「『"
# A caption ends as a sentence does before its credit (or the credit stands in brackets).
CAPTION_ENDS = '.!?。．！？؟।”"»」』)'
SPACES = re.compile(r"[ \t\n\r\f\v]+")  # the ideographic space U+3000 is text, not layout
BY_WORD = regex.compile(
    r"^(?:" + words_pattern(BYLINE_WORDS).pattern + r")\s+(?P<names>.+)$",
    regex.IGNORECASE | regex.VERSION1,
)
LABELLED = regex.compile(rf"^(?P<label>[^{COLONS}]{{1,40}})[{COLONS}]\s*(?P<rest>.+)$")
LABEL_WORDS = regex.compile(r"^\p{L}[\p{L}\p{M}.]*(?: \p{L}[\p{L}\p{M}.]*){0,2}$")
LABEL_BEFORE_COLON = regex.compile(r"(?<![\p{L}\p{M}])(?:\p{L}[\p{L}\p{M}]*\.? ?){1,2}$")
# A separator starts where a run of spaces does ((?<!\s)), never inside one: tried from every
# space of a long run, `\s+` read the rest of the run each time (quadratic).
NAME_SEPARATORS = regex.compile(
    r"(?<!\s)\s*[,;،、，；&＆]\s*|(?<!\s)\s+(?:"
    + "|".join(map(regex.escape, CONJUNCTIONS))
    + r")\s+",
    regex.IGNORECASE,
)
NAME_WORD = regex.compile(r"^[\p{L}\p{M}'’.\-·・]+$")
NAME_START = regex.compile(r"^[\p{Lu}\p{Lt}\p{Lo}]")
SOURCE_INTRO = regex.compile(
    rf"^(?P<name>[^,،、，{COLONS}\"“”«»「」]{{1,{MAX_NAME}}})"
    rf"(?:[,،、，]\s*(?P<role>[^{COLONS}\"“”«»「」]{{1,200}}))?\s*[{COLONS}]$"
)
CJK_LABEL_END = regex.compile(rf"[{UNSPACED}]+$")


@dataclass
class Extracted:
    """What the text said, in the story's JSON shape (see archive.shape)."""

    title: str = ""
    authors: list[str] = field(default_factory=list)
    dek: str = ""
    paragraphs: list[tuple[str, str]] = field(default_factory=list)  # (kind, text)
    media: list[dict] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    rights: dict | None = None
    origin: dict | None = None  # an origin line's {name[, url]} (archive.origin)

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


def parse_byline(block: str) -> list[str] | None:
    """The names of a byline in any language ("By A and B", "Авторы: А и Б", "Γράφει η Α",
    "بقلم: أ", "文：佐藤健"), else None."""
    if len(block) > MAX_BYLINE:
        return None
    if (match := LABELLED.match(block)) and _is_byline_label(match["label"].strip()):
        names = match["rest"]
    elif match := BY_WORD.match(block):
        names = match["names"]
    else:
        return None
    return names_in(_without_articles(names))


def author_names(text: str) -> list[str]:
    """Names from a page's author field: "A; B", "A, B", or a whole byline ("文：佐藤健")."""
    if (names := parse_byline(text)) is not None:
        return names
    return [name.strip() for name in regex.split(r"[;|]", text) if name.strip()]


def _is_byline_label(label: str) -> bool:
    return bool(LABEL_WORDS.match(label)) and label.lower().rstrip(".") not in CREDIT_LABELS


def _without_articles(names: str) -> str:
    """Lower-case words before the first name ("η Άννα", "la Redacción") are articles."""
    words = names.split(" ")
    while len(words) > 1 and regex.match(r"^\p{Ll}", words[0]):
        words.pop(0)
    return " ".join(words)


def names_in(text: str) -> list[str] | None:
    """Names joined by commas or conjunctions, if every part reads as a person's name."""
    names = split_names(text.strip().rstrip("."))
    return names if names and all(is_name(name) for name in names) else None


def split_names(names: str) -> list[str]:
    return [n.strip() for n in NAME_SEPARATORS.split(names) if n.strip()]


def is_name(name: str) -> bool:
    """Letters of any script in up to six words, the first and last capitalised (or uncased)."""
    words = name.split()
    return (
        len(name) <= MAX_NAME
        and 0 < len(words) <= MAX_NAME_WORDS
        and all(NAME_WORD.match(word) for word in words)
        and bool(NAME_START.match(words[0]) and NAME_START.match(words[-1]))
    )


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
    if blocks and (names := parse_byline(blocks[0])) is not None:
        found.authors = names
        blocks.pop(0)
    after_body = _after_body(blocks)
    for index, block in enumerate(blocks):
        if (origin := parse_origin(block, after_body=index >= after_body)) is not None:
            found.origin = found.origin or origin
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else ""
        _read_block(found, block, following)
    if find_dek:
        _take_dek(found)
    return found


def _after_body(blocks: list[str]) -> int:
    """Where the closing lines begin: the run of rights and origin lines the text ends with."""
    start = len(blocks)
    while start > 0 and (
        parse_rights(blocks[start - 1]) is not None
        or parse_origin(blocks[start - 1], after_body=True) is not None
    ):
        start -= 1
    return start


def _read_block(found: Extracted, block: str, following: str) -> None:
    """One block of the body: a credit, the rights line, a quoted person, a quote or prose."""
    if (media := parse_credit(block)) is not None:
        if not media["caption"] and found.paragraphs and not found.media:
            media["caption"] = found.paragraphs.pop()[1]  # caption above a credit-only line
        if media not in found.media:
            found.media.append(media)
    elif (rights := parse_rights(block)) is not None:
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
