"""Error values of a legacy .xls workbook, found in its BIFF records.

calamine reads a cell holding an error value (``#REF!``, ``#DIV/0!``) as an
empty cell, in .xls files as in the others; for .xlsx the sheet XML tells
them apart (:mod:`needsassess.extents`), for .xls the records do.  A
workbook stream (BIFF5 to BIFF8: Excel 5 to 2003) is a run of records, each
a type, a length and a body: the globals list the tabs (``BOUNDSHEET``,
with the stream offset of each tab's records), and a tab's records hold its
cells.  An error value is a formula whose saved result is an error
(``FORMULA``) or a constant error (``BOOLERR``).

The compound file around the stream is opened with :mod:`olefile`.
Looked up only when a value is missing, like the XML look-ups; a stream
that cannot be read gives no error cells (the tab was read by calamine).
"""

from __future__ import annotations

import codecs
import io
import struct
from typing import Iterator

_BOF, _EOF, _BOUNDSHEET, _CODEPAGE, _FILEPASS = 0x0809, 0x000A, 0x0085, 0x0042, 0x002F
_FORMULA, _BOOLERR = 0x0006, 0x0205
_BIFF8, _BIFF5 = 0x0600, 0x0500
#: The workbook stream's name: BIFF8 (Excel 97-2003), then BIFF5 (Excel 5 and 95).
_STREAMS = ("Workbook", "Book")

#: Error values by their BIFF code.
ERROR_CODES = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?", 0x24: "#NUM!",
               0x2A: "#N/A", 0x2B: "#GETTING_DATA"}


def xls_error_cells(data: bytes) -> list[tuple[str, dict[tuple[int, int], str]]]:
    """Each tab's name and error cells (row, column from 0), in the order of the tabs, in the .xls file ``data``.

    Empty when the file has no workbook stream, or it cannot be read.
    """
    import olefile  # only a legacy workbook with a missing value needs it

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:  # a file object: short bytes would be a path
            name = next((s for s in _STREAMS if ole.exists(s)), None)
            if name is None:
                return []
            stream = ole.openstream(name).read()
    except Exception:  # olefile's own errors and the builtin ones a damaged directory raises
        return []
    return biff_error_cells(stream)


def biff_error_cells(stream: bytes) -> list[tuple[str, dict[tuple[int, int], str]]]:
    """Each tab's name and error cells (row, column from 0), in the order of the tabs, in a BIFF5-8 workbook stream.

    A tab's records end with the EOF closing its BOF, and at the latest
    where the next tab's begin: each record is looked at once at most.

    Examples
    --------
    >>> def record(kind, body):
    ...     return struct.pack("<HH", kind, len(body)) + body
    >>> sheet = (record(_BOF, struct.pack("<HH", _BIFF8, 0x10))
    ...          + record(_BOOLERR, struct.pack("<HHHBB", 2, 1, 15, 0x17, 1))   # B3: #REF!
    ...          + record(_BOOLERR, struct.pack("<HHHBB", 3, 1, 15, 1, 0))      # B4: TRUE
    ...          + record(_EOF, b""))
    >>> name = b"Data"
    >>> head = record(_BOF, struct.pack("<HH", _BIFF8, 0x05))
    >>> size = len(head) + 4 + 8 + len(name) + 4
    >>> globals_ = head + record(_BOUNDSHEET, struct.pack("<IBBBB", size, 0, 0, len(name), 0) + name) + record(_EOF, b"")
    >>> biff_error_cells(globals_ + sheet)
    [('Data', {(2, 1): '#REF!'})]
    """
    view = memoryview(stream)
    tabs: list[tuple[bytes, int]] = []
    biff8 = True
    codepage = "cp1252"
    for index, (kind, body) in enumerate(_records(view, 0, len(view))):
        if index == 0:
            if kind != _BOF or len(body) < 2:
                return []
            biff8 = struct.unpack_from("<H", body)[0] != _BIFF5  # as calamine: anything else is read as BIFF8
        elif kind == _FILEPASS:
            return []  # the records are encrypted
        elif kind == _CODEPAGE and len(body) >= 2:
            codepage = _codec(struct.unpack_from("<H", body)[0], codepage)
        elif kind == _BOUNDSHEET and len(body) >= 7:
            tabs.append((bytes(body), struct.unpack_from("<I", body)[0]))
        elif kind == _EOF:
            break
    starts = sorted({offset for _, offset in tabs})
    ends = dict(zip(starts, [*starts[1:], len(view)]))
    found: dict[int, dict[tuple[int, int], str]] = {}  # by offset: tabs listed twice are read once
    out = []
    for body, offset in tabs:
        if offset not in found:
            found[offset] = _tab_errors(view, offset, ends[offset])
        out.append((_tab_name(body, biff8, codepage), found[offset]))
    return out


def _tab_errors(view: memoryview, offset: int, end: int) -> dict[tuple[int, int], str]:
    """The error cells among one tab's records: from its BOF to the EOF closing it, before ``end``.

    Records of a chart embedded in the tab (its own BOF to EOF) are not
    cells of the tab: a chart keeps its data points in records of the same
    types.
    """
    found: dict[tuple[int, int], str] = {}
    depth = 0
    for kind, body in _records(view, offset, end):
        if kind == _BOF:
            depth += 1
        elif depth == 0:
            break  # no tab starts here
        elif kind == _EOF:
            depth -= 1
            if depth == 0:
                break
        elif depth > 1:
            continue
        elif kind == _FORMULA and len(body) >= 14 and body[6] == 2 and body[12:14] == b"\xff\xff":
            row, col = struct.unpack_from("<HH", body)
            found[(row, col)] = ERROR_CODES.get(body[8], "#VALUE!")
        elif kind == _BOOLERR and len(body) >= 8 and body[7] == 1:
            row, col = struct.unpack_from("<HH", body)
            found[(row, col)] = ERROR_CODES.get(body[6], "#VALUE!")
    return found


def _records(view: memoryview, start: int, end: int) -> Iterator[tuple[int, memoryview]]:
    """(type, body) of each whole record from ``start`` on, before ``end``."""
    at, end = start, min(end, len(view))
    while 0 <= at and at + 4 <= end:
        kind, size = struct.unpack_from("<HH", view, at)
        if at + 4 + size > end:
            return
        yield kind, view[at + 4:at + 4 + size]
        at += 4 + size


def _tab_name(body: bytes, biff8: bool, codepage: str) -> str:
    """The tab name a BOUNDSHEET record holds (NUL characters left out, as calamine does)."""
    if not biff8:  # BIFF5: offset, options (2 bytes), length, bytes in the workbook's code page
        size = body[6]
        name = body[7:7 + size].decode(codepage, "replace")
    else:
        size, flags = body[6], body[7] if len(body) > 7 else 0
        if flags & 1:  # UTF-16
            name = body[8:8 + 2 * size].decode("utf-16-le", "replace")
        else:  # one byte a character, in the workbook's code page
            name = body[8:8 + size].decode(codepage, "replace")
    return name.replace("\x00", "")


#: Windows code pages whose Python codec is not named cpNNNN.
_CODE_PAGES = {1200: "latin-1", 10000: "mac_roman", 10006: "mac_greek", 10007: "mac_cyrillic",
               10029: "mac_latin2", 10079: "mac_iceland", 10081: "mac_turkish", 32768: "mac_roman",
               32769: "cp1252", 367: "ascii"}


def _codec(number: int, fallback: str) -> str:
    """The Python codec of a Windows code page number (the fallback when Python has none)."""
    try:
        return codecs.lookup(_CODE_PAGES.get(number, f"cp{number}")).name
    except LookupError:
        return fallback
