"""Write the statewide summary workbook (xlsxwriter).

This module owns the edges: where the file goes (a temporary file beside
the target, moved into place only when complete; never over an input
workbook; a clear error when the target is open or the folder cannot be
written) and how a value becomes a cell.  Text is always written as text:
the workbook is opened with ``strings_to_formulas``, ``strings_to_urls`` and
``strings_to_numbers`` off, every string is stored as a string cell, and
one that Excel would read as a formula when edited (leading ``=``, ``+``,
``-``, ``@``, tab or carriage return) carries a quote prefix.  The sheets
themselves are drawn by :mod:`needsassess.write_sheets`, on worksheets of
:mod:`needsassess.write_xlsx` that store and write cells in bulk.

``constant_memory`` mode is not used: it forbids Excel tables (``add_table``)
and writing rows out of order, and the summary needs both (every table has
filters; LEA profiles are laid out before the links that point at them).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .figures import Layout, is_blank, load_layout
from .problems import OutputError

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook

    from .write_xlsx import FastWorksheet as Worksheet

#: Leading characters that make Excel treat typed text as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: Excel's limits: characters in a cell, hyperlinks on a sheet.
MAX_CELL_CHARS = 32_767
MAX_LINKS = 65_530
#: Characters of 10-point text per unit of column width, for row heights.
CHARS_PER_WIDTH = 1.2

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

_NUMERIC_KINDS = {"int", "number", "score", "money", "share", "share_100", "money_left", "int_left", "general_left"}


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
    from .write_xlsx import FastWorkbook

    workbook = FastWorkbook(str(path), WORKBOOK_OPTIONS)
    workbook.set_properties({"title": layout["meta"]["title"], "comments": SUMMARY_MARK})
    try:
        write_sheets.draw(workbook, Cells(workbook, layout), summary, layout)
    finally:
        try:
            workbook.close()
        except FileCreateError as exc:  # only reached when drawing succeeded
            raise OutputError(f"cannot write {path}: {exc}") from exc


# ---------------------------------------------------------------- cells
class Cells:
    """Writes values into cells safely, with one Format object per look.

    Parameters
    ----------
    workbook : xlsxwriter.Workbook
    layout : mapping
        The summary layout (formats, flags, limits).
    """

    def __init__(self, workbook: Workbook, layout: Layout) -> None:
        self.workbook = workbook
        self.layout = layout
        self._formats: dict[tuple[str, bool, bool], Format] = {}
        self._text_formats: dict[str, tuple[Format, Format]] = {}  # kind -> (plain, quoted)
        self._links: dict[str, int] = {}
        flags = layout.get("flags", {})
        self.yes, self.no = flags.get("yes", "yes"), flags.get("no", "no")
        limits = layout.get("limits", {})
        self.cut_marker = limits.get("cut_marker", " [... cut: {n:,} more characters]")
        self.cut_note = limits.get("cut_note", "This text was cut at Excel's cell limit ({where}).")
        self.cut_cells: list[tuple[str, int, int]] = []
        # Wrapped text needs its row height set: LibreOffice does not fit rows
        # when it opens a file, and Excel only sometimes.  Widths per sheet and
        # column, and the most lines any wrapped cell of a row needs.
        self._widths: dict[str, dict[int, float]] = {}
        self._lines: dict[str, dict[int, int]] = {}
        self.wrapping = {k for k, v in layout["formats"].items() if isinstance(v, Mapping) and v.get("text_wrap")}

    def fmt(self, kind: str, *, quote: bool = False, link: bool = False) -> Format:
        """The Format of a kind (see ``[formats]``), made once and reused."""
        key = (kind, quote, link)
        found = self._formats.get(key)
        if found is None:
            formats = self.layout["formats"]
            # A kind's own colours win over the link's (a link on a dark title bar).
            props = {**formats.get("base", {}), **(formats.get("link", {}) if link else {}),
                     **formats.get(kind, {})}
            if quote:
                props["quote_prefix"] = True
            found = self._formats[key] = self.workbook.add_format(props)
        return found

    # -- widths and heights ----------------------------------------------------
    def set_column(self, ws: Worksheet, col: int, width: float, kind: str = "text") -> None:
        """Set a column's width and default format, and remember the width for row heights."""
        ws.set_column(col, col, width, self.fmt(kind))
        self._widths.setdefault(ws.get_name(), {})[col] = width

    def fit_rows(self, ws: Worksheet, *, skip: Iterable[int] = (), line_height: float = 13.0) -> None:
        """Give every row holding wrapped text the height its longest text needs."""
        skipped = set(skip)
        ws.set_heights({row: min(409.0, lines * line_height + 2)
                        for row, lines in self._lines.pop(ws.name, {}).items() if lines > 1 and row not in skipped})

    def line_counts(self, ws: Worksheet) -> dict[int, int]:
        """The lines the wrapped text of each row of ``ws`` needs so far (row -> lines), to update."""
        return self._lines.setdefault(ws.name, {})

    def note_lines(self, ws: Worksheet, row: int, col: int, s: str) -> None:
        """Remember how many lines wrapped text ``s`` takes in its column (see :meth:`fit_rows`)."""
        name = ws.name
        width = self._widths.get(name, {}).get(col)
        if not width:
            return
        lines = count_lines(s, max(width * CHARS_PER_WIDTH, 1.0))
        seen = self._lines.setdefault(name, {})
        if lines > seen.get(row, 1):
            seen[row] = lines

    # -- text ----------------------------------------------------------------
    def text(self, ws: Worksheet, row: int, col: int, value: object, kind: str = "text",
             *, where: str = "") -> None:
        """Write ``value`` as text, whatever it looks like."""
        s = value if value.__class__ is str and value.isascii() else clean_text(value)  # type: ignore[assignment]
        if len(s) > MAX_CELL_CHARS // 2 and _utf16_len(s) > MAX_CELL_CHARS:
            s = self._cut(ws, row, col, s, where)
        pair = self._text_formats.get(kind)
        if pair is None:
            pair = self._text_formats[kind] = (self.fmt(kind), self.fmt(kind, quote=True))
        ws.put_string(row, col, s, pair[1] if s.startswith(FORMULA_TRIGGERS) else pair[0])
        if kind in self.wrapping:
            self.note_lines(ws, row, col, s)

    def _cut(self, ws: Worksheet, row: int, col: int, s: str, where: str) -> str:
        keep = MAX_CELL_CHARS - len(self.cut_marker.format(n=10 ** 9))
        head = _utf16_truncate(s, keep)
        ws.write_comment(row, col, self.cut_note.format(where=where or "at the place this row names"),
                         {"x_scale": 2, "y_scale": 1.5})
        self.cut_cells.append((ws.get_name(), row, col))
        return head + self.cut_marker.format(n=len(s) - len(head))

    def link(self, ws: Worksheet, row: int, col: int, text: object, anchor: str | None,
             kind: str = "text") -> None:
        """Write ``text`` linked to a place in this workbook (``'Sheet'!A1``).

        The link is ours; the text stays text.  Past Excel's per-sheet limit
        of links the text is written without a link.
        """
        s = clean_text(text)
        name = ws.get_name()
        if anchor is None or self._links.get(name, 0) >= MAX_LINKS:
            self.text(ws, row, col, s, kind)
            return
        self._links[name] = self._links.get(name, 0) + 1
        if len(s) > MAX_CELL_CHARS // 2 and _utf16_len(s) > MAX_CELL_CHARS:
            s = _utf16_truncate(s, MAX_CELL_CHARS)
        if not ws.put_link(row, col, s, anchor, self.fmt(kind, quote=s.startswith(FORMULA_TRIGGERS), link=True)):
            self.text(ws, row, col, s, kind)

    def links(self, ws: Worksheet, col: int, rows: Sequence[int], texts: Sequence[object],
              anchors: Sequence[str | None], kind: str = "text") -> None:
        """:meth:`link` for many cells of one column (the short path for plain texts)."""
        name = ws.get_name()
        plain, quoted = self.fmt(kind, link=True), self.fmt(kind, quote=True, link=True)
        triggers = FORMULA_TRIGGERS
        for r, t, a in zip(rows, texts, anchors):
            used = self._links.get(name, 0)
            if a is None or used >= MAX_LINKS or t.__class__ is not str or len(t) > 8000 or not t.isascii():
                self.link(ws, r, col, t, a, kind)
            elif ws.put_link(r, col, t, a, quoted if t.startswith(triggers) else plain):
                self._links[name] = used + 1
            else:
                self.text(ws, r, col, t, kind)

    # -- any value -----------------------------------------------------------
    def value(self, ws: Worksheet, row: int, col: int, value: object, kind: str = "text",
              *, where: str = "") -> None:
        """Write ``value`` by its type: numbers as numbers, dates as dates, the rest as text."""
        if value is None or value is pd.NA or value is pd.NaT:
            return
        t = type(value)
        if t is str:
            if value:
                self.text(ws, row, col, value, "text" if kind in _NUMERIC_KINDS or kind == "date" else kind,
                          where=where)
        elif t is bool or t is np.bool_:
            if value or kind != "mark":
                self.text(ws, row, col, self.yes if value else self.no, "mark" if kind == "mark" else "flag")
        elif t is float or t is int or isinstance(value, (int, float, np.number)):
            number = float(value)
            if math.isnan(number) or math.isinf(number):
                return
            if kind in _NUMERIC_KINDS:
                ws.put_number(row, col, number, self.fmt(kind))
            elif kind == "id" or kind == "text" and number.is_integer():
                self.text(ws, row, col, str(int(number)) if number.is_integer() else repr(number), "id")
            else:
                ws.put_number(row, col, number, self.fmt("number" if not number.is_integer() else "int"))
        elif isinstance(value, (dt.datetime, dt.date)):
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                value = value.replace(tzinfo=None)
            ws.write_datetime(row, col, value, self.fmt(kind if kind in ("date", "datetime") else "date"))
        elif isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Series)):
            parts = [clean_text(v) for v in value if not is_blank(v)]
            if parts:
                self.text(ws, row, col, "; ".join(parts), kind if kind not in _NUMERIC_KINDS else "wrap")
        else:
            if not is_blank(value):
                self.text(ws, row, col, value, kind if kind not in _NUMERIC_KINDS else "text", where=where)


def count_lines(s: str, per_line: float) -> int:
    """Lines text ``s`` takes when wrapped at ``per_line`` characters."""
    if "\n" in s:
        return sum(1 + int(len(part) / per_line) for part in s.split("\n"))
    return 1 + int(len(s) / per_line)


def clean_text(value: object) -> str:
    """``value`` as a string that can be stored in a workbook.

    Lists read as "a; b", mappings as "key: value; ...".  Characters XML
    cannot carry (lone surrogates from undecodable file names, U+FFFE and
    U+FFFF) become U+FFFD.
    """
    if isinstance(value, str):
        s = value
    elif isinstance(value, Mapping):
        s = "; ".join(f"{k}: {clean_text(v)}" for k, v in value.items())
    elif isinstance(value, (list, tuple, set, frozenset)):
        s = "; ".join(clean_text(v) for v in value if not is_blank(v))
    else:
        s = str(value)
    if s.isascii():
        return s
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        s = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in s)
    if "\ufffe" in s or "\uffff" in s:
        s = s.replace("\ufffe", "\ufffd").replace("\uffff", "\ufffd")
    return s


def _utf16_len(s: str) -> int:
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


def _utf16_truncate(s: str, limit: int) -> str:
    if _utf16_len(s) <= limit:
        return s
    n = 0
    for i, ch in enumerate(s):
        n += 2 if ord(ch) > 0xFFFF else 1
        if n > limit:
            return s[:i]
    return s


def quote_sheet(name: str) -> str:
    """A sheet name as a formula or link reference needs it: ``'LEA profiles'``."""
    return "'" + name.replace("'", "''") + "'"


def anchor(sheet: str, row: int, col: int = 0) -> str:
    """The internal link target of a zero-based cell: ``'LEA profiles'!A12``."""
    from xlsxwriter.utility import xl_rowcol_to_cell

    return f"{quote_sheet(sheet)}!{xl_rowcol_to_cell(row, col)}"

