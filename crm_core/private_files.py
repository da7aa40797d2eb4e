"""Files holding customer data are the owner's alone: 0600, in a 0700 folder when we make it.

SQLite and open() create files 0644 under the usual umask, readable by every account on the
machine. The database file is therefore created here, empty and 0600, before SQLite first
opens it (an empty file is a valid empty database, and SQLite gives its -wal and -shm files
the database's own mode); exports and charts are written through `write_private`.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def create_private_file(path: Path) -> bool:
    """Create `path` empty and 0600 (its missing folders 0700) unless it exists; whether it
    was created. An existing file keeps the mode its owner gave it."""
    if path.exists():
        return False
    _make_folders(path.parent)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
    except FileExistsError:  # another process made it first
        return False
    os.chmod(path, FILE_MODE)  # os.open's mode is narrowed by the umask, never widened
    return True


def write_private(path: str | Path, data: bytes) -> None:
    """Write `data` to `path`, readable and writable by its owner only (an existing file is
    made 0600 before it is overwritten)."""
    descriptor = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, FILE_MODE)
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(file.fileno(), FILE_MODE)
        file.write(data)


def _make_folders(folder: Path) -> None:
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        made.mkdir(mode=FOLDER_MODE, exist_ok=True)
        os.chmod(made, FOLDER_MODE)
