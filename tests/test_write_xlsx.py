"""The fast worksheet writes the same XML as xlsxwriter's own, cell for cell."""

from __future__ import annotations

import datetime
import io
import zipfile

import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from needsassess.write_package import FastWorkbook
from needsassess.write_xlsx import FastWorksheet

TRICKY = ["plain", "a & b < c > d \"quoted\"", "  leading and trailing  ", "line one\nline two",
          "=SUM(A1:A3)", "ctrl \x07 char", "_x0041_ literal", "emoji \U0001F600", "", "tab\there"]


def _pair(build) -> tuple[bytes, bytes]:
    """The sheet and shared-strings XML written by ``build(workbook, sheet, fast)`` on both worksheets."""
    out = []
    for fast in (False, True):
        buffer = io.BytesIO()
        wb = (FastWorkbook if fast else xlsxwriter.Workbook)(buffer, {
            "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
        _number_styles_when_made(wb)
        ws = wb.add_worksheet("Data")
        assert isinstance(ws, FastWorksheet) == fast
        wb.add_worksheet("Other sheet")
        build(wb, ws, fast)
        wb.close()
        with zipfile.ZipFile(buffer) as z:
            strings = z.read("xl/sharedStrings.xml") if "xl/sharedStrings.xml" in z.namelist() else b""
            out.append(z.read("xl/worksheets/sheet1.xml") + b"\0" + strings)
    return out[0], out[1]


def _number_styles_when_made(wb) -> None:
    """Give each format its style number when it is made, so both workbooks number them alike.

    (The stock writer numbers them in the order cells use them when the sheet
    is written, the fast one when a cell is stored.)
    """
    wb.default_url_format._get_xf_index()
    make = wb.add_format

    def add_format(properties=None):
        fmt = make(properties)
        fmt._get_xf_index()
        return fmt

    wb.add_format = add_format


def _put(ws, fast: bool, kind: str, row: int, col: int, value, fmt) -> None:
    if kind == "s":
        (ws.put_string if fast else ws.write_string)(row, col, value, fmt)
    elif kind == "n":
        (ws.put_number if fast else ws.write_number)(row, col, value, fmt)
    elif kind == "b":
        ws.put_blank(row, col, fmt) if fast else ws.write_blank(row, col, None, fmt)
    else:
        text, where = value
        if fast:
            assert ws.put_link(row, col, text, where, fmt)
        else:
            ws.write_url(row, col, "internal:" + where, fmt, string=text)


def test_every_kind_of_cell_row_and_link_is_written_identically():
    def build(wb, ws, fast):
        bold, wrap = wb.add_format({"bold": True}), wb.add_format({"text_wrap": True, "quote_prefix": True})
        ws.set_column(0, 0, 30, wrap)
        ws.set_column(3, 5, 12, bold)
        ws.set_row(2, 40)
        ws.set_row(5, None, bold)  # a row format, no cells of its own format
        ws.set_row(70, 20)  # a row with nothing but its height
        for i, text in enumerate(TRICKY):
            _put(ws, fast, "s", i, 0, text, wrap if i % 2 else None)
            _put(ws, fast, "n", i, 1, i * 1.25 - 3, None if i % 3 else bold)
            _put(ws, fast, "b", i, 4, None, bold)
        _put(ws, fast, "n", 40, 7, 123456789012.5, None)
        _put(ws, fast, "n", 41, 3, 1e-12, None)
        _put(ws, fast, "s", 5, 6, "on a formatted row", None)
        _put(ws, fast, "s", 41, 4, "in a formatted column", None)
        for r in range(20, 60, 3):
            _put(ws, fast, "l", r, 2, (f"LEA {r} & \"co\"", f"'Other sheet'!A{r}"), bold)
            _put(ws, fast, "l", r + 1, 2, ("Same LEA", "'Other sheet'!A1"), bold)
        ws.write_formula(8, 9, "=1+1", None, 2)  # kinds the fast writer leaves to xlsxwriter
        ws.write_boolean(9, 9, True)
        ws.write_rich_string(10, 9, "a ", bold, "rich", " string")
        ws.write_comment(80, 3, "a note on an empty row")
        ws.write_comment(3, 8, "a note beside cells")
        ws.merge_range(90, 0, 90, 4, "merged", bold)

    stock, fast = _pair(build)
    assert fast == stock


cells = st.lists(st.tuples(st.integers(0, 300), st.integers(0, 30), st.sampled_from("snbl"),
                           st.text(max_size=12), st.floats(allow_nan=False, allow_infinity=False)),
                 max_size=80)


@settings(max_examples=40, deadline=None)
@given(cells)
def test_random_sheets_are_written_identically(items):
    def build(wb, ws, fast):
        fmts = [None, wb.add_format({"italic": True})]
        seen = set()
        for row, col, kind, text, number in items:
            if (row, col) in seen:  # one write per cell: a rewrite keeps an old link in xlsxwriter
                continue
            seen.add((row, col))
            value = {"s": text, "n": number, "b": None, "l": (text or "x", f"'Other sheet'!B{row + 1}")}[kind]
            _put(ws, fast, kind, row, col, value, fmts[(row + col) % 2] if kind != "b" else fmts[1])

    stock, fast = _pair(build)
    assert fast == stock


def test_bulk_columns_match_single_cells():
    def build(wb, ws, fast):
        fmt = wb.add_format({"num_format": "0.00"})
        rows = [3, 4, 9, 30]
        if fast:
            ws.put_strings(2, rows, ["a", "b", "a", "=c"], [None, fmt, None, fmt])
            ws.put_numbers(5, rows, [1.0, 2.5, -3.0, 4e20], fmt)
        else:
            for r, s, f in zip(rows, ["a", "b", "a", "=c"], [None, fmt, None, fmt]):
                ws.write_string(r, 2, s, f)
            for r, x in zip(rows, [1.0, 2.5, -3.0, 4e20]):
                ws.write_number(r, 5, x, fmt)

    stock, fast = _pair(build)
    assert fast == stock


def test_cells_outside_the_sheet_are_not_stored():
    wb = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True})
    ws = wb.add_worksheet("Data", worksheet_class=FastWorksheet)
    ws.put_string(1_048_576, 0, "too far down", None)
    ws.put_numbers(16_384, [1, 2], [1.0, 2.0], None)
    assert not ws.put_link(-1, 0, "x", "'Data'!A1", None)
    assert ws.dim_rowmin is None and not any(ws.table.values())
    wb.close()


def test_links_stop_at_the_excel_limit():
    wb = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True})
    ws = wb.add_worksheet("Data", worksheet_class=FastWorksheet)
    ws.hlink_count = 65_529
    assert ws.put_link(0, 0, "last", "'Data'!A1", None)
    assert not ws.put_link(1, 0, "one too many", "'Data'!A1", None)
    assert 1 not in ws.table or not ws.table[1]
    wb.close()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.text(max_size=6) | st.sampled_from(
    ["_x0041_", "\x00", "\x1f", "\t", "\n", " ", "\ufffe", "<r>", "</r>", "&", "<", ">", "\u00a0"]),
    max_size=5).map("".join), max_size=30))
def test_shared_strings_are_written_identically(texts):
    def build(wb, ws, fast):
        for i, text in enumerate(texts):
            (ws.put_string if fast else ws.write_string)(i, 0, text, None)

    stock, fast = _pair(build)
    assert fast == stock


def test_tables_are_written_identically_and_still_refuse_overlaps():
    import pytest
    from xlsxwriter.exceptions import OverlappingRange

    def build(wb, ws, fast):
        head = wb.add_format({"bold": True})
        ws.merge_range(0, 0, 0, 3, "title", head)
        for r in range(3, 40):
            _put(ws, fast, "s", r, 0, f"row {r}", head)
        ws.add_table(2, 0, 39, 3, {"name": "tbl_one", "style": "Table Style Medium 2",
                                   "columns": [{"header": f"Column {i}", "header_format": head} for i in range(4)]})
        ws.add_table(45, 1, 47, 2, {"name": "tbl_small"})
        with pytest.raises(OverlappingRange):
            ws.add_table(30, 3, 60, 5)
        with pytest.raises(OverlappingRange):
            ws.merge_range(10, 2, 12, 6, "over the table", head)
        with pytest.raises(OverlappingRange):
            ws.add_table(0, 2, 1, 5)  # over the merged title

    stock, fast = _pair(build)
    assert fast == stock
    tables = []
    for fast in (False, True):
        buffer = io.BytesIO()
        wb = (FastWorkbook if fast else xlsxwriter.Workbook)(buffer, {"in_memory": True})
        build(wb, wb.add_worksheet("Data"), fast)
        wb.close()
        with zipfile.ZipFile(buffer) as z:
            tables.append([z.read(n) for n in sorted(z.namelist()) if n.startswith("xl/tables/")])
    assert tables[0] == tables[1] and len(tables[0]) == 2
    assert b'ref="A3:D40"' in tables[1][0]


def test_row_heights_are_written_identically():
    def build(wb, ws, fast):
        heights = {2: 40.0, 5: 13.0, 6: 15.0, 300: 409.0}
        if fast:
            ws.set_heights(heights)
        else:
            for row, points in heights.items():
                ws.set_row(row, points)
        for row in (2, 5, 6, 7, 300):
            _put(ws, fast, "s", row, 1, "text", wb.add_format({"text_wrap": True}))

    stock, fast = _pair(build)
    assert fast == stock


def test_parts_are_deflated_at_the_workbooks_level_and_zipfile_is_put_back(tmp_path):
    import random

    import xlsxwriter.workbook as stock_module

    rng = random.Random(3)
    words = [("".join(rng.choice("abcdefghij") for _ in range(rng.randint(2, 9)))) for _ in range(400)]
    sizes = {}
    for level in (1, 9):
        path = tmp_path / f"level{level}.xlsx"
        wb = FastWorkbook(str(path))
        wb.zip_level = level
        ws = wb.add_worksheet("Data")
        fmt = wb.add_format({"text_wrap": True})
        for r in range(300):
            ws.put_string(r, 0, " ".join(rng.choice(words) for _ in range(30)), fmt)
        wb.close()
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None
            sizes[level] = z.getinfo("xl/sharedStrings.xml").compress_size
        assert stock_module.ZipFile is zipfile.ZipFile
    assert sizes[1] > sizes[9]


# ---------------------------------------------------------------- blocks of rows
block_cells = st.lists(st.lists(st.one_of(st.none(), st.text(max_size=8)), min_size=1, max_size=5),
                       min_size=1, max_size=40)


@settings(max_examples=40, deadline=None)
@given(block_cells, st.integers(0, 40), st.integers(0, 3), st.booleans())
def test_a_block_of_rows_is_written_as_its_cells_one_by_one(grid, first_row, first_col, others):
    """put_rows (rows stored whole) writes the same XML as the same cells written one at a time."""
    width = max(len(r) for r in grid)
    rows = [r + [None] * (width - len(r)) for r in grid]

    def build(wb, ws, fast):
        fmt = wb.add_format({"bold": True})
        ws.set_row(first_row + 1, 30)  # a height on a row of the block
        if others:  # cells left and right of the block, and a note, on its rows
            for i in range(0, len(rows), 3):
                if first_col:
                    _put(ws, fast, "s", first_row + i, first_col - 1, f"left {i}", fmt)
                _put(ws, fast, "n", first_row + i, first_col + width + 2, float(i), fmt)
            ws.write_comment(first_row, first_col, "a note")
        if not fast:
            for i, row in enumerate(rows):
                for j, text in enumerate(row):
                    if text is not None:
                        ws.write_string(first_row + i, first_col + j, text, fmt)
            return
        index_of = {}  # shared strings numbered row by row, as the stock writer numbers them
        for row in rows:
            for text in row:
                if text is not None:
                    index_of[id(text)] = ws._string_index(text)
        columns = []
        for j in range(width):
            column = []
            for i, row in enumerate(rows):
                text = row[j]
                if text is None:
                    column.append("")
                    continue
                index = index_of[id(text)]
                column.append(f'<c r="{ws._col(first_col + j)}{first_row + i + 1}"{ws._style(fmt)} t="s">'
                              f'<v>{index}</v></c>')
            columns.append(column)
        assert ws.put_rows(first_row, first_col, columns)

    stock, fast = _pair(build)
    assert fast == stock


def test_a_cell_written_inside_a_block_is_refused():
    import pytest

    wb = FastWorkbook(io.BytesIO(), {"in_memory": True})
    ws = wb.add_worksheet("Data")
    fmt = wb.add_format({"bold": True})
    cell = ws._style(fmt)
    ws.put_rows(2, 0, [[f'<c r="A3"{cell}/>', f'<c r="A4"{cell}/>'], ["", ""], [f'<c r="C3"{cell}/>', ""]])
    ws.write_string(2, 1, "inside")
    with pytest.raises(ValueError, match="inside a block"):
        wb.close()


def test_blocks_side_by_side_on_the_same_rows():
    def build(wb, ws, fast):
        fmt = wb.add_format({"italic": True})
        for col in (0, 3):
            if fast:
                ws.put_rows(5, col, [[f'<c r="{ws._col(col)}{r + 1}"{ws._style(fmt)}/>' for r in range(5, 9)]])
            else:
                for r in range(5, 9):
                    ws.write_blank(r, col, None, fmt)

    stock, fast = _pair(build)
    assert fast == stock


# ---------------------------------------------------------------- the package
def _parts(path) -> list[tuple[str, bytes, int, int]]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        return [(i.filename, z.read(i.filename), i.compress_type, i.CRC) for i in z.infolist()]


def test_parts_deflated_in_threads_are_those_zipfile_makes(tmp_path):
    """The same members, in the same order, with the same bytes, whether deflated in threads or not."""
    import random

    rng = random.Random(5)
    raw = {}
    for threads in (0, 2):
        path = tmp_path / f"threads{threads}.xlsx"
        wb = FastWorkbook(str(path), {"in_memory": True})
        wb.set_properties({"created": datetime.datetime(2024, 5, 6, 7, 8, 9)})  # not the clock: the same parts
        wb.zip_threads = threads
        for s in range(3):
            ws = wb.add_worksheet(f"Sheet {s}")
            for r in range(500):
                ws.put_string(r, 0, " ".join(rng.choice(["alpha", "beta", "gamma", "delta"]) for _ in range(9)), None)
                ws.put_number(r, 1, rng.random(), None)
        wb.close()
        raw[threads] = _parts(path)
        with zipfile.ZipFile(path) as z:
            deflated = {i.filename: i.compress_size for i in z.infolist()}
        rng = random.Random(5)
    assert raw[0] == raw[2]
    assert [name for name, *_ in raw[2]][:3] == ["[Content_Types].xml", "_rels/.rels", "xl/_rels/workbook.xml.rels"]
    names = [name for name, *_ in raw[2]]
    assert names.index("xl/sharedStrings.xml") == names.index("xl/styles.xml") - 1  # xlsxwriter's place
    assert all(deflated[n] < len(data) for n, data, *_ in raw[2] if len(data) > 2000)


def test_stored_parts_match_zipfile_byte_for_byte(tmp_path):
    """A part stored already deflated is the member zipfile itself writes at the same level."""
    from needsassess.write_package import _DeflatedZip, Deflater

    data = ("<row>" + "text and numbers 12345 " * 2000 + "</row>").encode()
    mine, stock = tmp_path / "mine.zip", tmp_path / "stock.zip"
    deflater = Deflater(3, workers=1)
    try:
        with zipfile.ZipFile(stock, "w", zipfile.ZIP_DEFLATED, compresslevel=3) as z:
            info = zipfile.ZipInfo("part.xml", (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data, compresslevel=3)  # a ZipInfo's own level, else zlib's default
        zip_class = type("_Zip", (_DeflatedZip,), {"deflater": deflater})
        with zip_class(mine, "w", zipfile.ZIP_DEFLATED, compresslevel=3) as z:
            info = zipfile.ZipInfo("part.xml", (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    finally:
        deflater.close()
    assert mine.read_bytes() == stock.read_bytes()


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", " ", "\t", "\n", "\x00", "\x08", "\x0b", "\x1d", "\x1e", "\x1f",
                                         "_", "x", "0", "F", "\ufffe", "\uffff", "\u00e9", "\U0001F600"]),
               max_size=12))
def test_plain_strings_is_the_regular_expression(text):
    from needsassess.write_package import _CONTROL, _SEPARATOR, _KEEP_SPACES, plain_strings

    cleaned = text.replace(_SEPARATOR, "").replace(_KEEP_SPACES, "")
    assert plain_strings(cleaned) == (_CONTROL.search(cleaned) is None)
