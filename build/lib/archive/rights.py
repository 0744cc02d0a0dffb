"""Reading rights lines in any language: "© 2024 «Holder». Все права защищены.", "All rights
reserved by X.", Creative Commons sentences and their licence URLs.

The holder is the name alone: no year, no © sign, no reservation sentence, no quote marks.
"""

from __future__ import annotations

import regex

from archive.lexicon import NAME_ABBREVIATIONS, RESERVATIONS, words_pattern

# Longest rights line; longer blocks are prose that mentions copyright.
MAX_RIGHTS = 600
RESERVATION = words_pattern(RESERVATIONS)
# The same, ending where the text ends: searched backwards from the end, so only the last
# characters are read (a search forwards would try every position of a paragraph).
RESERVATION_AT_END = regex.compile(
    rf"(?:{RESERVATION.pattern})\Z", RESERVATION.flags | regex.REVERSE
)
CC_SHORT = regex.compile(r"\bCC[\s-]?(BY|0)\b")
RESERVED_BY = regex.compile(r"^All rights reserved by (?P<holder>.+?)\.?$", regex.IGNORECASE)
COPYRIGHT = regex.compile(
    r"^(?:©|\(c\)|Copyright\b|Copr\.)\s*(?:©\s*)?"
    r"(?:(?P<year>\d{4}(?:\s*[-–]\s*\d{4})?)[,.]?\s*)?(?P<rest>.*)$",
    regex.IGNORECASE,
)
# Quote marks a holder's name may stand in: «X», „X“, “X”, 「X」, 『X』, "X".
QUOTE_MARKS = "«»„“”‟\"'‘’‚‹›「」『』〈〉《》"
# Where a holder's name ends and the next sentence begins.
SENTENCE_END = regex.compile(r"(?<=[.!?。．！？])\s+|[。．！？]|\u3000|\s+[|·•–—]\s+")
CREATIVE_COMMONS = regex.compile(
    r"Creative Commons\s+(?P<long>Attribution(?:[-\s](?:Non-?Commercial|No-?Deriv(?:ative)?s|"
    r"Share-?Alike))*)?|\bCC[\s-]?(?P<short>BY(?:-(?:NC|ND|SA))*|0)\b",
    regex.IGNORECASE,
)
VERSION = regex.compile(r"\b(\d\.\d)\b")
CC_PARTS = {"noncommercial": "nc", "noderivs": "nd", "noderivatives": "nd", "sharealike": "sa"}


def parse_rights(block: str) -> dict | None:
    """A rights line as {holder, statement[, license_url]}, else None."""
    if len(block) > MAX_RIGHTS:
        return None
    if match := RESERVED_BY.match(block):
        return {"holder": match["holder"].strip(), "statement": block}
    if "creative commons" in block.lower() or CC_SHORT.search(block):
        return {"holder": "", "statement": block, "license_url": creative_commons_url(block)}
    if (match := COPYRIGHT.match(block)) and len(block) <= MAX_RIGHTS // 2:
        return {"holder": holder_of(match["rest"]), "statement": block}
    if _opens_or_closes_with_reservation(block) and len(block) <= MAX_RIGHTS // 2:
        return {"holder": holder_of(block), "statement": block}
    return None


def image_holder(credit: str, copyright: str = "") -> str:
    """Who holds the rights to a picture: the holder its copyright notice names ("© 2014 RIA
    Novosti" -> RIA Novosti), else the agency after the slash of its credit ("Alexander Vilf /
    RIA Novosti" -> RIA Novosti), else "" (a bare name credits a person, not a holder)."""
    if copyright and (found := parse_rights(copyright.strip())) and found["holder"]:
        return found["holder"]
    if copyright.strip():
        return unquoted(copyright.strip().lstrip("©").strip())
    _, slash, agency = credit.rpartition("/")
    if not slash:
        _, slash, agency = credit.rpartition("／")
    return unquoted(agency) if slash else ""


def _opens_or_closes_with_reservation(block: str) -> bool:
    """ "Tous droits réservés à X." or "X. Alle Rechte vorbehalten.": a sentence that merely
    mentions reserved rights in the middle is prose."""
    trimmed = block.strip(" .!。")
    return bool(RESERVATION.match(trimmed) or RESERVATION_AT_END.search(trimmed))


def holder_of(text: str) -> str:
    """The holder named in a rights line's text after the year: reservations and quotes removed."""
    text = RESERVATION.sub(" ", text)
    parts = [part for part in SENTENCE_END.split(text) if part and part.strip(" .,;:")]
    holder = parts[0] if parts else ""
    for part in parts[1:]:
        if not _ends_in_abbreviation(holder):
            break
        holder = f"{holder} {part}"
    return unquoted(regex.sub(r"\s+", " ", holder))


def _ends_in_abbreviation(name: str) -> bool:
    last = name.rstrip().rsplit(" ", 1)[-1].rstrip(".").lower()
    return name.rstrip().endswith(".") and last in NAME_ABBREVIATIONS


def unquoted(name: str) -> str:
    """A name without the quote marks and punctuation around it: «Российская газета» -> Российская
    газета. Quotes inside the name stay."""
    name = name.strip().strip(" .,;:").strip()
    while len(name) > 1 and name[0] in QUOTE_MARKS and name[-1] in QUOTE_MARKS:
        name = name[1:-1].strip()
    if name.count("«") != name.count("»"):
        name = name.strip("«»")
    return name.rstrip(".").strip()


def creative_commons_url(text: str) -> str | None:
    """The deed URL of the Creative Commons licence a sentence names, or None."""
    if found := regex.search(r"https?://creativecommons\.org/\S+?(?=[\s)\]]|\.?$)", text):
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
        words = regex.split(r"[-\s]+", long)
        code = "-".join(["by", *(CC_PARTS[w] for w in words if w in CC_PARTS)])
    return f"https://creativecommons.org/licenses/{code}/{version}/"
