"""The API under /api/: stories and sources as JSON, what requests send (payloads), the OpenAPI
description and the story schemas it is generated from.

May import `service.sources` and `service.wsgi` (problems, tokens, answers); never the site,
the feeds' builders, exports or commands.
"""
