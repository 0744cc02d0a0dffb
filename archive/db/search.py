"""Full-text search for readers: what a person types -> a safe FTS5 query -> ranked hits with
highlighted titles and snippets, filtered by section, author and local date range.

Any text is a valid query here: words are quoted before they reach FTS5, so no input can be an
FTS5 syntax error. Highlights come back as (text, is_match) pieces, never as markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import regex
import sqlite_utils

from archive.db.queries import published, scope_filter, stories_from_rows
from archive.db.substrings import marked_snippet, marked_title, substring_filter
from archive.story.models import PublishedStory
from archive.story.visibility import LIVE

# Most terms (words or phrases) one query may use; the rest are ignored, and the reader told.
MAX_TERMS = 12
# Longest query text read, in characters; longer input is cut here.
MAX_QUERY_LENGTH = 400
# Most matches counted and ranked; a query matching more should be narrowed (words, filters).
MAX_COUNTED = 1_000
# Tokens of body text around the matches in a snippet.
SNIPPET_TOKENS = 30
# Marks around matched words in FTS5 highlight()/snippet() output (char(2) and char(3) in the
# SQL). Story bodies cannot contain them: C0 controls are stripped
# (archive.story.html.strip_forbidden).
MATCH_START, MATCH_END = "\x02", "\x03"

# A word is letters with their combining marks (Arabic harakat, Devanagari vowel signs) and digits.
TOKEN = regex.compile(
    r'(?P<minus>-?)"(?P<phrase>[^"]*)"?|(?P<neg>-?)(?P<word>[\p{L}\p{M}\p{N}]+)(?P<star>\*?)'
)
WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")
# Scripts whose words the word index cannot find: written without spaces (Chinese, Japanese,
# Thai...) or with the article and prepositions joined to the word (Arabic, Hebrew). A query in
# them is searched by substring (archive.db.substrings).
SUBSTRING_SCRIPTS = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
    r"\p{Tibetan}\p{Arabic}\p{Hebrew}]"
)


@dataclass(frozen=True)
class ParsedQuery:
    """A reader's query as FTS5 understands it; `match` is empty when nothing can be searched."""

    text: str
    match: str
    was_cut: bool = False
    # (kind, words, is_prefix) as read: kind is "and", "or" or "not".
    terms: tuple[tuple[str, str, bool], ...] = ()

    @property
    def is_by_substring(self) -> bool:
        return any(SUBSTRING_SCRIPTS.search(words) for _, words, _ in self.terms)


@dataclass(frozen=True)
class Hit:
    story: PublishedStory
    title: tuple[tuple[str, bool], ...]
    snippet: tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class SearchResults:
    """The hits of one page; `total` counts matches up to `max_counted` (more: `is_capped`)."""

    query: ParsedQuery
    total: int
    hits: list[Hit] = field(default_factory=list)
    max_counted: int = MAX_COUNTED

    @property
    def is_capped(self) -> bool:
        return self.total > self.max_counted

    @property
    def stories(self) -> list[PublishedStory]:
        """The stories of the page's hits, best first."""
        return [hit.story for hit in self.hits]


def parse_query(text: str) -> ParsedQuery:
    """Read words, "quoted phrases", OR between terms, -excluded terms and prefix* terms.

    Everything else (brackets, colons, NEAR, carets, stray quotes) is treated as plain text.
    """
    cut = text[:MAX_QUERY_LENGTH]
    terms: list[tuple[str, str]] = []  # (kind, fts5 text): kind is "and", "or" or "not"
    read: list[tuple[str, str, bool]] = []
    was_cut = len(text) > MAX_QUERY_LENGTH
    joiner = "and"
    for token in TOKEN.finditer(cut):
        if token["word"] == "OR" and not token["neg"]:
            joiner = "or" if terms else "and"
            continue
        words = WORD.findall(token["phrase"] if token["word"] is None else token["word"])
        if not words:
            continue
        if len(terms) == MAX_TERMS:
            was_cut = True
            break
        fts = '"' + " ".join(words) + '"' + ("*" if token["star"] else "")
        kind = "not" if token["minus"] or token["neg"] else joiner
        terms.append((kind, fts))
        read.append((kind, " ".join(words), bool(token["star"])))
        joiner = "and"
    return ParsedQuery(text, _fts_expression(terms), was_cut, tuple(read))


def _fts_expression(terms: list[tuple[str, str]]) -> str:
    """AND of groups (adjacent terms joined by OR form one group), then NOT each exclusion."""
    groups: list[list[str]] = []
    for kind, fts in terms:
        if kind == "or" and groups:
            groups[-1].append(fts)
        elif kind != "not":
            groups.append([fts])
    if not groups:
        return ""
    expression = " AND ".join("(" + " OR ".join(group) + ")" for group in groups)
    for kind, fts in terms:
        if kind == "not":
            expression = f"({expression}) NOT {fts}"
    return expression


def search_stories(
    db: sqlite_utils.Database,
    text: str,
    *,
    section: str | None = None,
    author: str | None = None,
    first_day: str | None = None,
    last_day: str | None = None,
    limit: int = 20,
    offset: int = 0,
    max_counted: int = MAX_COUNTED,
) -> SearchResults:
    """Published stories matching `text`, best first, and how many match.

    Counts and ranks at most `max_counted` matches, the most recently added: bm25 ranking costs
    a little per match, so a word found in every story would otherwise cost more the longer the
    history. Past that, the reader is asked to narrow the search (words, section, dates).
    """
    query = parse_query(text)
    if not query.match:
        return SearchResults(query, 0)
    where, params = _filters(section=section, author=author, first=first_day, last=last_day)
    if query.is_by_substring:
        return _search_by_substring(db, query, where, params, limit, offset, max_counted)
    # CROSS JOIN keeps the full-text index the outer loop: filters then check only its matches
    # (rowid lookups), instead of probing the index once per story in a section or date range.
    source = f"""FROM stories_fts CROSS JOIN stories ON stories.rowid = stories_fts.rowid
                 WHERE stories_fts MATCH ? AND {where}"""
    # FTS5 reads matches in rowid order for free: the newest max_counted + 1 say how many match
    # and where the ranked window starts.
    newest = [
        row[0]
        for row in db.execute(
            f"SELECT stories.id {source} ORDER BY stories_fts.rowid DESC LIMIT ?",
            [query.match, *params, max_counted + 1],
        )
    ]
    if not newest:
        return SearchResults(query, 0, max_counted=max_counted)
    floor = newest[:max_counted][-1]
    limit = max(0, min(limit, max_counted - offset))
    ranked = [
        row[0]
        for row in db.execute(
            f"""SELECT stories.id {source} AND stories_fts.rowid >= ?
                ORDER BY stories_fts.rank LIMIT ? OFFSET ?""",
            [query.match, *params, floor, limit, offset],
        )
    ]
    return SearchResults(query, len(newest), _hits(db, query.match, ranked), max_counted)


def _hits(db: sqlite_utils.Database, match: str, ranked: list[int]) -> list[Hit]:
    """Stories with highlighted titles and snippets, computed only for the ranked page."""
    if not ranked:
        return []
    marks = ",".join("?" * len(ranked))
    rows = db.query(
        f"""SELECT stories.*, highlight(stories_fts, 0, char(2), char(3)) AS marked_title,
            snippet(stories_fts, 2, char(2), char(3), '…', ?) AS marked_snippet
            FROM stories_fts CROSS JOIN stories ON stories.rowid = stories_fts.rowid
            WHERE stories_fts MATCH ? AND stories_fts.rowid IN ({marks})""",
        [SNIPPET_TOKENS, match, *ranked],
    )
    by_id = {row["id"]: row for row in rows}
    found = [by_id[story_id] for story_id in ranked if story_id in by_id]
    return [
        Hit(story, marked_pieces(row["marked_title"]), marked_pieces(row["marked_snippet"]))
        for story, row in zip(published(stories_from_rows(db, found)), found, strict=True)
    ]


def _search_by_substring(db, query, where, params, limit, offset, max_counted) -> SearchResults:
    """Stories whose text holds every term as a substring (the trigram index), newest first.

    Highlights are found in the stored text itself, so they show it as written.
    """
    condition, values = substring_filter(query.terms)
    source = f"FROM stories WHERE {where} AND {condition}"
    newest = [
        row[0]
        for row in db.execute(
            f"SELECT stories.id {source} ORDER BY stories.rowid DESC LIMIT ?",
            [*params, *values, max_counted + 1],
        )
    ]
    limit = max(0, min(limit, max_counted - offset))
    page = newest[offset : offset + limit]
    if not page:
        return SearchResults(query, len(newest), max_counted=max_counted)
    marks = ",".join("?" * len(page))
    by_id = {
        row["id"]: row for row in db.query(f"SELECT * FROM stories WHERE id IN ({marks})", page)
    }
    rows = [by_id[story_id] for story_id in page]
    hits = [
        Hit(
            story,
            marked_title(story.title, query.terms),
            marked_snippet(row["body_text"], query.terms),
        )
        for story, row in zip(published(stories_from_rows(db, rows)), rows, strict=True)
    ]
    return SearchResults(query, len(newest), hits, max_counted)


def _filters(*, section, author, first, last) -> tuple[str, list[str]]:
    where, params = scope_filter(section=section, author=author)
    where.insert(0, LIVE)
    if first:
        where.append("stories.local_date >= ?")
        params.append(first)
    if last:
        where.append("stories.local_date <= ?")
        params.append(last)
    return " AND ".join(where), params


def marked_pieces(text: str | None) -> tuple[tuple[str, bool], ...]:
    """Split highlight()/snippet() output into (text, is_match) pieces."""
    pieces, is_match = [], False
    for part in re.split(f"([{MATCH_START}{MATCH_END}])", text or ""):
        if part in (MATCH_START, MATCH_END):
            is_match = part == MATCH_START
        elif part:
            pieces.append((part, is_match))
    return tuple(pieces)
