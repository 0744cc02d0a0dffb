"""The one way the archive opens a write transaction: SQLite's write lock first.

Every write (stories, revisions, renditions, the rebuild queue) goes through `write_transaction`
(or `trial_transaction`, whose writes are undone); nothing here reads or writes a table of its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import sqlite_utils

from archive.errors import ArchiveBusy

# SQLite's primary result codes for a lock another connection holds (extended codes keep these
# in their low byte).
BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction that takes SQLite's write lock first (BEGIN IMMEDIATE).

    A deferred BEGIN reads before it writes (an upsert looks for the row, the full-text
    triggers read the FTS5 tables), and in WAL mode SQLite then answers "database is locked"
    at once when another connection committed in between, whatever busy_timeout says. Taking
    the lock first makes a writer wait its turn instead. Nested use becomes a savepoint.
    Raises ArchiveBusy when another writer held the lock for longer than the busy timeout.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    begin_immediate(db)
    try:
        with db.atomic():
            yield db
    except BaseException:
        db.conn.rollback()
        raise
    try:
        db.conn.commit()
    except sqlite3.OperationalError as error:
        if not is_busy(error):
            raise
        db.conn.rollback()
        raise busy_or(error, db) from None


@contextmanager
def trial_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction whose writes are all undone at its end, whatever happens inside
    (a dry run that says exactly what the real run would do); writes inside become savepoints.
    Raises RuntimeError inside another transaction, ArchiveBusy as write_transaction does."""
    if db.conn.in_transaction:
        raise RuntimeError("a trial cannot start inside a transaction")
    begin_immediate(db)
    try:
        yield db
    finally:
        db.conn.rollback()


def roll_back_unfinished(db: sqlite_utils.Database) -> None:
    """Undo a transaction left open (by a write that failed halfway); nothing if none is."""
    if db.conn.in_transaction:
        db.conn.rollback()


def begin_immediate(db: sqlite_utils.Database) -> None:
    """BEGIN IMMEDIATE: wait up to the busy timeout for the write lock, then ArchiveBusy."""
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        raise busy_or(error, db) from None


def is_busy(error: sqlite3.Error) -> bool:
    """Whether SQLite refused because another connection holds a lock."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in BUSY_CODES


def busy_or(error: sqlite3.OperationalError, db: sqlite_utils.Database) -> Exception:
    """ArchiveBusy when `error` says the lock was held too long; otherwise `error` itself."""
    if not is_busy(error):
        return error
    waited = db.execute("PRAGMA busy_timeout").fetchone()[0] / 1000
    return ArchiveBusy(waited)
