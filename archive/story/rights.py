"""Reading rights lines in any language: "© 2024 «Holder». Все права защищены.", "All rights
reserved by X.", licences (every Creative Commons licence and version, CC0, the Public Domain
Mark) with their URLs, short names and licensors.

The holder is the name alone: no year, no © sign, no reservation sentence, no quote marks. Under
a licence, the holder is the licensor.
"""

from __future__ import annotations

from urllib.parse import urlsplit

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
# A line that opens by marking the work public domain ("Public domain.", "Public Domain Mark
# 1.0"); a sentence that mentions the public domain further in is prose.
PUBLIC_DOMAIN = regex.compile(
    r"^(?:(?:this (?:work|article|story|text|photo|image) is )?(?:in the |dedicated to the )?"
    r"public[\s-]domain\b|\bdomaine public\b|\bdominio p[úu]blico\b|\bgemeinfrei\b|"
    r"\bdom[íi]nio p[úu]blico\b|\bобщественное достояние\b)",
    regex.IGNORECASE,
)
PUBLIC_DOMAIN_MARK = "https://creativecommons.org/publicdomain/mark/1.0/"
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"
# Creative Commons licence URLs: /licenses/<code>/<version>/[<jurisdiction>/], /publicdomain/.
LICENSE_PATH = regex.compile(
    r"^/licenses/(?P<code>by(?:-nc)?(?:-nd|-sa)?)/(?P<version>\d\.\d)/?(?P<port>[a-z-]+)?/?"
    r"|^/publicdomain/(?P<pd>zero|mark)/(?P<pd_version>\d\.\d)/?",
    regex.IGNORECASE,
)
# "… by X", "… from X", "This work by X is licensed …": who licenses the text.
LICENSOR = regex.compile(
    r"(?:^|\s)(?:by|from|von|par|por|di|de)\s+(?P<name>[^\s.,;:()][^.,;:()]{0,118}?)"
    r"(?=\s+(?:is|are|under|ist|est|es|and|under|with|licen[cs]ed)\b|\s*[.,;:()]|\s*$)",
    regex.IGNORECASE,
)
# The words of a licence sentence, never part of a licensor's name.
LICENSE_WORDS = regex.compile(
    r"\b(?:creative commons|licen[cs]e[ds]?|this|the|work|article|story|text|a|an|"
    r"international|public domain|republished|published|under)\b",
    regex.IGNORECASE,
)
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
    r"(?P<zero>\bCC0\b|Creative Commons Zero\b)|"
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
    if _names_a_licence(block):
        license_url = creative_commons_url(block)
        if license_url:
            return {"holder": licensor_in(block), "statement": block, "license_url": license_url}
    if (match := COPYRIGHT.match(block)) and len(block) <= MAX_RIGHTS // 2:
        return {"holder": holder_of(match["rest"]), "statement": block}
    if _opens_or_closes_with_reservation(block) and len(block) <= MAX_RIGHTS // 2:
        return {"holder": holder_of(block), "statement": block}
    return None


def _names_a_licence(block: str) -> bool:
    folded = block.lower()
    return bool(
        "creative commons" in folded
        or "creativecommons.org/" in folded
        or CC_SHORT.search(block)
        or PUBLIC_DOMAIN.search(block)
    )


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
    """The deed URL of the Creative Commons licence (or public domain mark) a sentence names,
    or None."""
    if found := regex.search(r"https?://creativecommons\.org/\S+?(?=[\s)\]]|\.?$)", text):
        return found.group(0)
    match = CREATIVE_COMMONS.search(text)
    if not match:
        return PUBLIC_DOMAIN_MARK if PUBLIC_DOMAIN.search(text) else None
    version = VERSION.search(text, match.end()) or VERSION.search(text)
    version = version.group(1) if version else "4.0"
    if (match["short"] or "").upper() == "0" or match["zero"]:
        return CC0
    if match["short"]:
        code = match["short"].lower()
    else:
        long = (match["long"] or "attribution").lower()
        for joined in ("non-commercial", "no-derivatives", "no-derivs", "share-alike"):
            long = long.replace(joined, joined.replace("-", ""))
        words = regex.split(r"[-\s]+", long)
        code = "-".join(["by", *(CC_PARTS[w] for w in words if w in CC_PARTS)])
    return f"https://creativecommons.org/licenses/{code}/{version}/"


def license_name(url: str) -> str:
    """A licence's short name from its URL: "CC BY-NC-SA 3.0", "CC0 1.0", "Public Domain Mark
    1.0"; the URL itself for a licence that is not Creative Commons's."""
    parts = urlsplit(url)
    match = LICENSE_PATH.match(parts.path) if parts.hostname == "creativecommons.org" else None
    if match is None:
        return url
    if match["pd"]:
        kind = "CC0" if match["pd"].lower() == "zero" else "Public Domain Mark"
        return f"{kind} {match['pd_version']}"
    port = f" {match['port'].upper()}" if match["port"] else ""
    return f"CC {match['code'].upper()} {match['version']}{port}"


def asks_attribution(url: str | None) -> bool:
    """Whether a licence asks reusers to credit the licensor (every CC BY licence does; CC0
    and the Public Domain Mark do not)."""
    return bool(url) and license_name(url or "").startswith("CC BY")


def licensor_in(line: str) -> str:
    """Who a licence line names as licensor ("© 2024 X. Licensed under …", "… by X", "This work
    by X is licensed …", "Republished from X under …"), else "". Reads at most a rights line's
    length (MAX_RIGHTS)."""
    line = line[:MAX_RIGHTS]
    if (match := COPYRIGHT.match(line)) and match["rest"]:
        return holder_of(match["rest"])
    text = CREATIVE_COMMONS.sub(" ", regex.sub(r"https?://\S+", " ", line))
    for found in LICENSOR.finditer(text):
        name = unquoted(found["name"])
        if name and not LICENSE_WORDS.fullmatch(name) and regex.match(r"[\p{Lu}\p{Lo}]", name):
            return name
    return ""
