"""HTML pages as tests read them: lxml trees and the text of what a CSS selector finds."""

from __future__ import annotations

import lxml.html

STORY = "/2014/02/24/harbour-bridge-reopens/"


def html_of(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.get_data(as_text=True))


def texts(tree, selector: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in tree.cssselect(selector)]
