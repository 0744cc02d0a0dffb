"""Search by substring, for scripts the word index cannot split: Chinese, Japanese, Thai...
(no spaces between words) and Arabic or Hebrew (the article and prepositions joined to words).

Terms of three characters or more go to the trigram index (stories_grams, schema m006); shorter
ones are looked for in the text itself. Arabic marks are ignored on both sides, and an Arabic
term loses its article (الكتاب finds للكتاب). Highlights mark the stored text as written.
"""

from __future__ import annotations

import regex

# Arabic-script marks a reader seldom types (harakat, superscript alef, tatweel); the index
# reads text without them (schema.ARABIC_MARKS_M006).
ARABIC_MARKS = "\u0640\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670"
MARKS = regex.compile(f"[{ARABIC_MARKS}]")
# The article, alone or after a joined conjunction or preposition (و ف ب ك ل), before a stem of
# three letters or more: الكتاب, والكتاب, بالكتاب, للكتاب -> كتاب.
ARABIC_ARTICLE = regex.compile(r"^(?:[وفبكل]?ال|لل)(?=\p{Arabic}{3})")
# Shortest term the trigram index can find; shorter terms are read from the text.
TRIGRAM = 3
# Characters of body text shown either side of the first match in a snippet.
SNIPPET_CHARS = 80
FOLDED_TEXT = "lower(title || ' ' || dek || ' ' || body_text || ' ' || byline)"


def folded(words: str) -> str:
    """A term as the substring index reads it: no Arabic marks, no Arabic article."""
    return " ".join(ARABIC_ARTICLE.sub("", word) for word in MARKS.sub("", words).split())


def substring_filter(terms) -> tuple[str, list[str]]:
    """An SQL condition on `stories` for (kind, words, is_prefix) terms: AND of the groups (terms
    joined by OR form one group), then AND NOT each excluded term."""
    groups: list[list[str]] = []
    excluded: list[str] = []
    for kind, words, _ in terms:
        if kind == "not":
            excluded.append(folded(words))
        elif kind == "or" and groups:
            groups[-1].append(folded(words))
        else:
            groups.append([folded(words)])
    sql: list[str] = []
    params: list[str] = []
    for group in groups:
        conditions = [_holds(term, params) for term in group]
        sql.append("(" + " OR ".join(conditions) + ")")
    for term in excluded:
        sql.append(f"NOT {_holds(term, params)}")
    return " AND ".join(sql) or "1", params


def _holds(term: str, params: list[str]) -> str:
    """The condition that a story's text holds `term`, its value appended to `params`."""
    if len(term) >= TRIGRAM:
        params.append('"' + term.replace('"', '""') + '"')
        return "stories.rowid IN (SELECT rowid FROM stories_grams WHERE stories_grams MATCH ?)"
    params.append(term.lower())
    return (
        "stories.rowid IN (SELECT story_rowid FROM stories_folded "
        f"WHERE instr({FOLDED_TEXT}, ?) > 0)"
    )


def _pattern(terms) -> regex.Pattern | None:
    """The wanted terms as they may stand in stored text: any Arabic marks between letters."""
    wanted = sorted(
        {folded(words) for kind, words, _ in terms if kind != "not"} - {""}, key=len, reverse=True
    )
    if not wanted:
        return None
    between = f"[{ARABIC_MARKS}]*"
    alternatives = [between.join(regex.escape(char) for char in term) for term in wanted]
    return regex.compile("|".join(alternatives), regex.IGNORECASE)


def marked_title(title: str, terms) -> tuple[tuple[str, bool], ...]:
    """The title as (text, is_match) pieces."""
    return _marked(title, _pattern(terms))


def marked_snippet(text: str, terms) -> tuple[tuple[str, bool], ...]:
    """Body text around the first match, as (text, is_match) pieces, cut ends shown with '…'."""
    pattern = _pattern(terms)
    first = pattern.search(text) if pattern else None
    start = max(0, first.start() - SNIPPET_CHARS) if first else 0
    end = min(len(text), (first.end() if first else 0) + SNIPPET_CHARS)
    window = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    return _marked(window, pattern)


def _marked(text: str, pattern: regex.Pattern | None) -> tuple[tuple[str, bool], ...]:
    if pattern is None:
        return ((text, False),) if text else ()
    pieces, position = [], 0
    for match in pattern.finditer(text):
        if match.start() > position:
            pieces.append((text[position : match.start()], False))
        pieces.append((match.group(0), True))
        position = match.end()
    if position < len(text):
        pieces.append((text[position:], False))
    return tuple(pieces)
