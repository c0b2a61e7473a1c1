"""Sheets as plain data, and how they become an .xlsx (or .xlsm) package.

The layout code (:mod:`needsassess.replica`) fills :class:`Sheet` objects;
:func:`emit` writes them with XlsxWriter, which stores a formula together
with the value it was given as its cached result (what Excel itself does).
:func:`finish_package` then removes those cached values, or marks the
package macro-enabled, when a messy variant asks for it.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Mapping, Sequence

import xlsxwriter
from xlsxwriter.color import Color
from xlsxwriter.utility import xl_rowcol_to_cell

#: A tab colour: "RRGGBB", or (theme index, shade) as in Excel's palette.
TabColour = str | tuple[int, int] | None


def a1(row: int, col: int, *, absolute: bool = False) -> str:
    """A1 address of a 0-based (row, col)."""
    return xl_rowcol_to_cell(row, col, row_abs=absolute, col_abs=absolute)


def sheet_ref(name: str) -> str:
    """``'Sheet name'`` quoted as a formula reference needs it."""
    return "'" + name.replace("'", "''") + "'"


@dataclass
class Sheet:
    """One worksheet as data: cells, merged areas, sizes, validations.

    Cells are kept as ``(kind, value, format, cached)`` with kind one of
    ``"s"`` text, ``"n"`` number, ``"d"`` date, ``"f"`` formula (``value``
    is the formula, ``cached`` its result) and ``"b"`` formatted blank.
    """

    name: str
    role: str
    area: str | None = None
    colour: TabColour = None
    hidden: bool = False
    cells: dict[tuple[int, int], tuple[str, object, str, object]] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int, str]] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    validations: list[tuple[int, int, int, int, str]] = field(default_factory=list)

    def text(self, row: int, col: int, value: str, fmt: str = "") -> None:
        self.cells[row, col] = ("s", value, fmt, None)

    def number(self, row: int, col: int, value: float, fmt: str = "") -> None:
        self.cells[row, col] = ("n", value, fmt, None)

    def date(self, row: int, col: int, value: date, fmt: str = "date") -> None:
        self.cells[row, col] = ("d", value, fmt, None)

    def formula(self, row: int, col: int, formula: str, cached: object, fmt: str = "") -> None:
        self.cells[row, col] = ("f", formula, fmt, cached)

    def blank(self, row: int, col: int, fmt: str) -> None:
        self.cells.setdefault((row, col), ("b", None, fmt, None))

    def put(self, row: int, col: int, value: object, fmt: str = "") -> None:
        """Write a text, number or date; None leaves a formatted blank."""
        if value is None or value == "":
            self.blank(row, col, fmt)
        elif isinstance(value, str):
            self.text(row, col, value, fmt)
        elif isinstance(value, (date, datetime)):
            self.date(row, col, value, fmt or "date")
        else:
            self.number(row, col, float(value), fmt)

    def merge(self, row1: int, col1: int, row2: int, col2: int, fmt: str) -> None:
        """Merge a range; its content is the top-left cell's."""
        if (row1, col1) != (row2, col2):
            self.merges.append((row1, col1, row2, col2, fmt))

    def value(self, row: int, col: int) -> object:
        """What Excel sees in a cell: its value, a formula's cached result, or None."""
        cell = self.cells.get((row, col))
        if cell is None or cell[0] == "b":
            return None
        return cell[3] if cell[0] == "f" else cell[1]

    def fit_row(self, row: int, *, widths: Mapping[int, float] | None = None) -> None:
        """Make ``row`` tall enough for its wrapped text (Excel does not do it for merged or
        programmatic cells); ``widths`` overrides column widths, e.g. for a merged value."""
        lines = 1
        for col in range(max(self.widths, default=0) + 1):
            kind, value, _, _ = self.cells.get((row, col), ("b", None, "", None))
            if kind == "s":
                width = (widths or {}).get(col) or self.widths.get(col, 8.43)
                chars = max(1.0, width * 1.1 - 2)
                lines = max(lines, sum(max(1, math.ceil(len(part) / chars)) for part in value.split("\n")))
        if lines > 1:
            self.heights[row] = max(self.heights.get(row, 15.0), min(409.0, 15.0 * lines))

    def validate(self, row1: int, col1: int, row2: int, col2: int, source: str) -> None:
        """A drop-down list fed by ``source`` (a range formula such as ``=Lists!$A$2:$A$4``)."""
        self.validations.append((row1, col1, row2, col2, source))


def emit(sheets: Sequence[Sheet], *, formats: Mapping[str, Mapping[str, object]],
         properties: Mapping[str, object]) -> bytes:
    """Write ``sheets`` in order to an .xlsx package and return its bytes.

    The first visible sheet is the active one; ``properties`` go to the
    document properties (a fixed ``created`` keeps the output reproducible).
    """
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                                   "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties(dict(properties))
    fmts = {name: wb.add_format(dict(spec)) for name, spec in formats.items()}
    first_visible = next((i for i, s in enumerate(sheets) if not s.hidden), 0)
    for index, sheet in enumerate(sheets):
        ws = wb.add_worksheet(sheet.name)
        _write_sheet(ws, sheet, fmts)
        if index == first_visible:
            ws.activate()
            ws.set_first_sheet()
        elif sheet.hidden:
            ws.hide()
    wb.close()
    return buf.getvalue()


def _write_sheet(ws, sheet: Sheet, fmts: Mapping[str, object]) -> None:
    if sheet.colour is not None:
        ws.set_tab_color(Color.theme(*sheet.colour) if isinstance(sheet.colour, tuple)
                         else Color("#" + sheet.colour))
    for col, width in sorted(sheet.widths.items()):
        ws.set_column(col, col, width)
    for row, height in sorted(sheet.heights.items()):
        ws.set_row(row, height)
    merged_fmt: dict[tuple[int, int], str] = {}
    for r1, c1, r2, c2, fmt in sheet.merges:
        ws.merge_range(r1, c1, r2, c2, "", fmts.get(fmt))
        merged_fmt[r1, c1] = fmt
    for (row, col), (kind, value, fmt, cached) in sorted(sheet.cells.items()):
        key = fmt or merged_fmt.get((row, col), "")
        style = fmts.get(key) if key else None
        if kind == "s":
            ws.write_string(row, col, value, style)
        elif kind == "n":
            ws.write_number(row, col, value, style)
        elif kind == "d":
            ws.write_datetime(row, col, datetime(value.year, value.month, value.day), style)
        elif kind == "f":
            ws.write_formula(row, col, value, style, _cached(cached))
        elif (row, col) not in merged_fmt:
            ws.write_blank(row, col, None, style)
    for r1, c1, r2, c2, source in sheet.validations:
        ws.data_validation(r1, c1, r2, c2, {"validate": "list", "source": source,
                                            "error_type": "warning", "ignore_blank": True})


def _cached(value: object) -> object:
    if value is None:
        return 0
    if isinstance(value, bool) or isinstance(value, str):
        return value
    number = float(value)
    return int(number) if number.is_integer() else number


# ---------------------------------------------------------------- package

_MAIN_XLSX = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_MAIN_XLSM = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
# A formula cell with its cached value, as XlsxWriter writes it.
_CACHED_CELL = re.compile(rb'(<c r="[A-Z]+[0-9]+"(?: s="[0-9]+")?)(?: t="[a-z]+")?>(<f>[^<]*</f>)<v>[^<]*</v></c>')


def finish_package(data: bytes, *, cached_values: bool = True, macro_enabled: bool = False) -> bytes:
    """Rewrite a package: drop formula cached values, mark it macro-enabled.

    Without cached values a formula cell holds only ``<f>``, as files saved
    by tools that do not calculate (a reader then sees no value).  A
    macro-enabled package differs from .xlsx by its main content type; it
    carries no VBA project, as when Excel saves an .xlsm without macros.
    Entry names, order, timestamps and compression are kept.
    """
    if cached_values and not macro_enabled:
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info)
            if not cached_values and info.filename.startswith("xl/worksheets/sheet"):
                body = _CACHED_CELL.sub(rb"\1>\2</c>", body)
            if macro_enabled and info.filename == "[Content_Types].xml":
                body = body.replace(_MAIN_XLSX, _MAIN_XLSM)
            zout.writestr(info, body)
    return out.getvalue()
