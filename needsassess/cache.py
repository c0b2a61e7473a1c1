"""What earlier runs read: workbooks that did not change since are not read again.

A coordinator reruns the summary each time late files arrive, and an
analyst reruns it in a notebook many times a day; most workbooks of the
folder are the same as last time.  Each workbook read is kept, as the
reader's own result (a pickled :class:`~needsassess.file_result.FileResult`),
in an SQLite database in the user's cache folder, under its folder and
name.  It is used again only when all of these are as they were:

* the file: its size, modification time (to the nanosecond) and inode;
* the reader: the source of the package and the versions of the libraries
  that read files, the template description and the safety limits.

A file modified in the two seconds before a run is not kept (its next
change could leave its size and time as they were).  Nothing from the
workbooks is trusted here: the database holds what the reader made of them,
as pickles, which run code when loaded; so the folder is made private to
the user, and a cache folder others can write to must not be chosen.
Where the cache is: ``NEEDSASSESS_CACHE_DIR``, else the platform's cache
folder; ``NEEDSASSESS_CACHE=0`` (or ``cache=False``, ``--no-cache``) turns it off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
import sys
import time
from contextlib import closing
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Iterable, Sequence

from .container import Limits
from .file_result import FileResult
from .template import Template

#: Rows not used for this long are dropped.
KEEP_DAYS = 60
#: A file modified this recently is read but not kept.
SETTLE_SECONDS = 2.0
#: Results with these problems are not kept: they depend on more than the file.
TRANSIENT_CODES = frozenset({"file-unreadable", "read-failed"})
_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    folder BLOB NOT NULL, name BLOB NOT NULL, stamp TEXT NOT NULL, reader TEXT NOT NULL,
    used REAL NOT NULL, data BLOB NOT NULL, PRIMARY KEY (folder, name))
"""
_OFF = {"0", "false", "no", "off"}


def cache_dir(setting: bool | str | os.PathLike[str] | None = None) -> Path | None:
    """Where the cache lives, or None when it is off.

    ``setting``: False turns it off, a path puts it there, None (or True)
    follows ``NEEDSASSESS_CACHE`` / ``NEEDSASSESS_CACHE_DIR``, then the
    platform's user cache folder.
    """
    said = os.environ.get("NEEDSASSESS_CACHE", "").strip().lower()
    if setting is False or (setting in (None, True) and said in _OFF):
        return None
    if setting not in (None, True):
        return Path(setting)  # type: ignore[arg-type]
    if os.environ.get("NEEDSASSESS_CACHE_DIR"):
        return Path(os.environ["NEEDSASSESS_CACHE_DIR"])
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "needsassess" / "cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "needsassess"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "needsassess"


class ReadCache:
    """The results kept for one folder; see the module's description.

    Every failure of the database itself (a folder that cannot be written,
    a damaged file, a lock held too long) turns the cache off for the run:
    the workbooks are then read as if it were empty.
    """

    def __init__(self, home: Path, folder: Path, template: Template, limits: Limits | None) -> None:
        self.folder = _key(str(folder.resolve()))
        self.reader = _reader_fingerprint(template, limits or Limits())
        self.started = time.time()
        self._stamps: list[str | None] = []  # of the files split() was given, in order
        self.db: sqlite3.Connection | None = None
        path = home / "read.sqlite"
        for attempt in range(2):
            try:
                home.mkdir(mode=0o700, parents=True, exist_ok=True)
                self.db = sqlite3.connect(path, timeout=5.0)
                self.db.execute(_SCHEMA)
                return
            except sqlite3.DatabaseError as exc:
                self.close()
                if attempt or isinstance(exc, sqlite3.OperationalError):
                    return  # locked, read-only, or still damaged: no cache this run
                path.unlink(missing_ok=True)  # not a database (damaged): start a new one
            except (OSError, sqlite3.Error):
                self.close()
                return

    def split(self, found: Sequence[tuple[str, str]]) -> tuple[dict[int, FileResult], list[int]]:
        """Results kept for ``found`` (by position) and the positions still to read."""
        stamps = [_stamp(path) for path, _ in found]
        self._stamps = stamps
        kept: dict[int, FileResult] = {}
        if self.db is not None:
            try:
                rows = dict(((bytes(name), (stamp, reader, data)) for name, stamp, reader, data in self.db.execute(
                    "SELECT name, stamp, reader, data FROM results WHERE folder = ?", (self.folder,))))
            except sqlite3.Error:
                rows = {}
                self.close()
            for i, (_, rel) in enumerate(found):
                row = rows.get(_key(rel))
                if row is not None and stamps[i] is not None and row[0] == stamps[i] and row[1] == self.reader:
                    try:
                        kept[i] = pickle.loads(row[2])
                    except Exception:  # a row from an older layout of FileResult: read the file again
                        continue
        return kept, [i for i in range(len(found)) if i not in kept]

    def store(self, found: Sequence[tuple[str, str]], fresh: Iterable[tuple[int, FileResult, bytes | None]],
              kept: Iterable[int]) -> None:
        """Keep the results just read (with their pickles when made already) and mark those used."""
        if self.db is None:
            return
        now = time.time()
        rows = []
        for i, result, blob in fresh:
            stamp = self._stamps[i]
            if stamp is None or not _settled(found[i][0], result, self.started) or _transient(result):
                continue
            rows.append((self.folder, _key(found[i][1]), stamp, self.reader, now,
                         blob if blob is not None else pickle.dumps(result, pickle.HIGHEST_PROTOCOL)))
        try:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?)", rows)
                self.db.executemany("UPDATE results SET used = ? WHERE folder = ? AND name = ?",
                                    [(now, self.folder, _key(found[i][1])) for i in kept])
                self.db.execute("DELETE FROM results WHERE used < ?", (now - KEEP_DAYS * 86400,))
        except sqlite3.Error:
            pass  # kept for next time or not: this run's result is the same
        finally:
            self.close()

    def close(self) -> None:
        if self.db is not None:
            with closing(self.db):
                pass
        self.db = None


def _key(name: str) -> bytes:
    """A file or folder name as the database keeps it: its bytes, so that a name that is not valid
    UTF-8 (kept by Python as lone surrogates, which SQLite's text cannot hold) is a key like any other."""
    return name.encode("utf-8", "surrogateescape")


def _stamp(path: str) -> str | None:
    """What says a file is unchanged: its size, modification time and inode."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def _settled(path: str, result: FileResult, started: float) -> bool:
    """True when the file was last changed well before the run (its next change will show)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_mtime < started - SETTLE_SECONDS and st.st_size == result.bytes


def _transient(result: FileResult) -> bool:
    """A result that may go otherwise next time with the file unchanged: the file could not be opened
    (permissions, a lock held by another program) or its reader process stopped."""
    return any(p.code in TRANSIENT_CODES for p in result.problems)


def _reader_fingerprint(template: Template, limits: Limits) -> str:
    """What the reader's results depend on besides the file: its source, libraries, template and limits."""
    digest = hashlib.blake2b(_package_fingerprint().encode(), digest_size=16)
    digest.update(repr(template).encode())
    digest.update(repr(limits).encode())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _package_fingerprint() -> str:
    digest = hashlib.blake2b(digest_size=16)
    root = Path(__file__).parent
    for path in sorted([*root.glob("*.py"), *root.glob("data/*.toml")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for library in ("python-calamine", "defusedxml"):
        try:
            digest.update(f"{library}={metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library}=-".encode())
    return digest.hexdigest()


__all__ = ["ReadCache", "cache_dir", "KEEP_DAYS", "SETTLE_SECONDS", "TRANSIENT_CODES"]
