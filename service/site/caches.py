"""What each process keeps in memory, and how much: the figures /health reports.

Every cache is bounded. The big ones by a setting of `[cache]`: pages and feeds ready to send
(in each worker), feed entries built (in the worker running the scheduler). The small memo
tables (Accept and Accept-Encoding values, proxy addresses, furniture lines, letters' scripts)
by a count fixed in code, a few hundred KiB at most. The figures are the answering process's:
each worker has its own caches, and the scheduler's entries are in one worker only.
"""

from __future__ import annotations

import os
from functools import _lru_cache_wrapper

from flask import Flask

from archive.ingest import furniture, language
from service.feeds.document import ENTRIES
from service.wsgi import answers
from service.wsgi import feed_server as feeds


def memo_report(memo: _lru_cache_wrapper) -> dict:
    info = memo.cache_info()
    return {"size": info.currsize, "limit": info.maxsize, "unit": "entries"}


def report(app: Flask) -> dict:
    """This process's caches: each one's size and limit, and the unit they are counted in."""
    config = app.config["MASTHEAD"]
    proxies = app.extensions.get("masthead.proxies")
    found = {
        "process": os.getpid(),
        "pages": app.extensions["masthead.page_cache"].report(),
        "feeds": app.extensions["masthead.feed_cache"].report(),
        "feed_entries": ENTRIES.report(config.cache.feed_entries),
        "accept_values": memo_report(feeds.is_browser_view),
        "accept_encoding_values": memo_report(answers.accepts_gzip),
        "furniture_lines": memo_report(furniture.is_furniture),
        "letter_scripts": memo_report(language.script_of),
    }
    if proxies is not None:
        found["proxy_addresses"] = memo_report(proxies.is_trusted)
    return found
