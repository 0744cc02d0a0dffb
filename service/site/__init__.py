"""The public site: story, list, date, search, revision, Memento, citation, correction and
source pages, the feed pages and directory, crawlers' files, ninjs items, templates' helpers.

May import `service.feeds` (feed addresses and discovery), `service.sources` and
`service.wsgi`; never the API, exports or commands.
"""
