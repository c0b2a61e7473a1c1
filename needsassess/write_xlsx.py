"""A faster xlsxwriter worksheet for the large sheets of the summary.

xlsxwriter spends about 9 µs on each cell: a checked ``write_*`` call that
stores a tuple, then at ``close()`` a generic per-cell XML writer.  A large
State's summary has half a million cells and tens of thousands of links, so
that alone would take seconds.  :class:`FastWorksheet` is an xlsxwriter
``Worksheet`` (``workbook.add_worksheet(name, worksheet_class=FastWorksheet)``)
whose ``put_*`` methods store each cell as its finished XML (a ``str`` in the
worksheet's cell table, where xlsxwriter keeps a tuple), without the argument
conversion and per-call checks of ``write_*`` (the caller has checked the
text: see :class:`needsassess.write_cells.Cells`), and whose sheet-data and
hyperlink writers join those strings row by row.  A table's rows may be
stored whole (:meth:`FastWorksheet.put_rows`).  Cells written with the
ordinary ``write_*`` methods on the same sheet are written the stock way.
The workbook and its packaging are in :mod:`needsassess.write_package`.

A format's style number is taken when its first cell is stored, not when the
sheet is written, so styles are numbered in the order they are first used;
with formats numbered in the same order the XML is the same, byte for byte,
as xlsxwriter's (``tests/test_write_xlsx.py`` compares them).  This relies on
xlsxwriter's cell table, hyperlink table and shared-string table, stable
across xlsxwriter 3.x; the workbook must not use ``constant_memory`` or
``worksheet.autofit()`` (which read the cell tuples).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from xlsxwriter.exceptions import OverlappingRange
from xlsxwriter.url import Url, UrlTypes
from xlsxwriter.utility import xl_col_to_name, xl_range
from xlsxwriter.worksheet import CellNumberTuple, CellStringTuple, RowInfo, Worksheet

if TYPE_CHECKING:
    from xlsxwriter.format import Format

#: Excel's sheet size (rows and columns) and its limit of links on a sheet.
MAX_ROWS, MAX_COLS, MAX_LINKS = 1_048_576, 16_384, 65_530

_ATTR_SPECIALS = frozenset('&"<>\n')


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Whether two (first row, first col, last row, last col) rectangles share a cell."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _attr(value: str) -> str:
    """Escape an attribute value exactly as xlsxwriter does."""
    if _ATTR_SPECIALS.isdisjoint(value):
        return value
    return (value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;").replace("\n", "&#xA;"))



def style_attribute(cache: dict[int, str], fmt: Format) -> str:
    """The ``s="N"`` attribute of a cell in ``fmt``, remembered in ``cache`` (by the format's identity)."""
    found = cache.get(id(fmt))
    if found is None:
        found = cache[id(fmt)] = f' s="{fmt._get_xf_index()}"'
    return found

class FastWorksheet(Worksheet):
    """An xlsxwriter worksheet that stores cells as finished XML and writes them in bulk."""

    def __init__(self) -> None:
        super().__init__()
        self._col_names: dict[int, str] = {}
        self._styles: dict[int, str] = {}
        self._urls: dict[tuple[str, str], Url] = {}  # FastWorkbook shares one among its sheets
        self._table_areas: list[tuple[int, int, int, int]] = []
        self._stock_links = False  # a link written by write_url (see _write_hyperlinks)
        # Rows stored whole by put_rows: their cells' XML, first and last column, and each 16 rows' span.
        self._row_xml: dict[int, str] = {}
        self._row_cols: dict[int, tuple[int, int]] = {}
        self._block_spans: dict[int, tuple[int, int]] = {}
        self._places: list[Url] = []  # links to places laid out later (internal_url); shared like _urls
        self._rendered: str | None = None  # the cells' XML, when made early (render_cells)
        self._rendered_rows = 0
        self._link_refs: tuple[list[str], list[Url]] | None = None  # the links' tags, made with the cells

    # -- storing cells ----------------------------------------------------------
    def _grow(self, row_lo: int, row_hi: int, col_lo: int, col_hi: int) -> bool:
        """Widen the used range as ``_check_dimensions`` does; False when out of the sheet."""
        self._refuse_if_finished()
        if row_lo < 0 or col_lo < 0 or row_hi >= MAX_ROWS or col_hi >= MAX_COLS:
            return False
        if self.dim_rowmin is None or row_lo < self.dim_rowmin:
            self.dim_rowmin = row_lo
        if self.dim_rowmax is None or row_hi > self.dim_rowmax:
            self.dim_rowmax = row_hi
        if self.dim_colmin is None or col_lo < self.dim_colmin:
            self.dim_colmin = col_lo
        if self.dim_colmax is None or col_hi > self.dim_colmax:
            self.dim_colmax = col_hi
        return True

    def _check_dimensions(self, row: int, col: int, ignore_row: bool = False, ignore_col: bool = False) -> int:
        if not ignore_row:  # a cell or a row's setting (not a column width)
            self._refuse_if_finished()
        return super()._check_dimensions(row, col, ignore_row, ignore_col)

    def _refuse_if_finished(self) -> None:
        if self._rendered is not None:  # what is stored now would be lost: the sheet's XML is made
            raise RuntimeError(f"sheet {self.name!r} was finished (render_cells); no cell can be added")

    def _style(self, fmt: Format) -> str:
        """The ``s`` attribute of a cell in ``fmt``."""
        return style_attribute(self._styles, fmt)

    def _col(self, col: int) -> str:
        name = self._col_names.get(col)
        if name is None:
            name = self._col_names[col] = xl_col_to_name(col)
        return name

    def _string_index(self, text: str) -> int:
        sst = self.str_table
        sst.count += 1
        index = sst.string_table.get(text)
        if index is None:
            index = sst.string_table[text] = sst.unique_count
            sst.unique_count += 1
        return index

    # A cell without a format of its own takes its row's or column's when the
    # sheet is written; such cells are stored the stock way.
    def put_string(self, row: int, col: int, text: str, fmt: Format | None) -> None:
        """Store ``text`` (already within Excel's 32,767 characters) as a shared string."""
        if self._grow(row, row, col, col):
            index = self._string_index(text)
            self.table[row][col] = (CellStringTuple(index, None) if fmt is None else
                                    f'<c r="{self._col(col)}{row + 1}"{self._style(fmt)} t="s"><v>{index}</v></c>')

    def put_number(self, row: int, col: int, number: float, fmt: Format | None) -> None:
        """Store a finite number."""
        if self._grow(row, row, col, col):
            self.table[row][col] = (CellNumberTuple(number, None) if fmt is None else
                                    f'<c r="{self._col(col)}{row + 1}"{self._style(fmt)}><v>{number:.16G}</v></c>')

    def put_blank(self, row: int, col: int, fmt: Format) -> None:
        """Store an empty cell that carries a format."""
        if self._grow(row, row, col, col):
            self.table[row][col] = f'<c r="{self._col(col)}{row + 1}"{self._style(fmt)}/>'

    def put_strings(self, col: int, rows: Sequence[int], texts: Sequence[str],
                    formats: Sequence[Format | None]) -> None:
        """Store many texts of one column (rows ascending, texts checked by the caller)."""
        if not rows or not self._grow(rows[0], rows[-1], col, col):
            return
        sst = self.str_table
        known = sst.string_table
        table, name, style = self.table, self._col(col), self._style
        styles: dict[int, str] = {}
        for r, s, f in zip(rows, texts, formats):
            index = known.get(s)
            if index is None:
                index = known[s] = sst.unique_count
                sst.unique_count += 1
            if f is None:
                table[r][col] = CellStringTuple(index, None)
                continue
            st = styles.get(id(f))
            if st is None:
                st = styles[id(f)] = style(f)
            table[r][col] = f'<c r="{name}{r + 1}"{st} t="s"><v>{index}</v></c>'
        sst.count += len(rows)

    def put_numbers(self, col: int, rows: Sequence[int], numbers: Sequence[float], fmt: Format | None) -> None:
        """Store many finite numbers of one column (rows ascending) in one format."""
        if not rows or not self._grow(rows[0], rows[-1], col, col):
            return
        table = self.table
        if fmt is None:
            for r, x in zip(rows, numbers):
                table[r][col] = CellNumberTuple(x, None)
            return
        head, style = f'<c r="{self._col(col)}', self._style(fmt)
        for r, x in zip(rows, numbers):
            table[r][col] = f'{head}{r + 1}"{style}><v>{x:.16G}</v></c>'

    def put_cells(self, col: int, rows: Sequence[int], xmls: Sequence[str]) -> bool:
        """Store finished cells of one column (rows ascending): each ``<c r="..." ...>...</c>`` as it is.

        The caller has made each cell's XML (reference, style, type, value;
        see :class:`needsassess.write_cells.Cells`) and counts the shared
        strings it uses.  Returns False, storing nothing, when the rows go
        past the sheet.
        """
        if not rows:
            return True
        if not self._grow(rows[0], rows[-1], col, col):
            return False
        table = self.table
        for r, x in zip(rows, xmls):
            table[r][col] = x
        return True

    def put_hyperlinks(self, col: int, rows: Sequence[int], urls: Sequence[Url]) -> bool:
        """Link the cells of one column at ``rows`` (ascending) to their ``Url``; their XML is stored apart.

        Returns False, linking nothing, when the rows go past the sheet or
        the links past Excel's limit of links on a sheet.
        """
        if not rows:
            return True
        if self.hlink_count + len(rows) > MAX_LINKS or not self._grow(rows[0], rows[-1], col, col):
            return False
        hyperlinks = self.hyperlinks
        for r, u in zip(rows, urls):
            hyperlinks[r][col] = u
        self.hlink_count += len(rows)
        return True

    def put_rows(self, first_row: int, first_col: int, columns: Sequence[Sequence[str]]) -> bool:
        """Store a block of finished cells, one list of cell XML per column ("" for no cell), rows from ``first_row``.

        Each row of the block is kept as one string (its cells joined), apart
        from xlsxwriter's cell table, so the sheet is written without looking
        at each cell again.  Other cells of the block's rows must lie left or
        right of the block's cells in that row.  Returns False, storing
        nothing, when the block goes past the sheet.
        """
        if not columns or not columns[0]:
            return True
        n, width = len(columns[0]), len(columns)
        if first_row + n > MAX_ROWS or first_col + width > MAX_COLS:
            return False
        present = [[i for i, x in enumerate(column) if x] for column in columns]
        for j, rows in enumerate(present):
            if rows:
                self._grow(first_row + rows[0], first_row + rows[-1], first_col + j, first_col + j)
        low = np.full(n, -1)
        high = np.full(n, -1)
        for j in range(width - 1, -1, -1):
            low[present[j]] = j
        for j in range(width):
            high[present[j]] = j
        xmls = list(map("".join, zip(*columns)))
        kept = np.flatnonzero(low >= 0)
        if not len(kept):
            return True
        rows_kept = kept + first_row
        low, high = low[kept] + first_col, high[kept] + first_col
        if len(kept) < n:
            xmls = [xmls[i] for i in kept.tolist()]
        row_list = rows_kept.tolist()
        if self._row_xml.keys() & set(row_list):  # a second block on the same rows: side by side
            for r, xml, lo, hi in zip(row_list, xmls, low.tolist(), high.tolist()):
                self._add_row_xml(r, xml, lo, hi)
        else:
            self._row_xml.update(zip(row_list, xmls))
            self._row_cols.update(zip(row_list, zip(low.tolist(), high.tolist())))
        # Each 16 rows' span of columns (the <row spans=""> hint), from the block's own first and last cells.
        groups = rows_kept >> 4
        starts = np.flatnonzero(np.diff(groups, prepend=-1))
        spans = self._block_spans
        for g, lo, hi in zip(groups[starts].tolist(), np.minimum.reduceat(low, starts).tolist(),
                             np.maximum.reduceat(high, starts).tolist()):
            found = spans.get(g)
            spans[g] = (lo, hi) if found is None else (min(lo, found[0]), max(hi, found[1]))
        return True

    def _add_row_xml(self, row: int, xml: str, lo: int, hi: int) -> None:
        found = self._row_cols.get(row)
        if found is None:
            self._row_xml[row], self._row_cols[row] = xml, (lo, hi)
        elif lo > found[1]:
            self._row_xml[row] += xml
            self._row_cols[row] = (found[0], hi)
        elif hi < found[0]:
            self._row_xml[row] = xml + self._row_xml[row]
            self._row_cols[row] = (lo, found[1])
        else:
            raise ValueError(f"row {row + 1}: two blocks of cells overlap")

    def internal_url(self, location: str | Place, text: str) -> Url:
        """The link object to ``location`` in this workbook (``'Sheet'!A1``) shown as ``text``, made once.

        ``location`` may be a :class:`Place` laid out later: the link takes
        its location when the sheet is written.
        """
        key = (location, text)
        url = self._urls.get(key)
        if url is None:
            if location.__class__ is Place:
                url = Url("internal:A1")
                url._place = location  # type: ignore[attr-defined]
                self._places.append(url)
            else:
                url = Url("internal:" + location)  # type: ignore[operator]
            url._text = text
            self._urls[key] = url
        return url

    def render_cells(self) -> None:
        """Turn the stored cells into the sheet's XML now, ahead of the workbook's closing.

        For a sheet finished early: the work is done while something else
        is awaited (see :func:`needsassess.write_sheets.draw`), and the
        cells' tables are freed.  The links' tags are made too, all but
        their locations (a :class:`Place` may be laid out later).  Nothing
        may be stored on the sheet after.
        """
        if self.dim_rowmin is None or self._rendered is not None:
            return
        held, out = self.fh, _Collect()
        self.fh = out  # type: ignore[assignment]
        try:
            self._write_rows()
        finally:
            self.fh = held
        self._rendered = "".join(out)
        self._rendered_rows = len(self._row_xml) + len(self.table)
        if self.hyperlinks:  # their locations may be laid out later: only where each link goes is left
            self._link_refs = self._hyperlink_refs()
        self.table.clear()
        self._row_xml.clear()
        self._row_cols.clear()

    def put_link(self, row: int, col: int, text: str, location: str, fmt: Format | None) -> bool:
        """Store ``text`` linked to ``location`` in this workbook (``'Sheet'!A1``).

        Cells linking to the same place with the same text share one link
        object.  Returns False, storing nothing, past Excel's limit of links
        on a sheet.
        """
        if self.hlink_count >= MAX_LINKS or not self._grow(row, row, col, col):
            return False
        url = self.internal_url(location, text)
        self.hlink_count += 1
        if fmt is None:
            fmt = self.default_url_format  # as write_url: a link looks like one
        self.table[row][col] = (f'<c r="{self._col(col)}{row + 1}"{self._style(fmt)} t="s">'
                                f'<v>{self._string_index(text)}</v></c>')
        self.hyperlinks[row][col] = url
        return True

    def set_heights(self, heights: Mapping[int, float]) -> None:
        """Set many rows' heights (in points), as ``set_row(row, height)`` does for each."""
        low_col = self.dim_colmin if self.dim_colmin is not None else 0
        for row, points in heights.items():
            pixels = int(points * 4.0 / 3.0 + 0.5)
            if pixels == 0:  # a hidden row: the stock way
                self.set_row(row, points)
            elif self._grow(row, row, low_col, low_col):
                self.row_info[row] = RowInfo(height=pixels, row_format=None, hidden=False, level=0,
                                             collapsed=False)
                self.row_sizes[row] = [pixels, False]

    def add_table(self, first_row: int, first_col: int, last_row: int, last_col: int,  # type: ignore[override]
                  options: dict[str, Any] | None = None) -> int:
        """xlsxwriter's ``add_table``, without its check of every cell of the range.

        xlsxwriter records each cell of a table in a dictionary to refuse
        overlapping tables and merged ranges, about 1 µs a cell.  Here a plain
        table (header row, no total row, formulas or data) is checked against
        the earlier tables and merged ranges as rectangles, then made over
        its first two rows and stretched to its real size.
        """
        opts = dict(options or {})
        plain = (opts.get("header_row", True) and not opts.get("total_row") and "data" not in opts
                 and not any(c and (c.get("formula") or c.get("total_function") or c.get("total_string"))
                             for c in opts.get("columns", [])))
        if not plain or last_row - first_row < 2 or first_row > last_row or first_col > last_col:
            return super().add_table(first_row, first_col, last_row, last_col, options)
        area = (first_row, first_col, last_row, last_col)
        merged = [(r1, c1, r2, c2) for r1, c1, r2, c2 in self.merge]
        for other in self._table_areas + merged:
            if _overlap(area, other):
                raise OverlappingRange(f"Table range '{xl_range(*area)}' overlaps the range '{xl_range(*other)}'.")
        if last_row >= MAX_ROWS or last_col >= MAX_COLS:
            return -1
        done = super().add_table(first_row, first_col, first_row + 1, last_col, options)
        if done == 0:
            table = self.tables[-1]
            table["range"] = table["a_range"] = xl_range(first_row, first_col, last_row, last_col)
            if table.get("autofilter"):
                table["autofilter"] = table["a_range"]
            self._table_areas.append(area)
        return done

    def merge_range(self, first_row: int, first_col: int, last_row: int, last_col: int,  # type: ignore[override]
                    data: Any, cell_format: Format | None = None) -> int:
        """xlsxwriter's ``merge_range``, also refusing to overlap a table made by :meth:`add_table`."""
        area = (min(first_row, last_row), min(first_col, last_col), max(first_row, last_row),
                max(first_col, last_col))
        for other in self._table_areas:
            if _overlap(area, other):
                self._check_dimensions(area[0], area[1])  # as xlsxwriter, which widens the sheet first
                self._check_dimensions(area[2], area[3])
                raise OverlappingRange(f"Merge range '{xl_range(*area)}' overlaps the table range "
                                       f"'{xl_range(*other)}'.")
        return super().merge_range(first_row, first_col, last_row, last_col, data, cell_format)

    # -- writing XML --------------------------------------------------------------
    def _calculate_spans(self) -> None:
        spans: dict[int, list[int]] = {g: [lo, hi] for g, (lo, hi) in self._block_spans.items()}
        lo_row, hi_row = self.dim_rowmin, self.dim_rowmax
        for source in (self.table, self.comments):
            for row_num, cells in source.items():
                if not cells or lo_row is None or not lo_row <= row_num <= hi_row:
                    continue
                lo, hi = min(cells), max(cells)
                block = spans.get(row_num >> 4)
                if block is None:
                    spans[row_num >> 4] = [lo, hi]
                else:
                    if lo < block[0]:
                        block[0] = lo
                    if hi > block[1]:
                        block[1] = hi
        self.row_spans = {k: f"{lo + 1}:{hi + 1}" for k, (lo, hi) in spans.items()}

    def _write_rows(self) -> None:
        if self._rendered is not None:
            self.fh.write(self._rendered)
            return
        self._calculate_spans()
        table, row_info, comments, spans = self.table, self.row_info, self.comments, self.row_spans
        row_xml = self._row_xml
        write = self.fh.write
        # A row without options of its own gets a plain tag (what _write_row writes for it).
        plain_rows = (self.default_row_height == self.original_row_height and self.excel_version != 2010)
        original_height = self.original_row_height
        lo_row, hi_row = self.dim_rowmin, self.dim_rowmax
        out: list[str] = []  # finished rows, written in one piece
        for row_num in sorted(table.keys() | row_info.keys() | comments.keys() | row_xml.keys()):
            if row_num < lo_row or row_num > hi_row:
                continue
            cells = table.get(row_num)
            block = row_xml.get(row_num)
            info = row_info.get(row_num)
            span = spans.get(row_num >> 4)
            if not cells and block is None:
                if info is not None or row_num in comments:
                    write("".join(out))
                    out.clear()
                    self._write_empty_row(row_num, span, info)
                continue
            if info is None and plain_rows:
                tag = f'<row r="{row_num + 1}" spans="{span}">' if span else f'<row r="{row_num + 1}">'
            elif (plain_rows and info.row_format is None and not info.hidden and not info.level
                  and not info.collapsed and info.height is not None):  # a height only (see set_heights)
                tag = f'<row r="{row_num + 1}"' + (f' spans="{span}"' if span else "")
                if info.height != original_height:
                    tag += f' ht="{info.height * 0.75:.16g}" customHeight="1"'
                tag += ">"
            else:
                write("".join(out))
                out.clear()
                self._write_row(row_num, span, info)
                tag = ""
            if not cells:
                out.append(f"{tag}{block}</row>")
                continue
            if block is not None:
                cells = self._with_block(row_num, cells, block)
            try:
                body = "".join([cells[c] for c in sorted(cells)]) if len(cells) > 1 else "".join(cells.values())
            except TypeError:  # a cell of the ordinary write_* methods: the stock writer, in its place
                write("".join(out) + tag)
                out.clear()
                for col in sorted(cells):
                    cell = cells[col]
                    if cell.__class__ is str:
                        write(cell)
                    else:
                        self._write_cell(row_num, col, cell)
                write("</row>")
                continue
            out.append(f"{tag}{body}</row>")
        write("".join(out))

    def _with_block(self, row: int, cells: dict[int, Any], block: str) -> dict[int, Any]:
        """The cells of a row with its block of cells put in as one, at the block's first column."""
        lo, hi = self._row_cols[row]
        inside = [c for c in cells if lo <= c <= hi]
        if inside:
            raise ValueError(f"cell {self._col(inside[0])}{row + 1} was written inside a block of rows")
        return {**cells, lo: block}

    def _write_url(self, row: int, col: int, *args: Any, **kwargs: Any) -> int:
        self._stock_links = True  # written the stock way, maybe to the web: see _write_hyperlinks
        return super()._write_url(row, col, *args, **kwargs)

    def _write_hyperlinks(self) -> None:
        for url in self._places:  # shared by the workbook's sheets: those laid out lead there from now on
            if url._place.location is not None:  # type: ignore[attr-defined]
                url._link = url._place.location  # type: ignore[attr-defined]
        if not self.hyperlinks:
            return
        if self._stock_links and any(u._link_type in (UrlTypes.URL, UrlTypes.EXTERNAL) or u._tip
                                     for links in self.hyperlinks.values() for u in links.values()):
            super()._write_hyperlinks()  # external links need relationships: the stock way
            return
        refs, urls = self._link_refs if self._link_refs is not None else self._hyperlink_refs()
        tails: dict[int, str] = {}
        for url in urls:
            if id(url) not in tails:
                place = getattr(url, "_place", None)
                if place is not None and place.location is None:
                    raise ValueError(f"a link on sheet {self.name!r} ({url._text!r}) leads to a place never laid out")
                tails[id(url)] = f'location="{_attr(url._link)}" display="{_attr(url._text)}"/>'
        self.fh.write("<hyperlinks>" + "".join(map(str.__add__, refs, [tails[id(u)] for u in urls]))
                      + "</hyperlinks>")

    def _hyperlink_refs(self) -> tuple[list[str], list[Url]]:
        """Each link's tag up to its location (``<hyperlink ref="A5" ``), with its link object, in order."""
        refs: list[str] = []
        urls: list[Url] = []
        col_name = self._col
        for row_num in sorted(self.hyperlinks):
            links = self.hyperlinks[row_num]
            r = row_num + 1
            for col in sorted(links) if len(links) > 1 else links:
                refs.append(f'<hyperlink ref="{col_name(col)}{r}" ')
                urls.append(links[col])
        return refs, urls


class Place:
    """A place in the workbook laid out later (an LEA's profile block), for links made before.

    ``location`` is set (``'LEA profiles'!A12``) before the workbook is
    closed; a link to a place never laid out is an error then.
    """

    __slots__ = ("location",)

    def __init__(self, location: str | None = None) -> None:
        self.location = location


class _Collect(list):  # type: ignore[type-arg]
    """A file-like ``write`` into a list of strings (joined once)."""

    write = list.append


def __getattr__(name: str) -> Any:
    # The workbook and its packager live in write_package (which needs this module first).
    if name in ("FastWorkbook", "FastPackager", "FastSharedStrings"):
        from . import write_package

        return getattr(write_package, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
