"""Write the statewide summary workbook (xlsxwriter).

This module owns the edges: where the file goes (a temporary file beside
the target, moved into place only when complete; never over an input
workbook; a clear error when the target is open or the folder cannot be
written).  Text is always written as text: the workbook is opened with
``strings_to_formulas``, ``strings_to_urls`` and ``strings_to_numbers`` off,
and :mod:`needsassess.write_cells` stores every string as a string cell, with
a quote prefix when Excel would read it as a formula.  The sheets themselves
are drawn by :mod:`needsassess.write_sheets`, on worksheets of
:mod:`needsassess.write_xlsx` that store and write cells in bulk.

``constant_memory`` mode is not used: it forbids Excel tables (``add_table``)
and writing rows out of order, and the summary needs both (every table has
filters; LEA profiles are laid out before the links that point at them).
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Iterable, Mapping

from .figures import Layout, load_layout
from .memory import collector_paused
from .problems import OutputError
from .write_cells import Cells

WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,
    "remove_timezone": True,
    # The sheets' XML is assembled in memory, not in temporary files: a few
    # tens of MB for a large State, and no disk round trip before zipping.
    "in_memory": True,
}

#: Written into the document properties; marks a file as a summary of ours.
SUMMARY_MARK = "Made by needsassess"


def write_summary(summary: Any, path: str | Path, *, inputs: Iterable[str | Path] = (),
                  overwrite: bool = True, layout: str | Path | Mapping[str, Any] | None = None) -> Path:
    """Write the statewide summary workbook of ``summary`` to ``path``.

    Parameters
    ----------
    summary : Summary
        The result of :func:`needsassess.summarize` (anything with the same
        table attributes, ``tables``, ``source``, ``created``, ``settings``
        and ``template``).
    path : str or Path
        The ``.xlsx`` file to write.  Its folder is made when missing.
    inputs : iterable of paths
        The input workbooks; the summary refuses to replace any of them.
    overwrite : bool
        When False, an existing file at ``path`` is an error.
    layout : path or mapping, optional
        A summary layout in the form of ``data/summary.toml``.

    Returns
    -------
    Path
        ``path``, now holding the complete workbook.

    Raises
    ------
    OutputError
        When ``path`` is an input workbook, is open in another program,
        exists and ``overwrite`` is False, or its folder cannot be written.
    """
    target = Path(path)
    check_target(target, inputs=inputs, overwrite=overwrite)
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder {folder} for the summary: {exc.strerror or exc}") from exc
    if not os.access(folder, os.W_OK):
        raise OutputError(f"the folder {folder} is not writable; choose another place for the summary")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=".~" + target.stem + "-", suffix=".xlsx.part", dir=folder)
    except OSError as exc:
        raise OutputError(f"the folder {folder} is not writable: {exc.strerror or exc}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        build_workbook(summary, tmp, layout=load_layout(layout))
        os.chmod(tmp, file_mode(target))
        _replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def check_target(target: Path, *, inputs: Iterable[str | Path] = (), overwrite: bool = True) -> None:
    """Refuse a target the summary must not be written to (see :func:`write_summary`)."""
    if target.is_dir():
        raise OutputError(f"{target} is a folder; give a file name such as {target / 'statewide-summary.xlsx'}")
    stat = target.stat() if target.exists() else None
    # Only an existing file can be an input; an earlier summary of ours (read
    # back as an "input" when written into the input folder) may be replaced.
    if stat is not None and not _is_our_summary(target):
        resolved, name = target.resolve(), target.name.casefold()
        for item in inputs:
            other = Path(item)
            if _same_file(stat, other) or (other.name.casefold() == name and other.resolve() == resolved):
                raise OutputError(f"{target} is one of the input workbooks; refusing to overwrite it. "
                                  "Write the summary elsewhere (-o FILE).")
    if target.suffix.lower() != ".xlsx":
        raise OutputError(f"the summary must be an .xlsx file (Excel refuses to open it under "
                          f"another extension): {target}")
    if stat is not None and not overwrite:
        raise OutputError(f"{target} already exists; remove it or allow overwriting")
    lock = _lock_file(target)
    if lock is not None:
        raise OutputError(f"{target} is open in another program (lock file {lock.name}); "
                          "close it there and run again")


def _is_our_summary(path: Path) -> bool:
    """True when ``path`` is a summary workbook needsassess wrote (its document properties say so)."""
    try:
        with zipfile.ZipFile(path) as z:
            core = z.read("docProps/core.xml")[:4096]
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    return SUMMARY_MARK.encode() in core


def _same_file(stat: os.stat_result, other: Path) -> bool:
    try:
        o = other.stat()
    except OSError:
        return False
    return (o.st_dev, o.st_ino) == (stat.st_dev, stat.st_ino) and o.st_ino != 0


def _lock_file(target: Path) -> Path | None:
    """The lock file Excel or LibreOffice keeps beside an open workbook, if any."""
    name = target.name
    candidates = [f"~${name}", f".~lock.{name}#"]
    if len(name) > 2:
        candidates.append(f"~${name[2:]}")  # Office drops two characters of long names
    for candidate in candidates:
        lock = target.with_name(candidate)
        if lock.exists():
            return lock
    return None


def file_mode(target: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual ones."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)  # reading the umask means setting it; put it straight back
        os.umask(umask)
        return 0o666 & ~umask


def _replace(tmp: Path, target: Path) -> None:
    try:
        os.replace(tmp, target)
    except PermissionError as exc:
        raise OutputError(f"cannot replace {target}: it is open in another program or read-only "
                          f"({exc.strerror or exc}); close it and run again") from exc
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc


def build_workbook(summary: Any, path: Path, *, layout: Layout) -> None:
    """Draw every sheet of the summary into a new workbook at ``path``."""
    from xlsxwriter.exceptions import FileCreateError

    from . import write_sheets
    from .write_package import FastWorkbook

    workbook = FastWorkbook(str(path), WORKBOOK_OPTIONS)
    workbook.set_properties({"title": layout["meta"]["title"], "comments": SUMMARY_MARK})
    with collector_paused():
        try:
            write_sheets.draw(workbook, Cells(workbook, layout), summary, layout)
        except BaseException:
            # Abandoned, not closed: a half-drawn workbook (links to profiles not laid out yet) could only
            # fail to close and hide what stopped the drawing; write_summary removes its file.
            workbook.fileclosed = True
            raise
        try:
            workbook.close()
        except FileCreateError as exc:
            raise OutputError(f"cannot write {path}: {exc}") from exc


def quote_sheet(name: str) -> str:
    """A sheet name as a formula or link reference needs it: ``'LEA profiles'``."""
    return "'" + name.replace("'", "''") + "'"


def anchor(sheet: str, row: int, col: int = 0) -> str:
    """The internal link target of a zero-based cell: ``'LEA profiles'!A12``."""
    from xlsxwriter.utility import xl_rowcol_to_cell

    return f"{quote_sheet(sheet)}!{xl_rowcol_to_cell(row, col)}"

