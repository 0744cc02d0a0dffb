"""GET /health and /health/ready: liveness and readiness, for monitors and load balancers.

/health answers 200 whenever the service answers at all (a load balancer keeps a serving
instance), naming the last feed build, the queue, every feed scope with a problem and the
answering worker's caches, each with its size and limit (service/site/caches.py).
/health/ready answers 503 while something is degraded (a feed scope failing, the archive
read-only on a full disk), saying what; pages and feeds are served meanwhile from what is
stored. Neither is cached.
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app

from service.archive_access import get_archive
from service.site import caches
from service.site.sources import failing_sources
from service.wsgi.answers import cache_control

bp = Blueprint("health", __name__)


def health_report() -> dict:
    """The feeds' state and what is degraded, as both answers report it."""
    archive = get_archive()
    states = archive.build_states()
    problems = [state for state in states if state.error]
    failing = [state for state in problems if state.status == "failing"]
    built = [state.built_at for state in states if state.built_at is not None]
    _up_to, pending = archive.pending_feed_changes()
    degraded = []
    if failing:
        scopes = ", ".join(state.scope for state in failing[:5])
        degraded.append(f"feeds: {len(failing)} feed scope(s) cannot be built ({scopes})")
    if archive.is_read_only:
        degraded.append("archive: read-only (the disk is full); writes answer 503")
    return {
        "status": "failing" if failing else "ok",
        "ready": not degraded,
        "degraded": degraded,
        "last_build_at": max(built).isoformat() if built else None,
        "feeds_queued": len(pending),
        "problems": [
            {
                "scope": state.scope,
                "status": state.status,
                "error": state.error,
                "story_ids": list(state.story_ids),
                "since": state.failing_since.isoformat() if state.failing_since else None,
            }
            for state in problems
        ],
        # A partner's failing feed is named, but never makes the site itself unhealthy.
        "sources_failing": failing_sources(archive),
        "caches": caches.report(current_app),
    }


def _answer(report: dict, status: int):
    response = current_app.response_class(
        json.dumps(report, ensure_ascii=False), status=status, mimetype="application/json"
    )
    response.headers["Cache-Control"] = cache_control("no-store")
    return response


@bp.get("/health")
def show_health():
    return _answer(health_report(), 200)


@bp.get("/health/ready")
def show_readiness():
    report = health_report()
    return _answer(report, 200 if report["ready"] else 503)
