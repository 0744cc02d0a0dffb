"""Reading an article as text: title, byline, photo credits, standfirst, quoted people, rights.

Works on blocks of text (paragraphs) as copied from a web page; page furniture such as
cookie banners, newsletter sign-ups and share links is dropped before anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Longest block that may be page furniture, a caption or a rights line; body paragraphs are longer.
MAX_FURNITURE = 300
# Longest standfirst (dek): one or two sentences.
MAX_DEK = 320

BOILERPLATE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(this|our) (web)?site uses cookies\b",
        r"\bwe use cookies\b",
        r"^(accept|reject|allow|manage|decline)( all)? cookies\b",
        r"^cookie (settings|policy|preferences)$",
        r"\b(sign up|subscribe)\b.*\b(newsletter|inbox|our emails|daily briefing)\b",
        r"^newsletter\b",
        r"^(share|share this( article| story)?|share on \w+|tweet|email|print)( this)?[:!.]?$",
        r"^(share( on)?:?\s*)?(facebook|twitter|x|linkedin|whatsapp|email|telegram|reddit)"
        r"([\s|,/·•]+(facebook|twitter|x|linkedin|whatsapp|email|telegram|reddit|print))*$",
        r"^(advertisement|advert|sponsored( content)?)$",
        r"^(read more|related( stories| articles)?|more on this story|most read)[:.]?$",
        r"^click here\b",
        r"^follow us on\b",
    )
]
CREDIT = re.compile(
    r"^(?P<caption>.*?)[\s(\[]*\b(?P<label>Source|Photo(?:graph)?|Picture|Image|Credit|"
    r"Photo credit|Illustration|Video)s?\s*:\s*(?P<credit>[^()\[\]:]{2,120}?)[)\]]?\s*$",
    re.IGNORECASE,
)
BYLINE = re.compile(r"^By\s+(?P<names>[A-Z][\w'’.\- ]+(?:(?:,| and| &)\s*[A-Z][\w'’.\- ]+)*)$")
SOURCE_INTRO = re.compile(r"^(?P<name>[A-Z][^,:\"“”]{0,60}?)(?:,\s*(?P<role>[^:\"“”]{1,200}))?:$")
QUOTE_OPENERS = "\"“«‘'„"
RIGHTS_RESERVED_BY = re.compile(r"^All rights reserved by (?P<holder>.+?)\.?$", re.IGNORECASE)
COPYRIGHT = re.compile(
    r"^(?:©|\(c\)|Copyright)\s*(?:©\s*)?(?:(?P<year>\d{4}(?:\s*[-–]\s*\d{4})?),?\s*)?"
    r"(?P<holder>[^©]+?)\.?\s*(?:All rights reserved\.?)?$",
    re.IGNORECASE,
)
CREATIVE_COMMONS = re.compile(
    r"Creative Commons\s+(?P<long>Attribution(?:[-\s](?:Non-?Commercial|No-?Deriv(?:ative)?s|"
    r"Share-?Alike))*)?|\bCC[\s-]?(?P<short>BY(?:-(?:NC|ND|SA))*|0)\b",
    re.IGNORECASE,
)
VERSION = re.compile(r"\b(\d\.\d)\b")
CC_PARTS = {"noncommercial": "nc", "noderivs": "nd", "noderivatives": "nd", "sharealike": "sa"}


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


def blocks_of(text: str) -> list[str]:
    """Paragraphs: runs of non-blank lines joined by spaces, whitespace collapsed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    blocks = (re.sub(r"\s+", " ", block).strip() for block in re.split(r"\n\s*\n", text))
    return [block for block in blocks if block]


def is_boilerplate(block: str) -> bool:
    return len(block) <= MAX_FURNITURE and any(p.search(block) for p in BOILERPLATE)


def parse_credit(block: str) -> dict | None:
    """A caption ending in its credit ("... Source: X / Agency") as media, else None."""
    if len(block) > MAX_FURNITURE:
        return None
    match = CREDIT.match(block)
    if not match:
        return None
    caption, credit = match["caption"].strip(), match["credit"].strip().rstrip(".")
    bracketed = block.endswith((")", "]"))
    if caption and not bracketed and not caption.endswith((".", "!", "?", "”", '"', ")")):
        return None  # "Source:" in the middle of a sentence is prose, not a credit
    media = {"caption": caption, "credit": credit}
    if credit.startswith("©"):
        media["copyright"] = credit
    return media


def parse_rights(block: str) -> dict | None:
    """A rights line as {holder, statement, license_url}, else None."""
    if len(block) > MAX_FURNITURE * 2:
        return None
    if match := RIGHTS_RESERVED_BY.match(block):
        return {"holder": match["holder"].strip(), "statement": block}
    if "creative commons" in block.lower() or re.search(r"\bCC[\s-]?(BY|0)\b", block):
        return {"holder": "", "statement": block, "license_url": creative_commons_url(block)}
    if (match := COPYRIGHT.match(block)) and len(block) <= MAX_FURNITURE:
        holder = re.sub(r"\s+", " ", match["holder"]).strip(" .,")
        return {"holder": holder, "statement": block}
    return None


def creative_commons_url(text: str) -> str | None:
    """The deed URL of the Creative Commons licence a sentence names, or None."""
    if found := re.search(r"https?://creativecommons\.org/\S+?(?=[\s)\]]|\.?$)", text):
        return found.group(0)
    match = CREATIVE_COMMONS.search(text)
    if not match:
        return None
    version = VERSION.search(text)
    version = version.group(1) if version else "4.0"
    if (match["short"] or "").upper() == "0":
        return "https://creativecommons.org/publicdomain/zero/1.0/"
    if match["short"]:
        code = match["short"].lower()
    else:
        long = (match["long"] or "attribution").lower()
        for joined in ("non-commercial", "no-derivatives", "no-derivs", "share-alike"):
            long = long.replace(joined, joined.replace("-", ""))
        words = re.split(r"[-\s]+", long)
        code = "-".join(["by", *(CC_PARTS[w] for w in words if w in CC_PARTS)])
    return f"https://creativecommons.org/licenses/{code}/{version}/"


def split_names(names: str) -> list[str]:
    return [n.strip() for n in re.split(r",\s*|\s+and\s+|\s*&\s*", names) if n.strip()]


def is_quote(block: str) -> bool:
    return block[:1] in QUOTE_OPENERS


def extract(text: str, *, title: str | None = None, find_dek: bool = True) -> Extracted:
    """Read an article's text. The first block is the title unless `title` is given."""
    blocks = [b for b in blocks_of(text) if not is_boilerplate(b)]
    found = Extracted()
    if title is None:
        found.title = blocks.pop(0) if blocks else ""
    else:
        found.title = title.strip()
        if blocks and blocks[0] == found.title:
            blocks.pop(0)
    if blocks and (match := BYLINE.match(blocks[0])) and len(blocks[0]) <= MAX_FURNITURE:
        found.authors = split_names(match["names"])
        blocks.pop(0)
    for index, block in enumerate(blocks):
        if (media := parse_credit(block)) is not None:
            if not media["caption"] and found.paragraphs and not found.media:
                media["caption"] = found.paragraphs.pop()[1]  # caption above a credit-only line
            if media not in found.media:
                found.media.append(media)
            continue
        if (rights := parse_rights(block)) is not None:
            found.rights = found.rights or rights
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else ""
        if (intro := SOURCE_INTRO.match(block)) and is_quote(following):
            found.sources.append(
                {"name": intro["name"].strip(), "role": (intro["role"] or "").strip()}
            )
            found.paragraphs.append(("voice", block))
            continue
        if is_quote(block):
            found.paragraphs.append(("quote", block))
            continue
        found.paragraphs.append(("p", block))
    if find_dek:
        _take_dek(found)
    return found


def _take_dek(found: Extracted) -> None:
    """The standfirst: a short first paragraph, ahead of a longer body."""
    if len(found.paragraphs) < 2:
        return
    kind, first = found.paragraphs[0]
    if kind == "p" and len(first) <= MAX_DEK and not first.endswith(":"):
        found.dek = first
        found.paragraphs.pop(0)
