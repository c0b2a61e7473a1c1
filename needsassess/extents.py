"""What a sheet's XML tells before (or instead of) loading it: the cells it claims, and the
cells calamine reads as empty although they hold something (formulas without a saved value,
error values, in .xlsx and .ods workbooks).

calamine lays a sheet out as one dense block from its first to its last
cell holding a value, so a few bytes naming cell XFD1048576 claim seventeen
billion cells and stop the process.  These functions read the addresses in
the sheet's XML (or the repeat counts of an OpenDocument table) so that
:mod:`needsassess.container` can refuse such a tab first.
"""

from __future__ import annotations

import html
import re
from typing import Iterator

# Sheet extent.  Only a sheet with a cell or row address of two letters or
# four digits, a cell or row tag whose first attribute is not its address
# (its place then counts on from the one before), or prefixed tags is
# scanned tag by tag; otherwise every address is within Z999.  Four
# searches that each start with a literal: a fraction of a millisecond.
_FAR_ADDRESS = re.compile(rb' r="(?:[A-Za-z]{2}|[A-Za-z]?[0-9]{4})')
_IMPLIED = (re.compile(rb'<c(?! r=")[\s/>]'), re.compile(rb'<row(?! r=")[\s/>]'),
            re.compile(rb":(?:c|row)[\s/>]"))
_FAST_EXTENT = (999, 26)
_CELL_OR_ROW = re.compile(rb"<(?:[\w.-]+:)?(c|row)(?=[\s/>])([^>]*)>")
_ADDRESS = re.compile(rb"\sr\s*=\s*[\"']\s*([A-Za-z]*)([0-9]*)")
_ODS_TAG = re.compile(rb"<(/?)table:(table|table-row|table-cell|covered-table-cell)(?=[\s/>])([^>]*)>")
_ODS_NAME = re.compile(rb"table:name\s*=\s*\"([^\"]*)\"")
_ODS_REPEAT = re.compile(rb"table:number-(?:rows|columns)-repeated\s*=\s*\"\s*([0-9]+)")
# LibreOffice marks a cell whose formula gives an error value so, and shows the value as the cell's text.
_ODS_ERROR = re.compile(rb"\bcalcext:value-type\s*=\s*\"error\"")
_TAG = re.compile(rb"<[^>]*>")
# A comment on a cell sits inside it, before its text.
_ANNOTATION = re.compile(rb"<office:annotation\b.*?</office:annotation>", re.S)
#: Most error cells an OpenDocument workbook reports, all tables together (repeat counts can claim millions).
ODS_ERRORS_MAX = 10_000
# A formula cell whose cached value is missing or empty (group 2: its empty value tag, if any).  An empty
# value of a text formula (t="str") is a saved value: the formula's result is "" (IF(A1="","",A1)).
_UNCACHED = re.compile(
    rb"<(?:\w+:)?c\b([^>]*?)>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)\s*"
    rb"(<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>")
# The same, found from its formula tag, for sheets whose tags carry no namespace prefix (as Excel writes
# them): the search skips to each "<f" at C speed instead of trying every cell (group 1: the empty value).
_UNCACHED_FORMULA = re.compile(rb"<f\b[^>]*?(?:/>|>[^<]*</f>)\s*(<v\s*/>|<v>\s*</v>)?\s*</c>")
_TEXT_TYPE = re.compile(rb"\bt\s*=\s*[\"']str[\"']")
_CELL_HEAD = re.compile(rb"<c\b([^>]*?)>\s*")
_REF = re.compile(rb"\br=\"([A-Z]{1,3})([0-9]{1,7})\"")
# A cell holding an error value (#REF!, #DIV/0!), which calamine reads as an empty cell.
_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*?\bt="e"[^>]*?)(?<!/)>(.*?)</(?:\w+:)?c>', re.S)
_CELL_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def sheet_extent(xml: bytes, within: int = _FAST_EXTENT[0] * _FAST_EXTENT[1]) -> int:
    """Cells of a sheet part's used range (rows x columns from the first to the last value), or a bound.

    This is what calamine allocates when it loads the sheet.  When every
    cell and row tag carries its address first and no address lies past
    Z999, the sheet holds at most 999 x 26 = 25,974 cells; if that bound is
    ``within`` the caller's limit it is returned without a scan (the common
    case: four searches).  Otherwise every tag is scanned
    (:func:`sheet_extent_exact`).

    Examples
    --------
    >>> small = b'<row r="2"><c r="B2"><v>1</v></c><c r="D2"><v>2</v></c></row>'
    >>> sheet_extent(small), sheet_extent(small, within=100)
    (25974, 3)
    >>> sheet_extent(b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    17179869184
    """
    bound = _FAST_EXTENT[0] * _FAST_EXTENT[1]
    if bound <= within and _FAR_ADDRESS.search(xml) is None and not any(p.search(xml) for p in _IMPLIED):
        return bound
    return sheet_extent_exact(xml)


def sheet_extent_exact(xml: bytes) -> int:
    """Cells of a sheet part's used range, by a scan of every row and cell tag.

    A cell counts when it is not an empty element (``<c r="X9" s="1"/>``:
    formatting only); cells and rows without an address take the place
    after the one before, as in calamine.

    Examples
    --------
    >>> sheet_extent_exact(b'<row r="2"><c r="B2"><v>1</v></c><c r="D2"><v>2</v></c><c r="Z9" s="1"/></row>')
    3
    >>> sheet_extent_exact(b'<row><c/><c/><c><v>1</v></c></row><row/><row><c><v>2</v></c></row>')
    9
    """
    row = col = -1
    top = left = 1 << 62
    bottom = right = -1
    for match in _CELL_OR_ROW.finditer(xml):
        attrs = match.group(2)
        address = _ADDRESS.search(attrs) if b"r" in attrs else None
        if match.group(1) == b"row":
            row = int(address.group(2)) - 1 if address and address.group(2) else row + 1
            col = -1
            continue
        if address and address.group(1):
            col = _column_index(address.group(1).upper().decode())
            if address.group(2):
                row = int(address.group(2)) - 1
        else:
            col += 1
        if attrs.endswith(b"/"):
            continue  # an empty cell: calamine leaves it out of the range
        top, bottom = min(top, row), max(bottom, row)
        left, right = min(left, col), max(right, col)
    return 0 if bottom < 0 else (bottom - top + 1) * (right - left + 1)


def _repeat(attrs: bytes) -> int:
    """How many times an OpenDocument row or cell repeats (a count past a billion counts as a billion)."""
    found = _ODS_REPEAT.search(attrs)
    if not found:
        return 1
    digits = found.group(1)
    return max(int(digits), 1) if len(digits) <= 9 else 10**9


def _ods_cells(xml: bytes) -> Iterator[tuple[str, int, int, int, int, re.Match[bytes]]]:
    """Each cell tag of an OpenDocument ``content.xml`` where calamine places it: (table name, row and
    column from 0, rows and columns it repeats over, its tag's match: group 3 holds its attributes).

    Covered cells (under a merged area) take their place like any other;
    rows without cells still count theirs.
    """
    name = ""
    row = col = 0
    rows_repeat = 1
    for match in _ODS_TAG.finditer(xml):
        closing, tag, attrs = match.groups()
        if tag == b"table":
            if not closing:
                found = _ODS_NAME.search(attrs)
                name = html.unescape(found.group(1).decode("utf-8", "replace")) if found else ""
                row = 0
            continue
        times = _repeat(attrs)
        if tag == b"table-row":
            if closing:
                row += rows_repeat
            else:
                rows_repeat, col = times, 0
                if attrs.endswith(b"/"):
                    row += times
            continue
        if not closing:
            yield name, row, col, rows_repeat, times, match
            col += times


def ods_extents(xml: bytes) -> dict[str, int]:
    """Cells of each table's used range in an OpenDocument ``content.xml``, by table name (tables
    with cell tags).

    Repeated rows and cells (``number-rows-repeated``) count as many times
    as they repeat, when they hold a value: a few bytes can claim a million
    rows.  Empty repeated cells (how LibreOffice pads every sheet) do not.

    Examples
    --------
    >>> ods_extents(b'<table:table table:name="S"><table:table-row table:number-rows-repeated="1000">'
    ...             b'<table:table-cell/><table:table-cell office:value-type="float"/></table:table-row>'
    ...             b'<table:table-row><table:table-cell table:number-columns-repeated="99"/></table:table-row>'
    ...             b'</table:table>')
    {'S': 1000}
    """
    boxes: dict[str, list[int]] = {}  # top, bottom, left, right
    for name, row, col, rows, cols, match in _ods_cells(xml):
        box = boxes.setdefault(name, [1 << 62, -1, 1 << 62, -1])
        attrs = match.group(3)
        if not attrs.endswith(b"/") or b"value-type" in attrs:
            box[0], box[1] = min(box[0], row), max(box[1], row + rows - 1)
            box[2], box[3] = min(box[2], col), max(box[3], col + cols - 1)
    return {name: 0 if bottom < 0 else (bottom - top + 1) * (right - left + 1)
            for name, (top, bottom, left, right) in boxes.items()}


def ods_error_cells(xml: bytes) -> dict[str, dict[tuple[int, int], str]]:
    """Cells (row, column from 0) holding an error value such as ``#REF!``, by table name, in an
    OpenDocument ``content.xml``.

    calamine reads them as empty cells.  Repeated cells and rows count as
    often as they repeat, up to :data:`ODS_ERRORS_MAX` cells in all.  The
    value is the cell's text, a comment on the cell left out (LibreOffice
    shows its own codes, such as ``Err:502``, as they are).

    Examples
    --------
    >>> ods_error_cells(b'<table:table table:name="S"><table:table-row><table:table-cell/>'
    ...                 b'<table:table-cell calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>'
    ...                 b'</table:table-row></table:table>')
    {'S': {(0, 1): '#DIV/0!'}}
    """
    out: dict[str, dict[tuple[int, int], str]] = {}
    if b"error" not in xml or _ODS_ERROR.search(xml) is None:
        return out
    total = 0
    for name, row, col, rows, cols, match in _ods_cells(xml):
        attrs = match.group(3)
        if attrs.endswith(b"/") or _ODS_ERROR.search(attrs) is None:
            continue
        end = xml.find(b"</table:table-cell>", match.end())  # the cell's end: its text is all within
        inner = _ANNOTATION.sub(b"", xml[match.end():max(end, match.end())])
        value = html.unescape(_TAG.sub(b"", inner).decode("utf-8", "replace")).strip() or "#VALUE!"
        found = out.setdefault(name, {})
        for r in range(row, row + rows):
            if total >= ODS_ERRORS_MAX:
                break
            for c in range(col, col + min(cols, ODS_ERRORS_MAX - total)):
                found[(r, c)] = value
                total += 1
    return out


def uncached_formula_cells(xml: bytes) -> frozenset[tuple[int, int]]:
    """Cells (row, column from 0) of a sheet part holding a formula with no saved value.

    Examples
    --------
    >>> sorted(uncached_formula_cells(b'<c r="B2"><f>A1*2</f></c><c r="C2"><f>A1</f><v>3</v></c>'))
    [(1, 1)]
    >>> sorted(uncached_formula_cells(b'<c r="B3" t="str"><f>IF(A1="","",A1)</f><v></v></c>'))  # result ""
    []
    """
    if b"<f" not in xml and b":f" not in xml:  # no formula tag, prefixed or not: a glance, no scan
        return frozenset()
    if b":f" in xml or b":c" in xml:  # prefixed tags (or text that looks like them): try every cell
        return frozenset(cell for m in _UNCACHED.finditer(xml) if _no_value(m.group(1), m.group(2))
                         and (cell := _cell_of(m.group(1))) is not None)
    cells = set()
    for match in _UNCACHED_FORMULA.finditer(xml):
        at = match.start()
        head = _CELL_HEAD.fullmatch(xml, xml.rfind(b"<c", 0, at), at)  # the formula opens its cell
        if (head is not None and _no_value(head.group(1), match.group(1))
                and (cell := _cell_of(head.group(1))) is not None):
            cells.add(cell)
    return frozenset(cells)


def _no_value(attributes: bytes, empty_value: bytes | None) -> bool:
    """Whether a formula cell with these attributes and this empty value tag (or none) has no saved value."""
    return empty_value is None or _TEXT_TYPE.search(attributes) is None


def error_value_cells(xml: bytes) -> dict[tuple[int, int], str]:
    """Cells (row, column from 0) of a sheet part holding an error value such as ``#REF!``, with that value.

    Examples
    --------
    >>> error_value_cells(b'<c r="A1" t="e"><v>#REF!</v></c><c r="B1"><v>2</v></c>')
    {(0, 0): '#REF!'}
    """
    found: dict[tuple[int, int], str] = {}
    for match in _ERROR_CELL.finditer(xml) if b't="e"' in xml else ():
        cell = _cell_of(match.group(1))
        if cell is not None:
            value = _CELL_VALUE.search(match.group(2))
            found[cell] = (value.group(1).decode("utf-8", "replace").strip() if value else "") or "#VALUE!"
    return found


def _cell_of(attributes: bytes) -> tuple[int, int] | None:
    """(row, column from 0) of a cell tag's ``r`` attribute, if it has one."""
    ref = _REF.search(attributes)
    return (int(ref.group(2)) - 1, _column_index(ref.group(1).decode())) if ref else None
