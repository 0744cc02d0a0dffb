"""GET /health: whether the feeds are current, for monitors and load balancers.

Answers 200 while every feed builds, 503 when some feed scope is failing (its last build stored
nothing); both name the last build and every scope with a problem. Never cached.
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app

from service.archive_access import get_archive
from service.sources.views import failing_sources

bp = Blueprint("health", __name__)


@bp.get("/health")
def show_health():
    archive = get_archive()
    states = archive.build_states()
    problems = [state for state in states if state.error]
    failing = [state for state in problems if state.status == "failing"]
    built = [state.built_at for state in states if state.built_at is not None]
    _up_to, pending = archive.pending_feed_changes()
    answer = {
        "status": "failing" if failing else "ok",
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
    }
    response = current_app.response_class(
        json.dumps(answer, ensure_ascii=False),
        status=503 if failing else 200,
        mimetype="application/json",
    )
    response.headers["Cache-Control"] = "no-store"
    return response
