"""How a value becomes a cell of the summary workbook: one cell, or a whole column at once.

Text is always written as text: every string is stored as a shared-string
cell, and one that Excel would read as a formula when edited (leading ``=``,
``+``, ``-``, ``@``, tab or carriage return) carries a quote prefix.

A cell is made in two steps.  Its *entry* is what follows ``<c r="A1"`` in
the sheet's XML (style, type and value) with the lines its text takes when
wrapped; an entry depends on the value, the format kind and the column
width only, so :class:`Cells` makes it once per distinct value and reuses it
for every cell that shows the same value, on any sheet (LEA names, areas,
topics, ratings and flags repeat thousands of times).  Then the cell is
stored, already as XML, on a :class:`~needsassess.write_xlsx.FastWorksheet`.
The rules live in one place (:meth:`Cells._value` and :meth:`Cells._cell`),
whichever way a cell is written; what text a cell can hold is in
:mod:`needsassess.cell_text`, and a sheet laid out block by block gathers
its cells in a :class:`~needsassess.cell_batch.CellBatch`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, NamedTuple, Sequence

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from .cell_text import (CHARS_PER_WIDTH, FORMULA_TRIGGERS, MAX_CELL_CHARS, MAX_LINKS, clean_text, count_lines,
                        utf16_len, utf16_truncate)
from .figures import Layout, is_blank
from .write_xlsx import style_attribute

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.url import Url
    from xlsxwriter.workbook import Workbook

    from .write_xlsx import FastWorksheet as Worksheet
    from .write_xlsx import Place


#: Kinds whose numbers keep their kind's format when written by :meth:`Cells.value`.
NUMERIC_KINDS = frozenset({"int", "number", "score", "money", "share", "share_100", "money_left", "int_left",
                           "general_left"})
#: Kinds of table columns written as numbers (see :meth:`Cells.column`).
NUMBER_COLUMNS = frozenset({"int", "number", "score", "money", "share", "share_100", "date", "datetime"})

#: An entry: the XML after ``<c r="A1"``, 1 for a shared-string cell (0 for a number), and the lines it takes.
Entry = tuple[str, int, int]


class Cut(NamedTuple):
    """A text past Excel's cell limit: cut where it is stored, with a note on its cell."""

    text: str
    kind: str


#: Classes whose values are never equal to a value of another class.
_SINGLETONS = frozenset({str, type(None), type(pd.NA), type(pd.NaT)})
#: Classes of values an entry may be remembered for, by value.
_HASHABLE = _SINGLETONS | {float, int, bool, np.bool_, np.float64, np.int64, pd.Timestamp, dt.datetime, dt.date}
#: The entry of a value that leaves its cell empty.
_SKIP: Entry = ("", 0, 1)
_INFINITE = (math.inf, -math.inf)


class Cells:
    """Writes values into cells safely, with one Format object per look.

    Parameters
    ----------
    workbook : xlsxwriter.Workbook
        A :class:`~needsassess.write_xlsx.FastWorkbook`.
    layout : mapping
        The summary layout (formats, flags, limits).
    """

    def __init__(self, workbook: Workbook, layout: Layout) -> None:
        self.workbook = workbook
        self.layout = layout
        self._formats: dict[tuple[str, bool, bool], Format] = {}
        self._text_formats: dict[tuple[str, bool], str] = {}  # (kind, quoted) -> its style attribute
        self._styles: dict[int, str] = {}  # id(format) -> ' s="N"'
        self._entries: dict[tuple[str, str, float], dict[type, dict[Any, Any]]] = {}
        self._link_entries: dict[str, dict[tuple[str, str], tuple[str, Url]]] = {}
        self._multiline: set[tuple[str, str, float, type | None]] = set()  # caches holding wrapped texts
        self._names: list[str] = []  # row numbers as text, by row (see _row_names)
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

    def _per_line(self, sheet: str, col: int) -> float:
        """Characters a wrapped line of column ``col`` holds (0: the width is not known, no heights)."""
        width = self._widths.get(sheet, {}).get(col)
        return max(width * CHARS_PER_WIDTH, 1.0) if width else 0.0

    # -- single cells ------------------------------------------------------------
    def text(self, ws: Worksheet, row: int, col: int, value: object, kind: str = "text",
             *, where: str = "") -> None:
        """Write ``value`` as text, whatever it looks like."""
        self._store(ws, row, col, self._text(value, kind, self._per_line(ws.name, col)), where)

    def value(self, ws: Worksheet, row: int, col: int, value: object, kind: str = "text",
              *, where: str = "") -> None:
        """Write ``value`` by its type: numbers as numbers, dates as dates, the rest as text."""
        self._store(ws, row, col, self._value(ws, value, kind, self._per_line(ws.name, col)), where)

    def link(self, ws: Worksheet, row: int, col: int, text: object, anchor: str | Place | None,
             kind: str = "text") -> None:
        """Write ``text`` linked to a place in this workbook (``'Sheet'!A1``, or a :class:`Place` laid out later).

        The link is ours; the text stays text.  Past Excel's per-sheet limit
        of links the text is written without a link.
        """
        self.links(ws, col, [row], [text], [anchor], kind)

    # -- whole columns -------------------------------------------------------------
    def column(self, ws: Worksheet, col: int, first_row: int, values: Sequence[object],
               kind: str = "text") -> list[str]:
        """The cells of ``values`` down a column of a table, one a row from ``first_row``, not stored.

        Returns each row's cell XML ("" where the value is blank), for
        :meth:`~needsassess.write_xlsx.FastWorksheet.put_rows`.  In a number
        column (kinds of :data:`NUMBER_COLUMNS`) numbers take the column's
        format; anything else is written as :meth:`value` writes it, except
        that text keeps the column's kind.
        """
        return self.render(ws, col, range(first_row, first_row + len(values)), values, kind, "table")

    def blank_cells(self, col: int, rows: Sequence[int], kind: str) -> list[str]:
        """Empty cells in the format of ``kind`` down column ``col`` at ``rows``, not stored: each one's XML."""
        tail = f'{self._style(self.fmt(kind))}/>'
        head = f'<c r="{xl_col_to_name(col)}'
        return [f'{head}{r + 1}"{tail}' for r in rows]

    def links(self, ws: Worksheet, col: int, rows: Sequence[int], texts: Sequence[object],
              anchors: Sequence[str | Place | None], kind: str = "text") -> None:
        """:meth:`link` for many cells of one column (rows ascending)."""
        xmls = self.link_cells(ws, col, rows, texts, anchors, kind)
        ws.put_cells(col, rows, xmls)

    def link_cells(self, ws: Worksheet, col: int, rows: Sequence[int], texts: Sequence[object],
                   anchors: Sequence[str | Place | None], kind: str = "text") -> list[str]:
        """The cells of :meth:`links`, not stored (their links are): each row's cell XML."""
        name = ws.name
        cache = self._link_entries.setdefault(kind, {})
        room = MAX_LINKS - max(self._links.get(name, 0), ws.hlink_count)
        head = f'<c r="{xl_col_to_name(col)}'
        names = self._row_names(rows[-1] if rows else 0)
        if len(rows) <= room and None not in anchors and all(t.__class__ is str for t in texts):
            # Every cell linked: one entry per distinct (text, place), each cell its row's reference.
            def miss(key: tuple[str, str]) -> tuple[str, Url]:
                e = cache[key] = self._link_entry(ws, key[0], key[1], kind)
                return e

            get = cache.get
            entries = [get(key) or miss(key) for key in zip(texts, anchors)]  # type: ignore[arg-type]
            if ws.put_hyperlinks(col, rows, [e[1] for e in entries]):
                self._links[name] = self._links.get(name, 0) + len(rows)
                self.workbook.str_table.count += len(rows)
                return [f'{head}{names[r]}"{e[0]}' for r, e in zip(rows, entries)]
        xmls: list[str] = []
        linked: list[int] = []
        urls: list[Url] = []
        plain: list[int] = []  # positions written as text: no place to link to, or past the limit
        for i, (r, t, a) in enumerate(zip(rows, texts, anchors)):
            if a is None or len(linked) >= room:
                plain.append(i)
                xmls.append("")
                continue
            e = cache.get((t, a)) if t.__class__ is str else None
            if e is None:
                e = self._link_entry(ws, t, a, kind)
                if t.__class__ is str:
                    cache[(t, a)] = e
            linked.append(r)
            xmls.append(f'{head}{names[r]}"{e[0]}')
            urls.append(e[1])
        if linked:
            if ws.put_hyperlinks(col, linked, urls):
                self._links[name] = self._links.get(name, 0) + len(linked)
                self.workbook.str_table.count += len(linked)
            else:  # outside the sheet: refused as plain text is
                plain = list(range(len(xmls)))
        if plain:
            texts_ = [clean_text(texts[i]) for i in plain]
            for i, x in zip(plain, self.render(ws, col, [rows[i] for i in plain], texts_, kind, "text")):
                xmls[i] = x
        return xmls

    def render(self, ws: Worksheet, col: int, rows: Sequence[int], values: Sequence[object], kind: str,
                mode: str) -> list[str]:
        """Each value's cell XML in column ``col`` at its row ("" for none), by the rules of ``mode``.

        ``mode`` is ``"text"`` (as :meth:`text` writes), ``"value"`` (as
        :meth:`value`) or ``"table"`` (as :meth:`column`).  Texts past
        Excel's cell limit are cut here, with their note; the shared strings
        used and the lines of wrapped text are counted.  Nothing is stored.
        """
        per_line = self._per_line(ws.name, col)
        make = self._cell if mode == "table" else self._value if mode == "value" else self._any_text
        cuts: list[int] = []
        multiline = True
        others = set(map(type, values)) - _SINGLETONS
        if len(others) <= 1 and others <= _HASHABLE:
            # One dictionary by value: no two of its keys of different classes are equal.
            key = (mode, kind, per_line, next(iter(others), None))
            cache = self._entries.get(key)
            if cache is None:
                cache = self._entries[key] = {}
            get = cache.get
            plain_text = self._plain_text(mode, kind, per_line, cache)
            multiline = key in self._multiline

            def miss(v: object) -> Entry | tuple[None, Cut, int]:
                nonlocal multiline
                e = plain_text(v) if v.__class__ is str else None
                if e is None:
                    e = make(ws, v, kind, per_line)
                    if e is None:
                        e = _SKIP
                    elif e.__class__ is not tuple:  # a cut is made where its cell is (rare: not remembered)
                        cuts.append(0)
                        return None, e, 1  # type: ignore[return-value]
                cache[v] = e
                if e[2] > 1 and not multiline:
                    multiline = True
                    self._multiline.add(key)
                return e

            entries = [get(v) or miss(v) for v in values]
        else:
            entries = [self._entry(ws, v, kind, per_line, mode) for v in values]
            cuts = [0] if any(e[0] is None for e in entries) else []
        head = f'<c r="{xl_col_to_name(col)}'
        names = self._row_names(rows[-1] if rows else 0)
        xmls = [f'{head}{names[r]}"{e[0]}' if e[0] else "" for r, e in zip(rows, entries)]
        if cuts:
            for i in [i for i, e in enumerate(entries) if e[0] is None]:
                cut: Cut = entries[i][1]  # type: ignore[assignment]
                entries[i] = e = self._text(self._cut(ws, rows[i], col, cut.text, ""), cut.kind, per_line)  # type: ignore
                xmls[i] = f'{head}{rows[i] + 1}"{e[0]}'
                multiline = True
        self.workbook.str_table.count += sum([e[1] for e in entries])
        if per_line and multiline:
            seen = self._lines.setdefault(ws.name, {})
            for r, e in zip(rows, entries):
                lines = e[2]
                if lines > 1 and lines > seen.get(r, 1):
                    seen[r] = lines
        return xmls

    def _plain_text(self, mode: str, kind: str, per_line: float,
                    cache: dict[Any, Any]) -> Callable[[str], Entry | None]:
        """A maker of entries for the usual text (ASCII, not empty, well within Excel's cell limit) in ``mode``.

        It gives what :meth:`_cell`, :meth:`_value` or :meth:`_text` give
        such a text, or None for any other text.
        """
        if mode == "text" or mode == "table" and kind not in NUMBER_COLUMNS:
            text_kind = kind
        else:
            text_kind = "text" if kind in NUMERIC_KINDS or kind == "date" else kind
        table = mode == "table" and kind not in NUMBER_COLUMNS
        plain = f'{self._text_style(text_kind, False)} t="s"><v>'
        quoted = ""  # made when first needed: a format's style number is taken when first used
        wraps = per_line and text_kind in self.wrapping
        sst = self.workbook.str_table
        known = sst.string_table
        limit = MAX_CELL_CHARS // 2
        triggers = FORMULA_TRIGGERS

        def make(s: str) -> Entry | None:
            nonlocal quoted
            if not s or len(s) > limit or not s.isascii():
                return None
            index = known.get(s)
            if index is None:
                index = known[s] = sst.unique_count
                sst.unique_count += 1
            lines = 1
            if wraps and (not table or len(s) > per_line or "\n" in s):
                lines = count_lines(s, per_line)
            if s.startswith(triggers):
                if not quoted:
                    quoted = f'{self._text_style(text_kind, True)} t="s"><v>'
                return f"{quoted}{index}</v></c>", 1, lines
            return f"{plain}{index}</v></c>", 1, lines

        return make

    def _entry(self, ws: Worksheet, value: object, kind: str, per_line: float,
               mode: str) -> Entry | tuple[None, Cut, int]:
        """The entry of one value, remembered by its class and value (for columns of mixed classes)."""
        cls = value.__class__
        key = (mode, kind, per_line, cls)
        cache = self._entries.get(key) if cls in _HASHABLE else None
        if cache is not None:
            e = cache.get(value)
            if e is not None:
                return e
        make = self._cell if mode == "table" else self._value if mode == "value" else self._any_text
        e = make(ws, value, kind, per_line)
        if e is None:
            e = _SKIP
        elif e.__class__ is not tuple:
            return None, e, 1  # type: ignore[return-value]
        if cls in _HASHABLE:
            self._entries.setdefault(key, {})[value] = e
        return e

    def _row_names(self, last: int) -> list[str]:
        """Row numbers as written in cell references ("1" for row 0), up to row ``last`` at least."""
        names = self._names
        if len(names) <= last:
            names.extend(str(r + 1) for r in range(len(names), max(last + 1, 2 * len(names))))
        return names

    # -- entries ---------------------------------------------------------------------
    def _style(self, fmt: Format) -> str:
        """The ``s`` attribute of a cell in ``fmt``."""
        return style_attribute(self._styles, fmt)

    def _string(self, s: str) -> int:
        """The shared-string index of ``s`` (the caller counts the cells that use it)."""
        sst = self.workbook.str_table
        index = sst.string_table.get(s)
        if index is None:
            index = sst.string_table[s] = sst.unique_count
            sst.unique_count += 1
        return index

    def _text(self, value: object, kind: str, per_line: float, *, table: bool = False) -> Entry | Cut:
        """The entry of ``value`` as text (``table``: a text of exactly one line's length takes one line)."""
        s = value if value.__class__ is str and value.isascii() else clean_text(value)  # type: ignore[assignment]
        if len(s) > MAX_CELL_CHARS // 2 and utf16_len(s) > MAX_CELL_CHARS:
            return Cut(s, kind)
        style = self._text_style(kind, s.startswith(FORMULA_TRIGGERS))
        lines = 1
        if per_line and kind in self.wrapping and (not table or len(s) > per_line or "\n" in s):
            lines = count_lines(s, per_line)
        return f'{style} t="s"><v>{self._string(s)}</v></c>', 1, lines

    def _text_style(self, kind: str, quoted: bool) -> str:
        """The ``s`` attribute of text in ``kind``, with a quote prefix or not."""
        key = (kind, quoted)
        found = self._text_formats.get(key)
        if found is None:
            found = self._text_formats[key] = self._style(self.fmt(kind, quote=quoted))
        return found

    def _any_text(self, ws: Worksheet, value: object, kind: str, per_line: float) -> Entry | Cut:
        return self._text(value, kind, per_line)

    def _number(self, number: float, kind: str) -> Entry:
        # + 0.0: a negative zero is written 0, as Excel shows it (and equal to 0.0 as a key)
        return f"{self._style(self.fmt(kind))}><v>{number + 0.0:.16G}</v></c>", 0, 1

    def _value(self, ws: Worksheet, value: object, kind: str, per_line: float) -> Entry | Cut | None:
        """The entry of ``value`` written by its type (None: the cell stays empty)."""
        if value is None or value is pd.NA or value is pd.NaT:
            return None
        t = type(value)
        if t is str:
            if not value:
                return None
            return self._text(value, "text" if kind in NUMERIC_KINDS or kind == "date" else kind, per_line)
        if t is bool or t is np.bool_:
            if not value and kind == "mark":
                return None
            return self._text(self.yes if value else self.no, "mark" if kind == "mark" else "flag", per_line)
        if t is float or t is int or isinstance(value, (int, float, np.number)):
            number = float(value)  # type: ignore[arg-type]
            if math.isnan(number) or math.isinf(number):
                return None
            if kind in NUMERIC_KINDS:
                return self._number(number, kind)
            if kind == "id" or kind == "text" and number.is_integer():
                return self._text(str(int(number)) if number.is_integer() else repr(number), "id", per_line)
            return self._number(number, "number" if not number.is_integer() else "int")
        if isinstance(value, (dt.datetime, dt.date)):
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                value = value.replace(tzinfo=None)
            return self._number(ws._convert_date_time(value), kind if kind in ("date", "datetime") else "date")
        if isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Series)):
            parts = [clean_text(v) for v in value if not is_blank(v)]
            if not parts:
                return None
            return self._text("; ".join(parts), kind if kind not in NUMERIC_KINDS else "wrap", per_line)
        if is_blank(value):
            return None
        return self._text(value, kind if kind not in NUMERIC_KINDS else "text", per_line)

    def _cell(self, ws: Worksheet, value: object, kind: str, per_line: float) -> Entry | Cut | None:
        """The entry of ``value`` in a table column of ``kind`` (see :meth:`column`)."""
        cls = value.__class__
        if kind in NUMBER_COLUMNS:
            if cls is float:
                return self._number(value, kind) if value == value and value not in _INFINITE else None  # type: ignore
            if cls is int:
                return self._number(value, kind)  # type: ignore[arg-type]
        elif cls is str:
            return self._text(value, kind, per_line, table=True) if value else None
        return self._value(ws, value, kind, per_line)

    def _link_entry(self, ws: Worksheet, text: object, anchor: str | Place, kind: str) -> tuple[str, Url]:
        s = clean_text(text)
        if len(s) > MAX_CELL_CHARS // 2 and utf16_len(s) > MAX_CELL_CHARS:
            s = utf16_truncate(s, MAX_CELL_CHARS)
        style = self._style(self.fmt(kind, quote=s.startswith(FORMULA_TRIGGERS), link=True))
        return f'{style} t="s"><v>{self._string(s)}</v></c>', ws.internal_url(anchor, s)

    def _store(self, ws: Worksheet, row: int, col: int, entry: Entry | Cut | None, where: str) -> None:
        if entry is None:
            return
        if entry.__class__ is not tuple:
            kind = entry.kind  # type: ignore[union-attr]
            entry = self._text(self._cut(ws, row, col, entry.text, where), kind,  # type: ignore[union-attr]
                               self._per_line(ws.name, col))
        xml, strings, lines = entry  # type: ignore[misc]
        if ws.put_cells(col, [row], [f'<c r="{xl_col_to_name(col)}{row + 1}"{xml}']):
            self.workbook.str_table.count += strings
        if lines > 1:
            seen = self._lines.setdefault(ws.name, {})
            if lines > seen.get(row, 1):
                seen[row] = lines

    def _cut(self, ws: Worksheet, row: int, col: int, s: str, where: str) -> str:
        keep = MAX_CELL_CHARS - len(self.cut_marker.format(n=10 ** 9))
        head = utf16_truncate(s, keep)
        ws.write_comment(row, col, self.cut_note.format(where=where or "at the place this row names"),
                         {"x_scale": 2, "y_scale": 1.5})
        self.cut_cells.append((ws.get_name(), row, col))
        return head + self.cut_marker.format(n=len(s) - len(head))

