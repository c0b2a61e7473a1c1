"""Reading LEA workbooks: :func:`read_workbook` and :func:`read_folder`.

Per file (:mod:`.workbook`): open the container safely (:mod:`.container`),
give every tab a role (:mod:`.locate`), load only the tabs needed with
calamine, and run one extractor per role (``extract_*``).  Whatever cannot
be read becomes a problem record; the batch always goes on.  The per-file
step returns plain lists, so a folder can be read by a process pool; the
tables are made once at the end (:mod:`.result`).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .container import WORKBOOK_SUFFIXES, Limits
from .problems import InputError, Problem
from .result import Assessment, FileResult, build
from .template import Template, load_template
from .workbook import display_name, file_kind, read_file

__all__ = ["Assessment", "read_workbook", "read_folder", "read_file", "Limits"]

#: Files ignored without a word: system clutter.
_SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})
#: Below this many files a folder is read in this process.
_POOL_MIN_FILES = 48

Progress = Callable[..., Iterable[Any]]


# ---------------------------------------------------------------- public API
def read_workbook(path: str | os.PathLike[str], *, template: str | os.PathLike[str] | Template | None = None,
                  root: str | os.PathLike[str] | None = None, limits: Limits | None = None) -> Assessment:
    """Read one LEA workbook.

    Parameters
    ----------
    path : path-like
        The workbook.
    template : path, Template or None
        The layout description; None uses the shipped one.
    root : path-like, optional
        Folder the ``file`` column is relative to (default: the workbook's folder).
    limits : Limits, optional
        Zip safety caps.

    Returns
    -------
    Assessment

    Raises
    ------
    InputError
        When ``path`` does not exist or is a folder.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no such workbook: {path}")
    tmpl = load_template(template)
    base = Path(root) if root is not None else path.parent
    rel = _relative(path, base)
    return build([read_file(str(path), rel, tmpl, limits)], source=str(path))


def read_folder(path: str | os.PathLike[str], *, recursive: bool = True,
                template: str | os.PathLike[str] | Template | None = None, workers: int | None = None,
                progress: Progress | None = None, limits: Limits | None = None) -> Assessment:
    """Read every workbook in a folder.

    Parameters
    ----------
    path : path-like
        The folder (a single workbook is read as a folder of one).
    recursive : bool
        Also read sub-folders (folder links are followed once; loops are reported).
    template : path, Template or None
        The layout description; None uses the shipped one.
    workers : int, optional
        Processes to read with; None picks one per CPU for large folders
        and reads small folders in this process; 1 never starts a pool.
    progress : callable, optional
        A tqdm-like wrapper, called as ``progress(iterable, total=n)`` and
        iterated; it sees one item per workbook read.
    limits : Limits, optional
        Zip safety caps.

    Returns
    -------
    Assessment
        Rows in the order of the files' relative paths.

    Raises
    ------
    InputError
        When ``path`` does not exist.
    """
    root = Path(path)
    if root.is_file():
        return read_workbook(root, template=template, limits=limits)
    if not root.is_dir():
        raise InputError(f"no such folder: {root}")
    tmpl = load_template(template)
    found, skipped, folder_problems = list_files(root, recursive=recursive)
    results = _read_all(found, tmpl, limits, workers, progress)
    everything = sorted(results + skipped, key=lambda r: r.file)
    return build(everything, source=str(root), extra_problems=folder_problems)


# ---------------------------------------------------------------- folders
def list_files(root: Path, *, recursive: bool = True) -> tuple[list[tuple[str, str]], list[FileResult],
                                                               list[Problem]]:
    """Workbooks to read under ``root``, files skipped, and folder problems.

    Returns ``(path, relative name)`` pairs sorted by relative name; skipped
    files (lock files, system clutter, other kinds of files) as ``skipped``
    results, with a ``file-skipped`` warning for files that are not clutter.
    """
    found: list[tuple[str, str]] = []
    skipped: list[FileResult] = []
    problems: list[Problem] = []
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            st = folder.stat()
            key = (st.st_dev, st.st_ino)
            if key in seen:
                problems.append(Problem(_relative(folder, root), "", "", "warning", "folder-loop",
                                        f"folder {_relative(folder, root)!r} leads back to a folder already read; "
                                        "it was not followed"))
                continue
            seen.add(key)
            entries = list(os.scandir(folder))
        except OSError as exc:
            problems.append(Problem(_relative(folder, root), "", "", "warning", "folder-unreadable",
                                    f"folder {_relative(folder, root)!r} could not be listed: {exc.strerror or exc}"))
            continue
        for entry in entries:
            full = Path(entry.path)
            try:
                is_dir = entry.is_dir()
                is_file = entry.is_file()
            except OSError:
                continue
            if is_dir:
                if recursive:
                    stack.append(full)
                continue
            if not is_file:
                continue
            rel = _relative(full, root)
            shown = display_name(rel)
            name = entry.name
            lower = name.lower()
            if name.startswith("~$") or name.startswith(".") or lower in _SYSTEM_FILES:
                skipped.append(FileResult(file=shown, kind=file_kind(name), status="skipped", bytes=_size(entry)))
                continue
            if file_kind(name) and "." + file_kind(name) in WORKBOOK_SUFFIXES:
                found.append((str(full), rel))
                continue
            skipped.append(FileResult(
                file=shown, kind=file_kind(name), status="skipped", bytes=_size(entry),
                problems=[Problem(shown, "", "", "warning", "file-skipped",
                                  f"{shown!r} is not an Excel workbook and was skipped")]))
    found.sort(key=lambda pair: pair[1])
    return found, skipped, problems


def _read_all(found: list[tuple[str, str]], template: Template, limits: Limits | None, workers: int | None,
              progress: Progress | None) -> list[FileResult]:
    n = len(found)
    if workers is None:
        workers = 1 if n < _POOL_MIN_FILES else max(1, min(os.cpu_count() or 1, 8))
    if workers <= 1 or n < 2:
        results: Iterable[FileResult] = (read_file(p, rel, template, limits) for p, rel in found)
        return list(_progress(results, n, progress))
    chunk = max(1, min(32, n // (workers * 4)))
    try:
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                 initargs=(template, limits)) as pool:
            return list(_progress(pool.map(_work, found, chunksize=chunk), n, progress))
    except (OSError, RuntimeError, ImportError):  # no processes on this system: read here
        results = (read_file(p, rel, template, limits) for p, rel in found)
        return list(_progress(results, n, progress))


def _progress(items: Iterable[FileResult], total: int, progress: Progress | None) -> Iterator[FileResult]:
    if progress is None:
        return iter(items)
    return iter(progress(items, total=total))


_WORKER: dict[str, Any] = {}


def _init_worker(template: Template, limits: Limits | None) -> None:
    _WORKER["template"], _WORKER["limits"] = template, limits


def _work(item: tuple[str, str]) -> FileResult:
    return read_file(item[0], item[1], _WORKER["template"], _WORKER["limits"])


def _relative(path: Path, root: Path) -> str:
    try:
        rel = os.path.relpath(path, root)
    except ValueError:
        rel = str(path)
    return "" if rel == "." else Path(rel).as_posix()


def _size(entry: os.DirEntry[str]) -> int:
    try:
        return entry.stat().st_size
    except OSError:
        return 0
