"""Every absolute URL the service writes, built from `[site] base_url`, never from the request's
host: feeds, canonical links, JSON-LD, sitemaps, citations and exports link where readers reach
the site. Plain functions of the site's settings and a site path; nothing here reads a request
or the archive.
"""

from __future__ import annotations

from urllib.parse import urljoin

from archive import FeedScope, Story
from service.settings import SiteSettings

# The site's icon, served unhashed from service/static: feeds and JSON-LD name it for good.
ICON_PATH = "/static/icon.png"
# The pages that list a section's, tag's or author's stories, by the name's kind.
NAME_PAGES = {"section": "sections", "tag": "tags", "author": "authors"}


def on_base(base_url: str, path: str) -> str:
    """A site path ('/2014/02/24/closing-ceremony/') on a base URL: the one place the two are
    joined, so a base URL written with or without its trailing slash gives the same URL."""
    return base_url.rstrip("/") + path


def home_url(site: SiteSettings) -> str:
    """The site's address as `[site] base_url` writes it: the publisher's URL that feeds,
    JSON-LD and ninjs name."""
    return site.base_url


def site_url(site: SiteSettings, path: str = "/") -> str:
    """The absolute URL of a site path: site_url(site, "/sitemap.xml")."""
    return on_base(site.base_url, path)


def resolve(site: SiteSettings, reference: str) -> str:
    """A link found in content (a body's href, an image's src) made absolute against the site's
    home: a relative one is resolved as a browser on the home page would, an absolute one kept."""
    return urljoin(site_url(site), reference)


def story_url(site: SiteSettings, story: Story) -> str:
    """A story's permalink."""
    return site_url(site, story.path or "/")


def name_url(site: SiteSettings, kind: str, slug: str) -> str:
    """The page of a section's, tag's or author's stories: name_url(site, "tag", "sochi")."""
    return site_url(site, f"/{NAME_PAGES[kind]}/{slug}/")


def names_url(site: SiteSettings, kind: str) -> str:
    """The index of every section, tag or author: /tags/ (the scheme of feed categories)."""
    return site_url(site, f"/{NAME_PAGES[kind]}/")


def feed_url(site: SiteSettings, scope: FeedScope, fmt: str) -> str:
    """A feed in one format: /feeds/tags/sochi/latest.atom."""
    return site_url(site, scope.feed_path(fmt))


def feed_home_url(site: SiteSettings, scope: FeedScope) -> str:
    """The HTML page a feed follows: /, /tags/sochi/, /2014/02/."""
    return site_url(site, scope.page_path)


def icon_url(site: SiteSettings) -> str:
    return site_url(site, ICON_PATH)
