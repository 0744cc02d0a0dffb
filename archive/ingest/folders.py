"""Finding the files an import reads: the paths named, and the files inside named folders,
without following anything out of a folder. Reads no file; archive.ingest.formats opens them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

LINK_SKIPPED = "a symbolic link: links inside a folder are not followed"
NOT_A_FILE = "not a regular file (a pipe, a device or a socket)"
NOT_FOUND = "no such file or directory"


@dataclass(frozen=True)
class Found:
    """A file to import; or one skipped, with the reason (`skipped`); or a path that does not
    exist or a folder that could not be read (`problem`)."""

    path: Path
    skipped: str = ""
    problem: str = ""
    in_folder: bool = False


def files_under(paths: list[Path], *, suffixes: set[str]) -> list[Found]:
    """Every importable file named or inside a named folder, in a stable order.

    A named path is taken as it is, a symbolic link too. Inside a folder nothing is followed
    out of it: symbolic links (to files or folders, wherever they point) and anything that is
    not a regular file are skipped with the reason; files without one of `suffixes` are passed
    over.
    """
    found = []
    for path in paths:
        if path.is_dir():
            found += _walk(path, suffixes)
        elif not os.path.lexists(path):
            found.append(Found(path, problem=NOT_FOUND))
        else:
            found.append(Found(path))
    return found


def _walk(folder: Path, suffixes: set[str]) -> list[Found]:
    found = []
    problems: list[OSError] = []
    for root, folders, files in os.walk(folder, onerror=problems.append):
        folders.sort()
        here = Path(root)
        for name in [n for n in folders if (here / n).is_symlink()]:
            found.append(Found(here / name, LINK_SKIPPED, in_folder=True))
            folders.remove(name)
        for name in sorted(files):
            path = here / name
            if path.is_symlink():
                found.append(Found(path, LINK_SKIPPED, in_folder=True))
            elif path.suffix.lower() not in suffixes:
                continue
            elif not path.is_file():
                found.append(Found(path, NOT_A_FILE, in_folder=True))
            else:
                found.append(Found(path, in_folder=True))
    for error in problems:
        problem = f"cannot read the folder: {error.strerror}"
        found.append(Found(Path(error.filename or folder), problem=problem, in_folder=True))
    return found
