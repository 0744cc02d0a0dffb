"""Settings for a test's temp dir, the migrated template every test archive is copied from, and
readers of a whole archive (every story, query plans)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from archive import open_archive, story_to_dict
from service import create_app
from tests.support.commands import MastheadRunner


def settings_mapping(tmp_path: Path, **sections: dict) -> dict:
    """Settings for a test's temp dir; its archive starts as a copy of the migrated template."""
    mapping: dict[str, dict] = {
        "site": {"base_url": "https://news.example", "timezone": "Europe/London"},
        "archive": {"path": str(tmp_path / "archive.db"), "demo": False},
    }
    for name, values in sections.items():
        mapping.setdefault(name, {}).update(values)
    if mapping["archive"]["path"] == str(tmp_path / "archive.db"):
        copy_template_archive(tmp_path / "archive.db")
    return mapping


# An empty archive migrated once per run; each test's archive starts as a copy of it. Nothing in
# a new archive depends on the site (domain and zone are read at open), so one serves every test.
_template_archive: Path | None = None


def copy_template_archive(path: Path) -> None:
    """Put a migrated empty archive at `path` unless something is there already."""
    global _template_archive
    if path.exists():
        return
    if _template_archive is None:
        folder = Path(tempfile.mkdtemp(prefix="masthead-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        open_archive(folder / "archive.db").close()
        _template_archive = folder / "archive.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_template_archive, path)


def plans_of(archive, read) -> dict[str, list[str]]:
    """Every statement `read` runs on the stories table, with its query plan."""
    statements: list[str] = []
    archive.db.conn.set_trace_callback(statements.append)
    try:
        read(archive)
    finally:
        archive.db.conn.set_trace_callback(None)
    # Statements starting "--" are SQLite's own, run inside FTS5; they cannot be explained.
    return {
        sql: [row[3] for row in archive.db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()]
        for sql in statements
        if not sql.startswith("--") and "stories" in sql
    }


def fresh(make_settings, tmp_path, name="fresh.db"):
    """Settings, a CLI runner and a client for another, empty archive."""
    copy_template_archive(tmp_path / name)
    settings = make_settings(archive={"path": str(tmp_path / name), "demo": False})
    app = create_app(settings)
    return settings, MastheadRunner(app), app.test_client()


def everything(settings, *, public: bool = False) -> dict[int, tuple[dict, list[dict]]]:
    """Every story with its revisions; `public`: every public story as the public sees it (a
    tombstone as its tombstone)."""
    with open_archive(settings.archive_path) as archive:
        return {
            story.id: (story_to_dict(story), [r.exported() for r in archive.history(story.id)])
            for story in archive.all_stories(include_unpublished=not public)
        }
