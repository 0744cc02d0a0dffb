"""The feed pipeline: what a feed is built from (documents), Atom, RSS and JSON Feed bytes, the
stored renditions, the scheduler that rebuilds them, month feeds built in their own process,
and WebSub publishing.

May import `service.sources` (the scheduler polls them) and `service.wsgi`; never the site, the
API, exports or commands.
"""
