"""The archive's SQLite database: schema and migrations, the one write transaction, writes,
reads, revision history, search, the stored renditions, sources' state and restore.

May import `archive.story` (every row becomes a Story through its gate) and `archive.errors`;
never the readers of files (`archive.ingest`), HTTP or Flask.
"""
