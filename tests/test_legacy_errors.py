"""Error values in .ods and .xls workbooks: calamine reads them as empty cells, the file tells them apart.

The OpenDocument content (``calcext:value-type="error"``) and the BIFF
records (``FORMULA`` with an error result, ``BOOLERR``) are read by
:func:`needsassess.extents.ods_error_cells` and
:func:`needsassess.biff.biff_error_cells`; the container hands them to the
extractors as it does the sheet XML's for .xlsx, so an error value where a
rating, field or amount was expected is a ``cell-error`` problem in every
format.  Whole workbooks in .ods and .xls come from LibreOffice, when it is
installed.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hostile
from hostile import default_tool, write_tool
from needsassess import biff
from needsassess.biff import biff_error_cells, xls_error_cells
from needsassess.container import open_container
from needsassess.extents import ODS_ERRORS_MAX, ods_error_cells
from needsassess.read import read_workbook

NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"')
ERROR = '<table:table-cell office:value-type="string" office:string-value="" calcext:value-type="error">'


def text(value: str) -> str:
    return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'


def error(value: str, attrs: str = "") -> str:
    return f"{ERROR[:-1]}{attrs}><text:p>{value}</text:p></table:table-cell>"


def repeated(rows: int, cell: str) -> str:
    return f'<table:table-row table:number-rows-repeated="{rows}">{cell}</table:table-row>'


def content(tables: dict[str, list[str]]) -> bytes:
    """An OpenDocument content.xml: each table's rows (each the XML of its cells, or a whole row tag)."""
    body = "".join(f'<table:table table:name="{name}">' + "".join(
        row if row.startswith("<table:table-row") else f"<table:table-row>{row}</table:table-row>" for row in rows)
        + "</table:table>" for name, rows in tables.items())
    return (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS} office:version="1.2">'
            f"<office:body><office:spreadsheet>{body}</office:spreadsheet></office:body>"
            "</office:document-content>").encode()


# ---------------------------------------------------------------- OpenDocument
def test_error_cells_of_an_opendocument_table_are_placed_as_calamine_places_cells():
    xml = content({"Data": [
        text("label") + error("#DIV/0!"),
        repeated(3, "<table:table-cell/>"),
        '<table:table-cell table:number-columns-repeated="2"/>' + "<table:covered-table-cell/>" + error("#REF!"),
    ], "Other": [text("no errors here")]})
    assert ods_error_cells(xml) == {"Data": {(0, 1): "#DIV/0!", (4, 3): "#REF!"}}


def test_repeated_error_cells_count_as_often_as_they_repeat_up_to_a_cap():
    xml = content({"T": [repeated(2, error("#N/A", ' table:number-columns-repeated="3"'))]})
    assert ods_error_cells(xml) == {"T": {(r, c): "#N/A" for r in range(2) for c in range(3)}}
    bomb = content({"T": [repeated(1_000_000, error("#REF!", ' table:number-columns-repeated="16384"'))]})
    assert len(ods_error_cells(bomb)["T"]) == ODS_ERRORS_MAX
    # the cap holds for the whole file: many tables of a few bytes each cannot add up past it
    block = repeated(100, error("#REF!", ' table:number-columns-repeated="100"'))
    many = ods_error_cells(content({f"T{k}": [block] for k in range(600)}))
    assert sum(map(len, many.values())) == ODS_ERRORS_MAX


def test_a_repeat_count_of_any_length_is_no_failure():
    huge = "9" * 5000
    xml = content({"T": [repeated(1, error("#N/A", f' table:number-columns-repeated="{huge}"')) + error("#REF!")]})
    found = ods_error_cells(xml)["T"]
    assert len(found) == ODS_ERRORS_MAX and (0, 0) in found


def test_the_error_of_a_cell_is_its_whole_text_and_a_table_name_is_unescaped():
    xml = content({"A &amp; B": [error('<text:span text:style-name="T1">#VALUE!</text:span>') + error("")]})
    assert ods_error_cells(xml) == {"A & B": {(0, 0): "#VALUE!", (0, 1): "#VALUE!"}}
    assert ods_error_cells(content({"T": [text("#REF! as typed text is text")]})) == {}


def test_a_comment_on_an_error_cell_is_not_part_of_its_value():
    note = ('<office:annotation><dc:date>2026-11-23T00:00:00</dc:date><text:p>please fix</text:p>'
            "</office:annotation>")
    assert ods_error_cells(content({"T": [error(note + "#REF!")]})) == {"T": {(0, 0): "#REF!"}}


def test_an_opendocument_workbook_hands_its_error_cells_to_the_reader(tmp_path):
    path = hostile.ods_file(tmp_path / "errors.ods",
                            content({"Data": [text("label") + error("#REF!")], "Notes": [text("x")]}))
    container = open_container(path.read_bytes(), suffix=".ods")
    try:
        data, notes = container.sheets
        assert container.rows(data)[0] == [["label", ""]]  # what calamine reads
        assert container.error_cells(data) == {(0, 1): "#REF!"} and container.error_cells(notes) == {}
    finally:
        container.close()


# ---------------------------------------------------------------- BIFF
BOF, EOF, BOUNDSHEET, CODEPAGE, FILEPASS, FORMULA, BOOLERR, NUMBER = (
    0x0809, 0x000A, 0x0085, 0x0042, 0x002F, 0x0006, 0x0205, 0x0203)


def record(kind: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def formula(row: int, col: int, result: bytes) -> bytes:
    return record(FORMULA, struct.pack("<HHH", row, col, 15) + result + b"\x00\x00" + b"\x00" * 4 + b"\x00\x00")


def error_result(code: int) -> bytes:
    return bytes([2, 0, code, 0, 0, 0, 0xFF, 0xFF])


def boolerr(row: int, col: int, value: int, is_error: bool = True) -> bytes:
    return record(BOOLERR, struct.pack("<HHHBB", row, col, 15, value, int(is_error)))


def workbook_stream(tabs: dict[str, list[bytes]], *, biff5: bool = False, codepage: int | None = None,
                    one_byte_names: bool = False) -> bytes:
    """A BIFF8 (or BIFF5) workbook stream: the globals listing the tabs, then each tab's records.

    Names are UTF-16 in BIFF8, unless ``one_byte_names`` (then, as in BIFF5, in the code page's bytes).
    """
    version = 0x0500 if biff5 else 0x0600
    encoding = {None: "cp1252", 10000: "mac_roman", 20866: "koi8_r"}.get(codepage, f"cp{codepage}")

    def boundsheet(name: str, offset: int) -> bytes:
        if biff5:
            raw = name.encode(encoding)
            return record(BOUNDSHEET, struct.pack("<IHB", offset, 0, len(raw)) + raw)
        if one_byte_names:
            raw = name.encode(encoding)
            return record(BOUNDSHEET, struct.pack("<IBBBB", offset, 0, 0, len(raw), 0) + raw)
        return record(BOUNDSHEET, struct.pack("<IBBBB", offset, 0, 0, len(name), 1) + name.encode("utf-16-le"))

    head = record(BOF, struct.pack("<HH", version, 0x05))
    if codepage is not None:
        head += record(CODEPAGE, struct.pack("<H", codepage))
    bodies = [record(BOF, struct.pack("<HH", version, 0x10)) + b"".join(recs) + record(EOF) for recs in tabs.values()]
    at = len(head) + sum(len(boundsheet(n, 0)) for n in tabs) + len(record(EOF))
    offsets = []
    for body in bodies:
        offsets.append(at)
        at += len(body)
    sheets = b"".join(boundsheet(n, o) for n, o in zip(tabs, offsets))
    return head + sheets + record(EOF) + b"".join(bodies)


def test_formula_and_constant_errors_of_each_tab_are_found_in_the_order_of_the_tabs():
    stream = workbook_stream({
        "Data": [formula(0, 1, error_result(0x07)),                   # B1 =1/0
                 formula(1, 1, struct.pack("<d", 42.0)),                # B2 = 42: no error
                 boolerr(2, 3, 0x17),                                   # D3 #REF!
                 boolerr(3, 3, 1, is_error=False),                      # D4 TRUE
                 record(NUMBER, struct.pack("<HHHd", 4, 0, 15, 7.0))],
        "Tâche 2": [formula(9, 0, error_result(0x2A)), formula(9, 1, error_result(0x99))],
        "Empty": []})
    assert biff_error_cells(stream) == [("Data", {(0, 1): "#DIV/0!", (2, 3): "#REF!"}),
                                        ("Tâche 2", {(9, 0): "#N/A", (9, 1): "#VALUE!"}), ("Empty", {})]


def test_the_records_of_a_chart_inside_a_tab_are_no_cells_of_the_tab():
    # a chart keeps its data points in records of the cells' types (after an SIIndex), numbered by point
    chart = [record(BOF, struct.pack("<HH", 0x0600, 0x20)), record(0x1065, struct.pack("<H", 1)),
             boolerr(40, 7, 0x2A), formula(41, 7, error_result(0x07)), record(EOF)]
    stream = workbook_stream({"Data": [*chart, boolerr(5, 0, 0x24)]})
    assert biff_error_cells(stream) == [("Data", {(5, 0): "#NUM!"})]


@pytest.mark.parametrize("name, codepage, biff5, one_byte", [
    ("Données", 1252, True, True), ("Данные", 1251, True, True), ("Données", 10000, True, True),
    ("Needs – 2024", 1252, False, True), ("Данные", 1251, False, True), ("Ωmega tab", None, False, False),
])
def test_tab_names_are_read_in_the_workbook_code_page(name, codepage, biff5, one_byte):
    stream = workbook_stream({name: [boolerr(0, 0, 0x00)]}, biff5=biff5, codepage=codepage, one_byte_names=one_byte)
    assert biff_error_cells(stream) == [(name, {(0, 0): "#NULL!"})]


def test_a_nul_in_a_tab_name_is_left_out_as_calamine_does():
    stream = workbook_stream({"Sheet\x00": [boolerr(0, 0, 0x07)]})
    assert biff_error_cells(stream) == [("Sheet", {(0, 0): "#DIV/0!"})]


def test_tabs_listed_many_times_over_one_long_run_of_records_cost_one_walk(monkeypatch):
    # a hostile stream: 300 tabs at one offset, whose records never end; each record is looked at once
    head = record(BOF, struct.pack("<HH", 0x0600, 5))
    listing = 300 * len(record(BOUNDSHEET, struct.pack("<IBBBB", 0, 0, 0, 1, 0) + b"x"))
    start = len(head) + listing + len(record(EOF))
    tabs = b"".join(record(BOUNDSHEET, struct.pack("<IBBBB", start, 0, 0, 1, 0) + b"x") for _ in range(300))
    body = record(BOF, struct.pack("<HH", 0x0600, 0x10)) + boolerr(1, 1, 0x17) + record(NUMBER, b"\x00" * 14) * 20_000
    stream = head + tabs + record(EOF) + body
    seen = [0]
    walk = biff._records

    def counted(*args):
        for item in walk(*args):
            seen[0] += 1
            yield item

    monkeypatch.setattr(biff, "_records", counted)
    found = biff_error_cells(stream)
    assert len(found) == 300 and all(cells == {(1, 1): "#REF!"} for _, cells in found)
    assert seen[0] <= 1 + 300 + 1 + 1 + 1 + 20_000


@pytest.mark.parametrize("stream", [
    b"", b"\x00" * 3, record(NUMBER, b"\x00" * 14),                      # no workbook at all
    record(BOF, struct.pack("<HH", 0x0600, 5)) + record(FILEPASS, b"\x01" * 10) + record(EOF),  # encrypted
    record(BOF, struct.pack("<HH", 0x0600, 5)) + struct.pack("<HH", BOUNDSHEET, 60000) + b"cut",  # a record cut short
])
def test_a_damaged_or_encrypted_stream_gives_no_error_cells(stream):
    assert biff_error_cells(stream) == []


def test_a_tab_whose_records_lie_past_the_stream_has_no_error_cells():
    stream = record(BOF, struct.pack("<HH", 0x0600, 5)) + record(BOUNDSHEET, struct.pack("<IBBBB", 10**9, 0, 0, 1, 0)
                                                                  + b"X")
    assert biff_error_cells(stream) == [("X", {})]


#: Reproducible runs, as the fuzz tests of the reader have them.
FUZZ = settings(max_examples=300, derandomize=True, database=None, deadline=None)
VALID = workbook_stream({"Data": [formula(0, 1, error_result(0x07)), boolerr(2, 3, 0x17)],
                         "More": [record(NUMBER, struct.pack("<HHHd", 4, 0, 15, 7.0))]})


@FUZZ
@given(st.binary(max_size=300))
def test_any_records_after_a_workbook_start_give_error_cells_or_none_and_never_raise(tail):
    found = biff_error_cells(record(BOF, struct.pack("<HH", 0x0600, 5)) + tail)
    assert all(isinstance(name, str) and isinstance(cells, dict) for name, cells in found)


@FUZZ
@given(st.data())
def test_a_damaged_workbook_stream_never_raises(data):
    stream = bytearray(VALID)
    for _ in range(data.draw(st.integers(1, 6))):
        stream[data.draw(st.integers(0, len(stream) - 1))] = data.draw(st.integers(0, 255))
    found = biff_error_cells(bytes(stream[:data.draw(st.integers(0, len(stream)))]))
    assert all(isinstance(name, str) and all(isinstance(v, str) for v in cells.values()) for name, cells in found)


def test_a_file_that_is_no_compound_file_gives_no_error_cells():
    assert xls_error_cells(b"not a compound file" * 100) == []


@pytest.mark.parametrize("codepage", [1251, 20866])  # KOI8-R: calamine decodes it, Python has no "cp20866"
def test_a_legacy_workbook_hands_its_error_cells_to_the_reader_under_calamine_s_tab_names(codepage):
    stream = workbook_stream({"Данные": [formula(1, 1, error_result(0x17))], "Notes": []}, codepage=codepage,
                             one_byte_names=True)
    container = open_container(hostile.compound_file({"Workbook": stream.ljust(4096, b"\x00")}), suffix=".xls")
    try:
        data, notes = container.sheets
        assert (data.name, notes.name) == ("Данные", "Notes")
        assert container.error_cells(data) == {(1, 1): "#REF!"} and container.error_cells(notes) == {}
    finally:
        container.close()


# ---------------------------------------------------------------- whole workbooks, through LibreOffice
@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_a_legacy_workbook_reports_the_error_values_its_xlsx_original_reports(tmp_path, fmt):
    if hostile.soffice() is None:
        pytest.skip("LibreOffice is not installed")
    tool = default_tool(lea_id="#REF!")
    capacity, _, tta = tool.ratings["WRE"][0]
    tool.ratings["WRE"][0] = (capacity, "#DIV/0!", tta)
    tool.needs[0] = (*tool.needs[0][:6], "#VALUE!", None)
    original = write_tool(tmp_path / "src" / "error-values.xlsx", tool)

    def errors(path: Path) -> set[tuple[str, str, str]]:
        a = read_workbook(path)
        assert list(a.files.status) == ["read"]
        return {(p.sheet, p.cell, p.message) for p in a.problems.itertuples() if p.code == "cell-error"}

    found = errors(hostile.converted(original, tmp_path / "in", fmt))
    assert found == errors(original)
    assert {(sheet, message.split(" holds the error value ")[-1].split(";")[0]) for sheet, _, message in found} == {
        ("1. LEA Information", "#REF!"), ("4a. Analyze WRE Needs", "#DIV/0!"),
        ("5. Address Prioritized Needs", "#VALUE!")}
