"""Sources: partner feeds and agency items taken into the archive.

fetch (HTTP with the address guard and limits), poller (conditional polls, entries saved through
the archive's one gate, adaptive intervals), websub (the subscriber and its callback). Their API
is `service.api.sources`, their page `service.site.sources`, their commands
`service.commands.sources`; the store itself is `archive.db.sources`.

May import `service.wsgi`; never the site, the API, the feeds, exports or commands.
"""
