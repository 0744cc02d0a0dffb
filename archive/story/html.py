"""Story HTML: sanitising bodies (nh3) and their plain text for search.

Every body passes through `sanitise` before it is stored, whichever way it arrived.
"""

from __future__ import annotations

import re

import lxml.html
import nh3

# Tags a story body may keep: prose, lists, quotes, figures, tables; no scripts, forms, frames.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "dfn", "div",
    "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "time": {"datetime"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "p": {"class"},
}
# Attributes holding a URL, and the schemes they may use; a relative URL (no scheme) is kept
# and made absolute where a rendition needs it.
URL_ATTRIBUTES = {"href", "src", "cite"}
URL_SCHEMES = {"http", "https", "mailto"}
# A URL's scheme as browsers read it (WHATWG URL): after leading spaces and controls, with tabs
# and newlines anywhere ignored.
SCHEME = re.compile(r"[\x00-\x20]*([A-Za-z][A-Za-z0-9+.\-]*):")
# XML 1.0 forbids these characters; a feed containing one is not well-formed. Lone surrogates
# are not characters at all (no UTF-8 encodes them).
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Control characters an attribute value may not keep (raw, or written as `&#10;`): a URL loses
# them as browsers parse it (WHATWG URL: tabs and newlines ignored, C0 and space trimmed at the
# ends, other controls percent-encoded); any other attribute has them as one space.
URL_IGNORED = re.compile(r"[\t\n\r]")
URL_ENDS = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_RUNS = re.compile(r"[\x00-\x1f\x7f]+")


def strip_forbidden(text: str) -> str:
    return XML_FORBIDDEN.sub("", text)


def sanitise(body: str) -> str:
    """Safe HTML: no scripts, no event handlers, no javascript: URLs, links get rel=noopener."""
    return nh3.clean(
        strip_forbidden(body),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        attribute_filter=_allowed_url,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


def to_text(body: str) -> str:
    """The plain text of an HTML body, paragraphs separated by blank lines (for search)."""
    if not body.strip():
        return ""
    tree = lxml.html.fragment_fromstring(body, create_parent="div")
    for block in tree.iter("p", "li", "blockquote", "h2", "h3", "h4", "figcaption", "br"):
        block.tail = "\n\n" + (block.tail or "")
    text = tree.text_content()
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()


def _allowed_url(element: str, attribute: str, value: str) -> str | None:
    """nh3 checks only href and src against url_schemes: this checks cite too (<blockquote>,
    <q>, <del>, <ins>), reading the scheme as a browser would. No value keeps a control
    character: a URL is kept as browsers read it, any other value with spaces for them."""
    if attribute not in URL_ATTRIBUTES:
        return CONTROL_RUNS.sub(" ", value)
    url = URL_IGNORED.sub("", URL_ENDS.sub("", value))
    found = SCHEME.match(url)
    if found is not None and found.group(1).lower() not in URL_SCHEMES:
        return None
    return CONTROLS.sub(lambda m: f"%{ord(m.group()):02X}", url)
