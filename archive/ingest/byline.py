"""Reading bylines in any language and script, wherever an article places them: "By A and B",
"Авторы: А и Б", "بقلم: أ، ب", "写真・文：佐藤健", "김민수 기자", "— Reuters".

A byline is read by its form, never by its position: a labelled line, a line opening with a
byline word, a dash before names, a name before a title word, or an agency's name alone. Each
part must read as a name; a news agency (archive.lexicon.AGENCIES) is an organisation author.
No pattern nests quantifiers, so no input backtracks.
"""

from __future__ import annotations

import regex

from archive.lexicon import (
    AGENCIES,
    BYLINE_ARTICLES,
    BYLINE_LABELS,
    BYLINE_ROLES,
    BYLINE_SUFFIXES,
    BYLINE_WORDS,
    CONJUNCTIONS,
    CREDIT_LABELS,
    NOT_NAME_WORDS,
    ORGANISATION_WORDS,
    words_pattern,
)

# Longest byline (three dozen short names) and quoted person's name.
MAX_BYLINE = 300
MAX_NAME = 60
MAX_NAME_WORDS = 6
# Most words of a name in a script without capitals (Arabic, Hebrew, Han): "أحمد بن محمد المصري".
MAX_UNCASED_NAME_WORDS = 4
COLONS = ":：﹕︓"
BY_WORD = regex.compile(
    r"^(?:" + words_pattern(BYLINE_WORDS).pattern + r")\s+(?P<names>.+)$",
    regex.IGNORECASE | regex.VERSION1,
)
LABELLED = regex.compile(rf"^(?P<label>[^{COLONS}]{{1,40}})[{COLONS}]\s*(?P<rest>.+)$")
LABEL_WORDS = regex.compile(r"^\p{L}[\p{L}\p{M}.]*(?: \p{L}[\p{L}\p{M}.]*){0,2}$")
# "— Reuters", "-- Ann Lee", "– AP": a dash, then the names (the closing line of wire copy).
DASHED = regex.compile(r"^(?:[—–―]|-{1,2})\s*(?P<names>[^—–―\-\s].*)$")
# Cheap tests first: the first word a byline word could open with, the words it could end with.
BY_FIRST_WORDS = {word.split()[0] for word in BYLINE_WORDS}
SUFFIXES = tuple(BYLINE_SUFFIXES)
SUFFIXED = regex.compile(
    r"^(?P<names>.+?)\s*(?:" + "|".join(map(regex.escape, sorted(BYLINE_SUFFIXES))) + r")$"
)
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
CASED = regex.compile(r"[\p{Lu}\p{Ll}\p{Lt}]")
ORGANISATION_WORD = words_pattern(ORGANISATION_WORDS)


def parse_byline(block: str, *, any_label: bool = True) -> list[str] | None:
    """The names of a byline in any language, else None.

    `any_label`: any one to three words before a colon are a byline's label ("Texto: X") when
    the rest is names, as the line under a title is; otherwise only the labels of
    archive.lexicon.BYLINE_LABELS are, as anywhere else in an article.
    """
    found = byline_authors(block, any_label=any_label)
    return None if found is None else [author["name"] for author in found]


def byline_authors(block: str, *, any_label: bool = False) -> list[dict] | None:
    """A byline's authors in the story's shape ({"name"[, "kind": "organization"]}), else None."""
    block = block.strip()
    if len(block) > MAX_BYLINE or not block:
        return None
    if (found := _agency_alone(block)) is not None:
        return [_author(found)]
    names = _labelled(block, any_label=any_label)
    first_word = block.split(maxsplit=1)[0].casefold()
    if names is None and first_word in BY_FIRST_WORDS and (match := BY_WORD.match(block)):
        names = _named(_without_articles(match["names"]))
    if names is None and (match := DASHED.match(block)):
        names = _named(match["names"])
        # Dialogue opens with a dash too ("— Спасибо, Анна"): only full names or agencies.
        if names and not all(len(name.split()) > 1 or is_agency(name) for name in names):
            names = None
    if names is None and block.endswith(SUFFIXES) and (match := SUFFIXED.match(block)):
        names = _named(match["names"])
        if names and any(len(name.split()) > 3 for name in names):
            names = None  # a sentence ending in the word, not a name before it
    return None if names is None else [_author(name) for name in names]


def _labelled(block: str, *, any_label: bool) -> list[str] | None:
    match = LABELLED.match(block)
    if match is None:
        return None
    label = match["label"].strip().lower().rstrip(".")
    if label in CREDIT_LABELS:
        return None  # "Photo: X" credits a picture
    if label not in BYLINE_LABELS and not (any_label and LABEL_WORDS.match(label)):
        return None
    return _named(_without_articles(match["rest"]))


def _agency_alone(block: str) -> str | None:
    """ "Reuters", "(AP)", "AFP.": a line that is only an agency's name credits it."""
    name = block.strip("()[]（） .")
    return name if is_agency(name) else None


def _named(text: str) -> list[str] | None:
    """Names joined by commas or conjunctions, roles after them left out ("Ann Lee, Staff
    Writer"), if every other part reads as a name."""
    parts = split_names(text.strip().rstrip("."))
    names = [part for part in parts if not _is_role(part)]
    return names if names and all(is_name(n) or is_agency(n) for n in names) else None


def _is_role(part: str) -> bool:
    folded = part.casefold()
    return folded in BYLINE_ROLES or folded.rsplit(" ", 1)[-1] in BYLINE_ROLES


def _author(name: str) -> dict:
    return {"name": name, "kind": "organization"} if is_organisation(name) else {"name": name}


def is_agency(name: str) -> bool:
    return " ".join(name.casefold().split()) in AGENCIES


def is_organisation(name: str) -> bool:
    """A news agency, or a name with an organisation's word ("Kyodo News", "Редакция")."""
    return is_agency(name) or bool(ORGANISATION_WORD.search(name))


def _without_articles(names: str) -> str:
    """Articles before the first name ("η Άννα", "la Redacción") are not part of it."""
    words = names.split(" ")
    while (
        len(words) > 1 and words[0].casefold() in BYLINE_ARTICLES and not is_agency(" ".join(words))
    ):
        words.pop(0)
    return " ".join(words)


def author_names(text: str) -> list[str]:
    """Names from a page's author field: "A; B", "A, B", or a whole byline ("文：佐藤健")."""
    if (names := parse_byline(text)) is not None:
        return names
    return [name.strip() for name in regex.split(r"[;|]", text) if name.strip()]


def names_in(text: str) -> list[str] | None:
    """Names joined by commas or conjunctions, if every part reads as a person's name."""
    names = split_names(text.strip().rstrip("."))
    return names if names and all(is_name(name) for name in names) else None


def split_names(names: str) -> list[str]:
    return [n.strip() for n in NAME_SEPARATORS.split(names) if n.strip()]


def is_name(name: str) -> bool:
    """Letters of any script in up to six words, the first and last capitalised; in a script
    without capitals, up to four words, none a preposition or pronoun."""
    words = name.split()
    if not (
        len(name) <= MAX_NAME
        and 0 < len(words) <= MAX_NAME_WORDS
        and all(NAME_WORD.match(word) for word in words)
        and bool(NAME_START.match(words[0]) and NAME_START.match(words[-1]))
    ):
        return False
    if CASED.search(name):
        return True
    return len(words) <= MAX_UNCASED_NAME_WORDS and not NOT_NAME_WORDS.intersection(words)
