"""For crawlers: /robots.txt and the sitemaps (sitemaps.org 0.9), an index at /sitemap.xml
pointing at /sitemaps/<n>.xml files of at most 50,000 permalinks each, with lastmod.
"""

from __future__ import annotations

from flask import Blueprint

from service import urls
from service.archive_access import get_archive, settings
from service.site.templating import render_page, send_text

bp = Blueprint("crawlers", __name__)

# sitemaps.org: a sitemap file holds at most 50,000 URLs; the index splits the archive past it.
SITEMAP_SIZE = 50_000
# sitemaps.org: an index lists at most 50,000 sitemaps; a larger number names none (404).
MAX_SITEMAPS = 50_000
XML = "application/xml; charset=utf-8"


@bp.get("/robots.txt")
def show_robots():
    # RFC 9309: search results and the API are not for crawling. Revision pages and TimeMaps
    # are open: archival crawlers that honour robots.txt keep every Memento and revision
    # citation (search engines are asked not to index revision pages, by their own meta tag).
    lines = [
        "User-agent: *",
        "Disallow: /search",
        "Disallow: /api/",
        "Allow: /",
        "",
        f"Sitemap: {urls.site_url(settings().site, '/sitemap.xml')}",
    ]
    return send_text("\n".join(lines) + "\n", "text/plain; charset=utf-8")


@bp.get("/sitemap.xml")
def show_sitemap_index():
    chunks = get_archive().sitemap_chunks(size=SITEMAP_SIZE)
    return render_page("sitemap_index.xml", content_type=XML, chunks=chunks)


@bp.get(f"/sitemaps/<int(max={MAX_SITEMAPS}):number>.xml")
def show_sitemap(number: int):
    entries = get_archive().sitemap_entries(number, size=SITEMAP_SIZE)
    return render_page("sitemap.xml", content_type=XML, entries=entries)
