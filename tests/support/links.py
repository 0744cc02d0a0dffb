"""Link headers (RFC 8288) and link-format documents (RFC 6690) as tests read them."""

from __future__ import annotations

import re

# A link-value of RFC 8288 (the Link header) and RFC 6690 (link-format): <url> then params.
LINK = r'<([^>]*)>((?:\s*;\s*[\w-]+\s*=\s*(?:"[^"]*"|[^;,\s"]+))*)'
PARAM = re.compile(r';\s*([\w-]+)\s*=\s*(?:"([^"]*)"|([^;,\s"]+))')


def parse_links(value: str) -> list[dict[str, str]]:
    """Every link in a Link header or a link-format document, as {"url": ..., param: value};
    fails on anything that is not a comma-separated list of link-values."""
    assert re.fullmatch(rf"\s*(?:{LINK}\s*,\s*)*{LINK}\s*", value), value
    return [
        {"url": url, **{name: quoted or token for name, quoted, token in PARAM.findall(params)}}
        for url, params in re.findall(LINK, value)
    ]


def by_rel(links: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """Links under each of their relation types (rel="first memento" is under both)."""
    found: dict[str, list[dict[str, str]]] = {}
    for link in links:
        for rel in link["rel"].split():
            found.setdefault(rel, []).append(link)
    return found
