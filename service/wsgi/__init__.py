"""The request pipeline in front of Flask: the client's address, the rate limit, the access
log, request bodies, the feed server and page cache that answer from stored bytes, HTTP caching
headers, tokens and RFC 9457 problems (the shape of every refusal).

May import `archive`, `service.settings` and `service.archive_access`; never the site, the API,
the feeds' builders, exports or commands, which sit above it.
"""
