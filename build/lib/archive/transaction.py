"""The one way the archive opens a write transaction: SQLite's write lock first.

Every write (stories, revisions, renditions, the rebuild queue) goes through `write_transaction`;
nothing here reads or writes a table of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlite_utils


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction that takes SQLite's write lock first (BEGIN IMMEDIATE).

    A deferred BEGIN reads before it writes (an upsert looks for the row, the full-text
    triggers read the FTS5 tables), and in WAL mode SQLite then answers "database is locked"
    at once when another connection committed in between, whatever busy_timeout says. Taking
    the lock first makes a writer wait its turn instead. Nested use becomes a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        with db.atomic():
            yield db
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.commit()
