"""Sources: partner feeds and agency items taken into the archive.

fetch (HTTP with the address guard and limits), poller (conditional polls, entries saved through
the archive's one gate, adaptive intervals), commands (`masthead sources`), views (the API,
`/sources/<slug>/`, the WebSub callback). The store itself is archive.sources.
"""
