"""The disk under the archive: its failures (full, I/O errors, a read-only file) told apart from
every other SQLite error, the read-only way in that still works on a full disk, and copies that
are checked and on the disk before anyone relies on them.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

# SQLite's primary result codes that mean the storage failed, not the request or the data.
STORAGE_FAILURES = {
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_IOERR: "the disk could not read or write it (I/O error; is the disk full?)",
    sqlite3.SQLITE_READONLY: "it cannot be written (read-only)",
}


def storage_failure(error: BaseException) -> str | None:
    """What `error` says is wrong with the archive's storage; None for any other error."""
    code = getattr(error, "sqlite_errorcode", None)
    if not isinstance(error, sqlite3.Error) or code is None:
        return None
    return STORAGE_FAILURES.get(code & 0xFF)  # the low byte: extended codes share it


def wal_is_empty(path: Path) -> bool:
    """Whether the archive's write-ahead log holds no changes (absent, or truncated to 0)."""
    wal = path.with_name(path.name + "-wal")
    return not wal.exists() or wal.stat().st_size == 0


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection that needs no new file and no free byte on the disk.

    A normal connection to a WAL archive first writes a 32 KiB shared-memory index beside it,
    which a full disk refuses. `immutable=1` reads the main file alone, without locks: correct
    only while the write-ahead log is empty (the caller checks), and for as long as nobody
    writes, which is why callers open the archive normally again as soon as they can.
    Raises sqlite3.OperationalError when the file cannot be read.
    """
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    connection = sqlite3.connect(uri, uri=True)
    connection.execute("SELECT count(*) FROM sqlite_master").fetchone()  # fails now, not later
    return connection


def copy_checked(source: sqlite3.Connection, target: Path) -> None:
    """Copy the database of `source` into the file `target` (SQLite's online backup), then
    check the copy. Raises sqlite3.DatabaseError naming every problem the check found."""
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        problems = [row[0] for row in copy.execute("PRAGMA quick_check")]
    finally:
        copy.close()
    if problems != ["ok"]:
        raise sqlite3.DatabaseError(f"the copy in {target} failed its check: {'; '.join(problems)}")


def flush(path: Path) -> None:
    """fsync a file or folder: what was written to it is on the disk, not only in memory."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def integrity_problems(path: Path) -> list[str]:
    """What `PRAGMA integrity_check` finds wrong in the database file at `path` (none: [])."""
    connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True)  # never creates one
    try:
        found = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    finally:
        connection.close()
    return [] if found == ["ok"] else found
