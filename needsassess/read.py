"""Reading LEA workbooks: :func:`read_workbook` and :func:`read_folder`.

Per file (:mod:`.workbook`): open the container safely (:mod:`.container`),
give every tab a role (:mod:`.locate`), load only the tabs needed with
calamine, and run one extractor per role (``extract_*``).  Whatever cannot
be read becomes a problem record; the batch always goes on.  The per-file
step returns plain lists, so a folder can be read by a process pool; the
tables are made once at the end (:mod:`.result`).
"""

from __future__ import annotations

import gc
import os
import pickle
import stat
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from .cache import ReadCache, cache_dir
from .container import WORKBOOK_SUFFIXES, Limits
from .file_result import FileResult
from .memory import collector_paused
from .problems import InputError, Problem
from .template import Template, load_template
from .workbook import display_name, file_kind, read_file

if TYPE_CHECKING:
    from .result import Assessment

__all__ = ["Assessment", "read_workbook", "read_folder", "read_file", "Limits"]

#: Files ignored without a word: system clutter.
_SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})
#: Below this many files a folder is read in this process.
_POOL_MIN_FILES = 48

Progress = Callable[..., Iterable[Any]]


def __getattr__(name: str) -> Any:
    # Assessment lives with the table builder, which imports pandas: reading does not need it
    if name == "Assessment":
        return import_module(".result", __package__).Assessment
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # the reader meets the same error and reports it
    refused = _too_large(rel, size, limits or Limits())
    from .result import build

    return build([refused or read_file(str(path), rel, tmpl, limits)], source=str(path))


def read_folder(path: str | os.PathLike[str], *, recursive: bool = True,
                template: str | os.PathLike[str] | Template | None = None, workers: int | None = None,
                progress: Progress | None = None, limits: Limits | None = None,
                cache: bool | str | os.PathLike[str] | None = None,
                while_reading: Callable[[], object] | None = None) -> Assessment:
    """Read every workbook in a folder.

    Parameters
    ----------
    path : path-like
        The folder (a single workbook is read as a folder of one).
    recursive : bool
        Also read sub-folders (folder links are followed once; loops are reported).
        Lock files (``~$name.xlsx``), hidden files and system clutter are
        skipped without a word; other files that are not workbooks are
        skipped with a ``file-skipped`` warning.
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
    cache : bool or path, optional
        Workbooks unchanged since an earlier run are taken from what it read
        (:mod:`needsassess.cache`): None follows ``NEEDSASSESS_CACHE`` and
        ``NEEDSASSESS_CACHE_DIR`` (on by default), False reads every file,
        a path keeps the cache there.
    while_reading : callable, optional
        Called once, with no arguments, in this process while the reader
        processes read (after reading when no process is started): a time
        to prepare what comes next.  What it raises stops the reading.

    Returns
    -------
    Assessment
        Rows in the order of the files' relative paths; ``cached`` says how
        many workbooks were taken from the cache.

    Raises
    ------
    InputError
        When ``path`` does not exist.
    """
    root = Path(path)
    if root.is_file():
        assessment = read_workbook(root, template=template, limits=limits)
        if while_reading is not None:
            while_reading()
        return assessment
    if not root.is_dir():
        raise InputError(f"no such folder: {root}")
    tmpl = load_template(template)
    found, skipped, folder_problems = list_files(root, recursive=recursive, limits=limits)
    home = cache_dir(cache)
    store = ReadCache(home, root, tmpl, limits) if home is not None and found else None
    kept, todo = store.split(found) if store is not None else ({}, list(range(len(found))))
    # the per-file results and the tables built of them form no reference cycles (reading 1,000 workbooks
    # leaves nothing for the collector), so it need not walk them again and again
    with collector_paused():
        fresh = _read_all([found[i] for i in todo], tmpl, limits, workers, progress, while_reading)
        if store is not None:
            store.store(found, ((i, result, blob) for i, (result, blob) in zip(todo, fresh)), kept)
        everything = sorted([*kept.values(), *(result for result, _ in fresh), *skipped], key=lambda r: r.file)
        from .result import build

        return build(everything, source=str(root), extra_problems=folder_problems, cached=len(kept))


# ---------------------------------------------------------------- folders
def list_files(root: Path, *, recursive: bool = True, limits: Limits | None = None
               ) -> tuple[list[tuple[str, str]], list[FileResult], list[Problem]]:
    """Workbooks to read under ``root``, files not read, and folder problems.

    Returns ``(path, relative name)`` pairs sorted by relative name; files
    not read as results of their own: lock files, hidden files and system
    clutter skipped silently; other files that are not workbooks skipped
    with a ``file-skipped`` warning; workbook-named entries that cannot be
    read at all failed with an error (``file-unreadable`` for a named pipe,
    a device or a link to nothing: opening them could block or never end;
    ``file-too-large`` past ``limits.file_bytes``).  The walk never loops:
    a folder reached twice (through a link) is reported and not followed.
    """
    limits = limits or Limits()
    found: list[tuple[str, str]] = []
    skipped: list[FileResult] = []
    problems: list[Problem] = []
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        where = display_name(_relative(folder, root))
        try:
            st = folder.stat()
            key = (st.st_dev, st.st_ino)
            if key in seen:
                problems.append(Problem(where, "", "", "warning", "folder-loop",
                                        f"folder {where!r} leads back to a folder already read; it was not followed"))
                continue
            seen.add(key)
            entries = list(os.scandir(folder))
        except OSError as exc:
            problems.append(Problem(where, "", "", "warning", "folder-unreadable",
                                    f"folder {where!r} could not be listed: {exc.strerror or exc}"))
            continue
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if recursive:
                    stack.append(Path(entry.path))
                continue
            result = _classify(entry, _relative(Path(entry.path), root), limits)
            if result is None:
                found.append((entry.path, _relative(Path(entry.path), root)))
            else:
                skipped.append(result)
    found.sort(key=lambda pair: pair[1])
    return found, skipped, problems


def _classify(entry: os.DirEntry[str], rel: str, limits: Limits) -> FileResult | None:
    """None for a workbook to read, else the result of a file that is not read."""
    shown = display_name(rel)
    name = entry.name
    kind = file_kind(name)
    if name.startswith("~$") or name.startswith(".") or name.lower() in _SYSTEM_FILES:
        return FileResult(file=shown, kind=kind, status="skipped", bytes=_size(entry))
    workbook = bool(kind) and "." + kind in WORKBOOK_SUFFIXES
    try:
        st = entry.stat()
    except OSError as exc:
        what = "a link to something that does not exist" if entry.is_symlink() else \
            f"not readable ({exc.strerror or exc})"
        return _not_read(shown, kind, workbook, f"{shown!r} is {what}")
    if not stat.S_ISREG(st.st_mode):
        return _not_read(shown, kind, workbook, f"{shown!r} is {_special(st.st_mode)}, not a file")
    if not workbook:
        return FileResult(file=shown, kind=kind, status="skipped", bytes=st.st_size,
                          problems=[Problem(shown, "", "", "warning", "file-skipped",
                                            f"{shown!r} is not an Excel workbook and was skipped")])
    return _too_large(rel, st.st_size, limits)


def _not_read(shown: str, kind: str, workbook: bool, what: str) -> FileResult:
    if workbook:
        return FileResult(file=shown, kind=kind, status="failed", problems=[
            Problem(shown, "", "", "error", "file-unreadable", f"{what}; it was not opened")])
    return FileResult(file=shown, kind=kind, status="skipped", problems=[
        Problem(shown, "", "", "warning", "file-skipped", f"{what}; it was skipped")])


def _too_large(rel: str, size: int, limits: Limits) -> FileResult | None:
    if size <= limits.file_bytes:
        return None
    shown = display_name(rel)
    return FileResult(file=shown, kind=file_kind(rel), status="failed", bytes=size, problems=[
        Problem(shown, "", "", "error", "file-too-large",
                f"{shown!r} is {size / 2**20:,.0f} MB, more than the {limits.file_bytes / 2**20:,.0f} MB "
                "allowed for a workbook; it was not opened")])


def _special(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special entry"


def _read_all(found: list[tuple[str, str]], template: Template, limits: Limits | None, workers: int | None,
              progress: Progress | None, while_reading: Callable[[], object] | None = None
              ) -> list[tuple[FileResult, bytes | None]]:
    """Each file's result, with its pickle when a reader process sent it (None when read here)."""
    n = len(found)
    if workers is None:
        workers = 1 if n < _POOL_MIN_FILES else max(1, min(os.cpu_count() or 1, 8))
    meanwhile = [while_reading] if while_reading is not None else []  # emptied when called
    pairs: Iterable[tuple[FileResult, bytes | None]]
    if workers <= 1 or n < 2:
        pairs = ((read_file(p, rel, template, limits), None) for p, rel in found)
    else:
        pairs = _pooled(found, template, limits, workers, meanwhile)
    blobs: list[bytes | None] = []

    def results() -> Iterator[FileResult]:
        for result, blob in pairs:
            blobs.append(blob)
            yield result

    read = list(_progress(results(), n, progress))
    while meanwhile:  # not called while reading: no reader process was started
        meanwhile.pop()()
    return list(zip(read, blobs))


def _pooled(found: list[tuple[str, str]], template: Template, limits: Limits | None,
            workers: int, meanwhile: list[Callable[[], object]] | None = None
            ) -> Iterator[tuple[FileResult, bytes | None]]:
    """Results in file order from a process pool, each with the pickle it came as.

    A file that stops its reader process outright (a crash in native code,
    memory exhausted) breaks the pool; the files not yet read are then read
    one by one, each in a process of its own lane, so that file alone fails.
    The function ``meanwhile`` holds, if any, is taken out and called while
    the processes read.
    """
    runs, start = [], 0
    for size in run_sizes(len(found), workers):
        runs.append(found[start:start + size])
        start += size
    done = 0
    try:
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                 initargs=(template, limits)) as pool:
            futures = [pool.submit(_work_run, run) for run in runs]  # the reader processes start here
            import_module(".result", __package__)  # the table builder's imports (pandas) load while they read
            stop = _call_all(meanwhile or [])
            if stop is not None:  # the caller's own failure, not the pool's: it ends the reading
                pool.shutdown(wait=False, cancel_futures=True)
            else:
                for future in futures:
                    for blob in future.result():
                        done += 1
                        yield pickle.loads(blob), blob
    except BrokenProcessPool:
        rest = _alone(found[done:], template, limits, workers)
    except (OSError, RuntimeError, ImportError):  # no processes on this system: read here
        rest = [read_file(p, rel, template, limits) for p, rel in found[done:]]
    else:
        if stop is not None:
            raise stop
        return
    yield from ((result, None) for result in rest)


def run_sizes(n: int, workers: int) -> list[int]:
    """How many files each run handed to a reader process holds, in order (they add up to ``n``).

    Runs of up to 32 files keep the cost of passing them small; the last
    files go in runs a quarter that size, so that no process is left
    reading a long run while the others have nothing more to do.

    Examples
    --------
    >>> sizes = run_sizes(1000, 2)
    >>> sum(sizes), sizes[:2], sizes[-2:]
    (1000, [32, 32], [8, 8])
    """
    size = max(1, min(32, n // (workers * 4)))
    small = max(1, size // 4)
    tail = min(n, workers * 3 * size)
    sizes = [size] * ((n - tail) // size)
    rest = n - sum(sizes)
    sizes += [small] * (rest // small) + ([rest % small] if rest % small else [])
    return sizes


def _call_all(functions: list[Callable[[], object]]) -> BaseException | None:
    """Take out and call each function; what the first to fail raised (the rest are then not called)."""
    try:
        while functions:
            functions.pop()()
    except BaseException as exc:  # handed back: raised by the caller where it is not taken for the pool's
        return exc
    return None


def _alone(found: list[tuple[str, str]], template: Template, limits: Limits | None,
           workers: int) -> list[FileResult]:
    """Read each file in a one-process pool; a file that breaks its pool fails with ``read-failed``."""
    results: dict[int, FileResult] = {}
    queue = list(range(len(found)))[::-1]
    lock = threading.Lock()

    def lane() -> None:
        pool: ProcessPoolExecutor | None = None
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    i = queue.pop()
                if pool is None:
                    pool = ProcessPoolExecutor(max_workers=1, initializer=_init_worker, initargs=(template, limits))
                try:
                    results[i] = pickle.loads(pool.submit(_work, found[i]).result())
                except BrokenProcessPool:
                    results[i] = _crashed(found[i][1])
                    pool.shutdown(wait=False)
                    pool = None
                except (OSError, RuntimeError):  # no process could be started: read it here
                    results[i] = read_file(*found[i], template, limits)
        finally:
            if pool is not None:
                pool.shutdown()

    lanes = [threading.Thread(target=lane, daemon=True) for _ in range(min(workers, len(found)))]
    for t in lanes:
        t.start()
    for t in lanes:
        t.join()
    return [results[i] for i in range(len(found))]


def _crashed(rel: str) -> FileResult:
    shown = display_name(rel)
    return FileResult(file=shown, kind=file_kind(rel), status="failed", problems=[
        Problem(shown, "", "", "error", "read-failed",
                f"the reader's process stopped while reading {shown!r} (it crashed or ran out of memory); "
                "please report this with the file")])


def _progress(items: Iterable[FileResult], total: int, progress: Progress | None) -> Iterator[FileResult]:
    if progress is None:
        return iter(items)
    return iter(progress(items, total=total))


_WORKER: dict[str, Any] = {}


def _init_worker(template: Template, limits: Limits | None) -> None:
    _WORKER["template"], _WORKER["limits"] = template, limits
    # What the worker inherited (pandas, numpy, the template) lives as long as it does: leave it out of
    # the collector's full passes, which otherwise walk it again and again (about 8 % of a worker's time)
    gc.freeze()


def _work_run(items: list[tuple[str, str]]) -> list[bytes]:
    return [_work(item) for item in items]


def _work(item: tuple[str, str]) -> bytes:
    # pickled here, not by the pool, so that the reading process gets the bytes to keep in the cache
    return pickle.dumps(read_file(item[0], item[1], _WORKER["template"], _WORKER["limits"]), pickle.HIGHEST_PROTOCOL)


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
