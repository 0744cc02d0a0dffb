"""WebSub subscriber (W3C WebSub): where a source advertises a hub, subscribe to its feed and
take pushed content as a poll would.

A subscription sets `hub.secret` (a new one each time); the hub's verification of intent is
answered only for a topic and mode this site asked for; each push must carry
`X-Hub-Signature-256` (HMAC-SHA256 of the body with that secret), and an unsigned or wrongly
signed push is refused (403) and logged. A lease is renewed when less than RENEW_BEFORE is left.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, current_app, request

from archive.db import sources as store
from archive.ingest.syndicated import UnreadableDocument, parse_document
from service import urls
from service.archive_access import get_archive
from service.settings import Settings
from service.sources.fetch import Fetcher, FetchFailed
from service.wsgi.answers import cache_control

log = logging.getLogger("masthead.sources.websub")

bp = Blueprint("websub_callback", __name__)

# Lease asked of a hub (hubs may grant less), and how long before it lapses it is renewed.
LEASE_SECONDS = 10 * 24 * 3600
RENEW_BEFORE = timedelta(days=1)


def callback_url(settings: Settings, source: store.Source) -> str:
    return urls.site_url(settings.site, f"/sources/{source.slug}/websub")


def needs_subscription(source: store.Source, now: datetime) -> bool:
    """Whether a source with a hub has no lease, or one about to lapse."""
    if not source.hub_url or source.state != "active":
        return False
    return source.lease_until is None or source.lease_until - now < RENEW_BEFORE


def subscribe(
    archive, settings: Settings, source: store.Source, fetcher: Fetcher, *, now: datetime
) -> str:
    """Ask the source's hub for a subscription with a new secret; what the hub answered."""
    assert source.hub_url is not None, "only a source naming a hub is subscribed"
    secret = secrets.token_hex(32)
    # The secret is stored first: the hub may verify (and push) before its answer arrives.
    store.record_subscription(
        archive.db, source, secret=secret, lease_until=now + timedelta(seconds=LEASE_SECONDS)
    )
    try:
        answer = fetcher.post(
            source.hub_url,
            {
                "hub.mode": "subscribe",
                "hub.topic": source.hub_topic or source.url,
                "hub.callback": callback_url(settings, source),
                "hub.secret": secret,
                "hub.lease_seconds": str(LEASE_SECONDS),
            },
        )
    except FetchFailed as error:
        log.warning("source %s: subscribing at %s failed: %s", source.slug, source.hub_url, error)
        return f"subscription failed: {error}"
    return f"hub answered {answer.status}"


def is_signed(body: bytes, signature: str, secret: str | None) -> bool:
    """Whether `signature` (X-Hub-Signature-256: "sha256=<hex>") signs `body` with `secret`."""
    method, _, given = signature.partition("=")
    if not secret or method.strip().lower() != "sha256" or not given:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def _source(slug: str) -> store.Source:
    try:
        return store.get_source(get_archive().db, slug)
    except store.SourceNotFound:
        abort(404)


@bp.get("/sources/<slug>/websub")
def verify_intent(slug: str):
    """The hub asks whether this site wants the subscription (WebSub 5.3)."""
    source = _source(slug)
    mode = request.args.get("hub.mode", "")
    topic = request.args.get("hub.topic", "")
    challenge = request.args.get("hub.challenge", "")
    wanted = {source.hub_topic, source.url} - {None}
    is_ours = topic in wanted and bool(challenge)
    if mode == "subscribe" and is_ours and source.state == "active" and source.hub_secret:
        lease = request.args.get("hub.lease_seconds", "")
        if lease.isdigit():
            now = datetime.now(UTC)
            until = now + timedelta(seconds=int(lease))
            store.record_subscription(
                get_archive().db, source, secret=source.hub_secret, lease_until=until
            )
        return _text(challenge)
    if mode == "unsubscribe" and is_ours and source.state != "active":
        return _text(challenge)
    if mode == "denied":
        log.warning("source %s: the hub denied the subscription", slug)
        return _text("")
    abort(404)
    return None


@bp.post("/sources/<slug>/websub")
def receive_push(slug: str):
    """Content the hub pushes: taken as a poll's would be, if signed with the secret."""
    from service.sources import poller

    source = _source(slug)
    config: Settings = current_app.config["MASTHEAD"]
    limit = config.sources.max_bytes
    if (request.content_length or 0) > limit:
        return _text("refused: too large", 413)
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        return _text("refused: too large", 413)
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not is_signed(body, signature, source.hub_secret):
        log.warning(
            "source %s: refused a push %s", slug, "with a wrong signature" if signature else
            "without a signature"
        )  # fmt: skip
        return _text("refused: the push is not signed with this subscription's secret", 403)
    try:
        document = parse_document(
            body, url=source.hub_topic or source.url, max_entries=config.sources.max_entries
        )
    except UnreadableDocument as error:
        log.warning("source %s: an unreadable push: %s", slug, error)
        return _text(f"unreadable: {error}", 400)
    now = datetime.now(UTC)
    taken = poller.take_entries(get_archive(), source, document, config, now=now)
    store.record_push(get_archive().db, source, status="pushed, " + taken.summary(), now=now)
    return _text(taken.summary())


def _text(text: str, status: int = 200):
    response = current_app.response_class(text, status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = cache_control("no-store")
    return response
