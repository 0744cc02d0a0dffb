"""Migration m013's own copy of the body cleaning rules (archive.story.html as it was when m013
was written), and the walk that cleans every stored body with them.

A migration gives the same result whenever it runs: it never calls live helpers, which may
change after it ships. Never edit these rules; a later change of the live rules that stored
bodies must meet is a migration of its own.
"""

from __future__ import annotations

import json
import re

import lxml.html
import nh3
import sqlite_utils

# Rows read at once: an archive of any size is cleaned in bounded memory.
BATCH = 500

ALLOWED_TAGS_M013 = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "dfn", "div",
    "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES_M013 = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "time": {"datetime"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "p": {"class"},
}
URL_ATTRIBUTES_M013 = {"href", "src", "cite"}
URL_SCHEMES_M013 = {"http", "https", "mailto"}
SCHEME_M013 = re.compile(r"[\x00-\x20]*([A-Za-z][A-Za-z0-9+.\-]*):")
XML_FORBIDDEN_M013 = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
URL_IGNORED_M013 = re.compile(r"[\t\n\r]")
URL_ENDS_M013 = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
CONTROLS_M013 = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_RUNS_M013 = re.compile(r"[\x00-\x1f\x7f]+")


def sanitise_m013(body: str) -> str:
    """A body as m013 cleans it: no scripts, event handlers or javascript: URLs."""
    return nh3.clean(
        XML_FORBIDDEN_M013.sub("", body),
        tags=ALLOWED_TAGS_M013,
        attributes=ALLOWED_ATTRIBUTES_M013,
        url_schemes=URL_SCHEMES_M013,
        attribute_filter=_allowed_url_m013,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


def _allowed_url_m013(element: str, attribute: str, value: str) -> str | None:
    if attribute not in URL_ATTRIBUTES_M013:
        return CONTROL_RUNS_M013.sub(" ", value)
    url = URL_IGNORED_M013.sub("", URL_ENDS_M013.sub("", value))
    found = SCHEME_M013.match(url)
    if found is not None and found.group(1).lower() not in URL_SCHEMES_M013:
        return None
    return CONTROLS_M013.sub(lambda m: f"%{ord(m.group()):02X}", url)


def to_text_m013(body: str) -> str:
    """The plain text of a cleaned body, as search indexes it."""
    if not body.strip():
        return ""
    tree = lxml.html.fragment_fromstring(body, create_parent="div")
    for block in tree.iter("p", "li", "blockquote", "h2", "h3", "h4", "figcaption", "br"):
        block.tail = "\n\n" + (block.tail or "")
    text = tree.text_content()
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()


def clean_stored_bodies(db: sqlite_utils.Database) -> tuple[int, int]:
    """Clean every story's body and every revision's; a body that changes gets its plain text
    again. Returns how many stories and revisions changed."""
    return _clean_stories(db), _clean_revisions(db)


def _clean_stories(db: sqlite_utils.Database) -> int:
    changed, after = 0, 0
    while rows := db.execute(
        "SELECT id, body_html FROM stories WHERE id > ? ORDER BY id LIMIT ?", [after, BATCH]
    ).fetchall():
        for story_id, body in rows:
            clean = sanitise_m013(body)
            if clean != body:
                db.execute(
                    "UPDATE stories SET body_html = ?, body_text = ? WHERE id = ?",
                    [clean, to_text_m013(clean), story_id],
                )
                changed += 1
        after = rows[-1][0]
    return changed


def _clean_revisions(db: sqlite_utils.Database) -> int:
    changed, after = 0, 0
    while rows := db.execute(
        "SELECT rowid, snapshot FROM revisions WHERE rowid > ? ORDER BY rowid LIMIT ?",
        [after, BATCH],
    ).fetchall():
        for rowid, text in rows:
            snapshot = json.loads(text)
            body = snapshot.get("body")
            if not isinstance(body, str) or (clean := sanitise_m013(body)) == body:
                continue
            snapshot["body"] = clean
            if "body_text" in snapshot:
                snapshot["body_text"] = to_text_m013(clean)
            db.execute(
                "UPDATE revisions SET snapshot = ? WHERE rowid = ?",
                [json.dumps(snapshot, ensure_ascii=False, sort_keys=True), rowid],
            )
            changed += 1
        after = rows[-1][0]
    return changed
