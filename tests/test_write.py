"""The summary workbook, read back with openpyxl and as a zip of parts."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
import numpy as np
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fake_summary import LONG_ANSWER_CHARS, TRICKY_ANSWERS, empty_summary, excel_text, fake_summary, table_rows
from needsassess import write, write_cells, write_sheets
from needsassess.figures import is_blank, lea_names, load_layout, sheet_spec
from needsassess.problems import OutputError
from needsassess.write import write_summary
from needsassess.cell_text import CHARS_PER_WIDTH, FORMULA_TRIGGERS, MAX_CELL_CHARS, clean_text, count_lines
from needsassess.write_cells import NUMBER_COLUMNS, NUMERIC_KINDS, Cells
from needsassess.write_package import FastWorkbook

LAYOUT = load_layout()
TOP = write_sheets.TABLE_TOP + 1  # 1-based row of table headers


def label(column: str) -> str:
    return LAYOUT["columns"][column]["label"]


@pytest.fixture(scope="module")
def summary():
    return fake_summary(6)


@pytest.fixture(scope="module")
def written(summary, tmp_path_factory) -> Path:
    return write_summary(summary, tmp_path_factory.mktemp("out") / "statewide-summary.xlsx")


@pytest.fixture(scope="module")
def book(written):
    return openpyxl.load_workbook(written)


def expected_sheets(summary) -> list[str]:
    names = []
    for spec in LAYOUT["sheets"]:
        if spec["key"] == "answers":
            names += [spec["name"].format(area=a, area_name="") for a in summary.template.areas]
        else:
            names.append(spec["name"])
    return names


def test_every_sheet_is_there_in_order(summary, book):
    assert book.sheetnames == expected_sheets(summary)
    for name in ("About", "Overview", "Topic ranking", "LEA x topic", "Answers WRE", "Answers SHS",
                 "Answers EUT", "Prioritized needs", "Capacity ratings", "LEA profiles", "Data problems"):
        assert name in book.sheetnames


def test_table_sheets_have_filters_frozen_headers_and_print_setup(book):
    for spec in LAYOUT["sheets"]:
        if not spec.get("table") and spec["key"] != "matrix":
            continue
        names = [n for n in book.sheetnames if n.startswith("Answers")] if spec["key"] == "answers" else [spec["name"]]
        for name in names:
            ws = book[name]
            assert len(ws.tables) == 1, name
            (table,) = ws.tables.values()
            assert table.ref.startswith(f"A{TOP}:"), name
            assert table.autoFilter is not None
            assert ws.freeze_panes is not None and ws.freeze_panes.endswith(str(TOP + 1)), name
            assert ws.page_setup.orientation == "landscape"
            assert ws.sheet_properties.pageSetUpPr.fitToPage
            assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0  # None: the default 1
            assert ws.print_title_rows == f"${TOP}:${TOP}"
            for first in spec.get("first", [])[:2]:
                if first in LAYOUT["columns"] and first not in spec.get("omit", []):
                    headers = [c.value for c in ws[TOP]]
                    assert label(first) in headers or spec["key"] == "files", (name, first)
            headers = [c.value for c in ws[TOP]]
            if "print_through" in spec:  # printed through that column, not the technical ones after it
                last = get_column_letter(headers.index(label(spec["print_through"])) + 1)
                assert ws.print_area == f"'{name}'!$A$1:${last}${ws.max_row}", name
                assert len(headers) > headers.index(label(spec["print_through"])) + 1
            else:
                assert not ws.print_area, name


def test_every_non_empty_answer_once_on_its_area_sheet(summary, book):
    names = lea_names(summary.leas)
    for area in summary.template.areas:
        src = summary.responses[summary.responses["area"] == area]
        want = Counter((names[f], int(q), a) for f, q, a in zip(src["file"], src["question_no"], src["answer"])
                       if not is_blank(a))
        got = Counter()
        for row in table_rows(book[f"Answers {area}"]):
            answer = row[label("answer")]
            if len(answer) >= MAX_CELL_CHARS - 100:  # the one cut at Excel's limit
                head = answer.rsplit(" [... cut:", 1)[0]
                full = next(a for (_, _, a) in want if a.startswith(head) and len(a) > MAX_CELL_CHARS)
                assert answer == head + LAYOUT["limits"]["cut_marker"].format(n=len(full) - len(head))
                answer = full
            got[(row[label("lea_name")], row[label("question_no")], answer)] += 1
        assert got == want, area
    assert sum(len(table_rows(book[f"Answers {a}"])) for a in summary.template.areas) == \
        sum(1 for a in summary.responses["answer"] if not is_blank(a))


def test_every_need_and_rating_once(summary, book):
    names = lea_names(summary.leas)
    needs = summary.needs
    needs = Counter((names[f], int(p), n, a) for f, p, n, a in
                    zip(needs["file"], needs["priority"], needs["need"], needs["amount"]))
    got = Counter((r[label("lea_name")], r[label("priority")], r[label("need")], r[label("amount")])
                  for r in table_rows(book["Prioritized needs"]))
    assert got == needs
    ratings = Counter((names[f], a, c, None if is_blank(r) else int(r)) for f, a, c, r in
                      zip(summary.ratings["file"], summary.ratings["area"], summary.ratings["capacity"],
                          summary.ratings["rating"]))
    got = Counter((r[label("lea_name")], r[label("area")], r[label("capacity")], r[label("rating")])
                  for r in table_rows(book["Capacity ratings"]))
    assert got == ratings


def test_problems_errors_first_and_all_there(summary, book):
    rows = table_rows(book["Data problems"])
    assert len(rows) == len(summary.problems)
    severities = [r[label("severity")] for r in rows]
    assert severities == sorted(severities, key=["error", "warning"].index)
    assert rows[0][label("message")].startswith("=")


def test_four_native_charts_drawn_on_the_overview(written):
    with zipfile.ZipFile(written) as z:
        parts = z.namelist()
        charts = [p for p in parts if re.fullmatch(r"xl/charts/chart\d+\.xml", p)]
        assert len(charts) >= 4
        rels = "".join(z.read(p).decode() for p in parts if p.startswith("xl/drawings/_rels/"))
        for c in charts:
            assert f"../charts/{Path(c).name}" in rels
        workbook = z.read("xl/workbook.xml").decode()
        overview_id = re.search(r'<sheet name="Overview" sheetId="\d+" r:id="rId(\d+)"', workbook).group(1)
        sheet_rels = z.read(f"xl/worksheets/_rels/sheet{overview_id}.xml.rels").decode()
        assert "drawings/drawing" in sheet_rels
        for c in charts:
            xml = z.read(c).decode()
            assert "Overview!$A$" in xml  # drawn from the numbers on the sheet, not a picture
        assert not any(p.startswith("xl/media/") for p in parts)


def test_no_formula_and_no_link_from_lea_text(summary, book):
    own_links = {LAYOUT["profiles"]["back"], *book.sheetnames, *lea_names(summary.leas).values()}
    lea_text = {a for a in summary.responses["answer"] if not is_blank(a)} | set(summary.needs["need"])
    lea_text |= set(summary.tta_requests["sentence"])
    seen_tricky = set()
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                value = excel_text(cell.value)
                if cell.hyperlink is not None:
                    assert cell.hyperlink.target is None and cell.hyperlink.location, (ws.title, cell.coordinate)
                    assert value in own_links or str(value).startswith("... and"), (ws.title, value)
                if isinstance(value, str) and value in lea_text:
                    assert cell.hyperlink is None
                    seen_tricky.add(value)
                if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
                    assert cell.quotePrefix, (ws.title, cell.coordinate, value)
    assert {a for a in TRICKY_ANSWERS if a in lea_text} <= seen_tricky


def test_lea_names_link_to_their_own_profile_block(summary, book):
    profiles = book["LEA profiles"]
    names = set(lea_names(summary.leas).values())
    checked = 0
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.hyperlink is not None and cell.value in names:
                    sheet, ref = cell.hyperlink.location.rsplit("!", 1)
                    assert sheet == "'LEA profiles'"
                    assert profiles[ref].value == cell.value
                    checked += 1
    assert checked >= len(summary.responses.dropna(subset=["answer"])) // 2


def test_every_lea_has_a_profile_with_its_needs(summary, book):
    values = [c.value for c in book["LEA profiles"]["A"]]
    for name in lea_names(summary.leas).values():
        assert values.count(name) >= 2  # the index and the block title
    texts = {c.value for row in book["LEA profiles"].iter_rows() for c in row}
    assert set(summary.needs["need"]) <= texts


def test_long_text_is_cut_marked_and_noted(book):
    cells = [c for row in book["Answers WRE"].iter_rows() for c in row
             if isinstance(c.value, str) and len(c.value) > LONG_ANSWER_CHARS // 2]
    assert len(cells) == 1
    (cell,) = cells
    assert len(cell.value) <= MAX_CELL_CHARS
    assert "cut:" in cell.value[-60:]
    assert cell.comment is not None and "32,767" in cell.comment.text


def test_overview_figures_match_the_tables(summary, book):
    ws = book["Overview"]
    figures = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, 40)}
    labels = dict(LAYOUT["overview"]["figures"])
    assert figures[labels["leas"]] == len(summary.leas)
    assert figures[labels["needs"]] == len(summary.needs)
    assert figures[labels["answers"]] == sum(1 for a in summary.responses["answer"] if not is_blank(a))
    assert figures[labels["files_failed"]] == 1
    assert figures[labels["errors"]] == 1


def test_about_lists_settings_and_links_every_sheet(summary, book):
    ws = book["About"]
    values = [c.value for row in ws.iter_rows() for c in row]
    for key in summary.settings:
        assert key in values
    links = {c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink is not None}
    for name in book.sheetnames:
        assert f"'{name}'!A1" in links


def test_matrix_has_a_colour_scale_and_each_gap(summary, book):
    ws = book["LEA x topic"]
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    assert any(r.type == "colorScale" for r in rules)
    rows = table_rows(ws)
    assert len(rows) == len(summary.leas)
    numbers = [v for r in rows for v in r.values() if isinstance(v, float)]
    best = summary.lea_topics.groupby(["file", "topic"])["gap"].max()
    assert sorted(numbers) == sorted(best.tolist())


def test_extra_columns_appear_with_their_own_header(tmp_path):
    s = fake_summary(2, long_answer=False)
    s.tables["needs"] = s.needs.assign(state_review_note=["ok"] * len(s.needs))
    path = write_summary(s, tmp_path / "s.xlsx")
    headers = [c.value for c in openpyxl.load_workbook(path)["Prioritized needs"][TOP]]
    assert "State review note" in headers


def test_prevalence_in_percent_points_is_not_shown_as_hundreds(tmp_path):
    s = fake_summary(2, long_answer=False)
    s.tables["topics"] = s.topics.assign(prevalence=s.topics["prevalence"] * 100)
    ws = openpyxl.load_workbook(write_summary(s, tmp_path / "s.xlsx"))["Topic ranking"]
    col = [c.value for c in ws[TOP]].index(label("prevalence")) + 1
    assert ws.cell(TOP + 1, col).number_format == '0"%"'
    ws = openpyxl.load_workbook(write_summary(fake_summary(2, long_answer=False), tmp_path / "t.xlsx"))["Topic ranking"]
    assert ws.cell(TOP + 1, col).number_format == "0%"


def test_empty_result_still_gives_every_sheet(tmp_path):
    s = empty_summary()
    book = openpyxl.load_workbook(write_summary(s, tmp_path / "empty.xlsx"))
    assert book.sheetnames == expected_sheets(s)
    assert table_rows(book["Answers WRE"]) == []


def test_links_stop_at_the_sheet_limit_and_text_stays(tmp_path, monkeypatch):
    monkeypatch.setattr(write_cells, "MAX_LINKS", 3)
    s = fake_summary(3, long_answer=False)
    ws = openpyxl.load_workbook(write_summary(s, tmp_path / "s.xlsx"))["Capacity ratings"]
    rows = table_rows(ws)
    linked = [c for c in ws["A"] if c.hyperlink is not None]
    assert len(linked) == 3 and len(rows) == len(s.ratings)
    assert all(r[label("lea_name")] for r in rows)


def test_undecodable_text_does_not_stop_the_summary(tmp_path):
    s = fake_summary(2, long_answer=False)
    answers = s.responses["answer"].tolist()
    answers[0] = "bad \udcff byte \uffff here"
    s.tables["responses"] = s.responses.assign(answer=pd.Series(answers, dtype=object))
    book = openpyxl.load_workbook(write_summary(s, tmp_path / "s.xlsx"))
    texts = {c.value for row in book["Answers WRE"].iter_rows() for c in row}
    assert "bad \ufffd byte \ufffd here" in texts


def test_a_custom_layout_renames_sheets(tmp_path):
    import copy

    layout = copy.deepcopy(dict(LAYOUT))
    sheet_spec(layout, "needs")["name"] = "Needs (State view)"
    book = openpyxl.load_workbook(write_summary(fake_summary(2, long_answer=False), tmp_path / "s.xlsx",
                                                layout=layout))
    assert "Needs (State view)" in book.sheetnames


# ---------------------------------------------------------------- where the file goes
def test_refuses_to_overwrite_an_input_workbook(tmp_path):
    target = tmp_path / "lea-001.xlsx"
    target.write_bytes(b"LEA workbook")
    with pytest.raises(OutputError, match="input"):
        write_summary(fake_summary(2), target, inputs=[tmp_path / "sub" / ".." / "lea-001.xlsx"])
    link = tmp_path / "other-name.xlsx"
    os.link(target, link)
    with pytest.raises(OutputError, match="input"):
        write_summary(fake_summary(2), link, inputs=[target])
    assert target.read_bytes() == b"LEA workbook"


def test_summary_to_excel_refuses_its_own_inputs(tmp_path):
    s = fake_summary(2, source=tmp_path)
    for name in s.files["file"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    for name in s.files["file"]:
        with pytest.raises(OutputError, match="input"):
            s.to_excel(tmp_path / name)
        assert (tmp_path / name).read_bytes() == b"x"


def test_a_failed_run_leaves_no_half_written_file(tmp_path, monkeypatch):
    target = tmp_path / "statewide-summary.xlsx"
    target.write_bytes(b"previous summary")

    def boom(*args, **kwargs):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(write_sheets, "draw", boom)
    with pytest.raises(RuntimeError):
        write_summary(fake_summary(2), target)
    assert target.read_bytes() == b"previous summary"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["statewide-summary.xlsx"]


def test_open_elsewhere_is_a_clear_error(tmp_path, monkeypatch):
    target = tmp_path / "statewide-summary.xlsx"
    (tmp_path / "~$statewide-summary.xlsx").write_bytes(b"lock")
    with pytest.raises(OutputError, match="open in another program"):
        write_summary(fake_summary(2), target)
    (tmp_path / "~$statewide-summary.xlsx").unlink()

    def locked(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(write.os, "replace", locked)
    with pytest.raises(OutputError, match="open in another program"):
        write_summary(fake_summary(2), target)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_places_are_clear_errors(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot create the folder"):
        write_summary(fake_summary(2), blocker / "summary.xlsx")
    with pytest.raises(OutputError, match="folder"):
        write_summary(fake_summary(2), tmp_path)
    with pytest.raises(OutputError, match=r"\.xlsx"):
        write_summary(fake_summary(2), tmp_path / "summary.xls")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs file permissions that bind (not root)")
def test_read_only_folder_is_a_clear_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="not writable"):
            write_summary(fake_summary(2), folder / "summary.xlsx")
    finally:
        folder.chmod(0o700)


def test_overwrite_false_keeps_an_existing_file(tmp_path):
    target = tmp_path / "s.xlsx"
    target.write_bytes(b"keep")
    with pytest.raises(OutputError, match="exists"):
        write_summary(fake_summary(2), target, overwrite=False)
    assert target.read_bytes() == b"keep"


def test_the_new_file_gets_ordinary_permissions(tmp_path):
    path = write_summary(fake_summary(2, long_answer=False), tmp_path / "s.xlsx")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_an_earlier_summary_in_the_input_folder_may_be_replaced(tmp_path):
    target = write_summary(fake_summary(2, long_answer=False), tmp_path / "statewide-summary.xlsx")
    before = target.stat().st_mtime_ns
    write_summary(fake_summary(2, long_answer=False), target, inputs=[target])
    assert target.stat().st_mtime_ns >= before
    assert openpyxl.load_workbook(target).sheetnames[0] == "About"


# ---------------------------------------------------------------- whole columns equal cell by cell
KINDS = ["text", "wrap", "id", "flag", "mark", "int", "number", "money_left", "date", "score"]
cell_values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.dates(min_value=dt.date(1950, 1, 1)),
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not (x == 0 and math.copysign(1, x) < 0)),
    st.text(st.sampled_from(list("ab =+-@\t\n\u00e9")), max_size=90),
    st.sampled_from(["Same text", "same text", "=SUM(A1)", "2", "2.0", "", "twelve chars", "line\nbreak",
                     "twenty-four characters!!"]))


def _reference_value(cells, ws, r, c, v, kind, lines):
    """Cells.value as it was, cell by cell, on a stock worksheet (the rules before whole columns)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return
    if isinstance(v, str):
        if v:
            _reference_text(cells, ws, r, c, v, "text" if kind in NUMERIC_KINDS or kind == "date" else kind, lines)
    elif isinstance(v, bool):
        if v or kind != "mark":
            _reference_text(cells, ws, r, c, cells.yes if v else cells.no, "mark" if kind == "mark" else "flag", lines)
    elif isinstance(v, (int, float)):
        x = float(v)
        if math.isnan(x) or math.isinf(x):
            return
        if kind in NUMERIC_KINDS:
            ws.write_number(r, c, x, cells.fmt(kind))
        elif kind == "id" or kind == "text" and x.is_integer():
            _reference_text(cells, ws, r, c, str(int(x)) if x.is_integer() else repr(x), "id", lines)
        else:
            ws.write_number(r, c, x, cells.fmt("number" if not x.is_integer() else "int"))
    elif isinstance(v, dt.date):
        ws.write_datetime(r, c, v, cells.fmt(kind if kind in ("date", "datetime") else "date"))


def _reference_text(cells, ws, r, c, v, kind, lines, *, gate=False):
    s = clean_text(v)
    ws.write_string(r, c, s, cells.fmt(kind, quote=s.startswith(FORMULA_TRIGGERS)))
    per_line = max(WIDTH * CHARS_PER_WIDTH, 1.0)
    if kind in cells.wrapping and (not gate or len(s) > per_line or "\n" in s):
        lines[r] = max(lines.get(r, 1), count_lines(s, per_line))


def _reference_column(cells, ws, c, first, values, kind, lines):
    """The table sheets' column writer as it was (a short path for plain values, else Cells.value)."""
    for r, v in enumerate(values, start=first):
        if kind in NUMBER_COLUMNS:
            if type(v) is float:
                if math.isfinite(v):
                    ws.write_number(r, c, v, cells.fmt(kind))
                continue
            if type(v) is int:
                ws.write_number(r, c, v, cells.fmt(kind))
                continue
        elif type(v) is str:
            if v:
                _reference_text(cells, ws, r, c, v, kind, lines, gate=True)
            continue
        _reference_value(cells, ws, r, c, v, kind, lines)


WIDTH = 10.0  # 12 characters a line: a text of exactly a line's length is written


def _read_column(path, rows):
    ws = openpyxl.load_workbook(path)["Data"]
    out = []
    for r in rows:
        cell = ws.cell(r + 1, 3)
        out.append((cell.value, cell.number_format if cell.value is not None else None, cell.quotePrefix,
                    bool(cell.alignment.wrap_text), ws.row_dimensions[r + 1].height))
    return out


@settings(max_examples=80, deadline=None)
# openpyxl warns when it reads back a date cell holding a number outside Excel's dates; the test writes such
# numbers on purpose (any float in a "date" column) and compares what it reads, warning or not
@pytest.mark.filterwarnings("ignore:Cell .* is marked as a date:UserWarning")
@given(st.lists(cell_values, max_size=25), st.sampled_from(KINDS), st.integers(0, 5))
@example(["twelve chars", "twelve chars", "line\nbreak", None, "=x", ""], "wrap", 0)  # text only: the short path
@example(["twelve chars", "line\nbreak", True, 2.5, 7.0, None, "=x", ""], "wrap", 0)  # mixed: the general path
@example(["2", 2, 2.0, True, False, dt.date(2020, 1, 31), math.nan, "=x"], "int", 1)
@example(["a", None, False, True, 3.25, 4.0, "-1"], "mark", 2)
@example([4.0, 3.5, "text", dt.date(2021, 5, 1)], "date", 0)
def test_a_whole_column_is_written_as_cell_by_cell(tmp_path_factory, values, kind, first):
    """Cells.column (a cell's XML made once per distinct value) writes what the per-cell rules write."""
    folder = tmp_path_factory.mktemp("column")
    layout = load_layout()
    paths = []
    for whole in (True, False):
        path = folder / f"{whole}.xlsx"
        wb = (FastWorkbook if whole else xlsxwriter.Workbook)(str(path), dict(write.WORKBOOK_OPTIONS))
        ws = wb.add_worksheet("Data")
        cells = Cells(wb, layout)
        if whole:
            cells.set_column(ws, 2, WIDTH, kind)
            ws.put_rows(first, 2, [cells.column(ws, 2, first, values, kind)])
            cells.column(ws, 2, first, values, kind)  # again: from the remembered cells, the same
            cells.fit_rows(ws)
        else:
            ws.set_column(2, 2, WIDTH, cells.fmt(kind))
            lines: dict[int, int] = {}
            _reference_column(cells, ws, 2, first, values, kind, lines)
            for r, n in lines.items():
                if n > 1:
                    ws.set_row(r, min(409.0, n * 13.0 + 2))
        wb.close()
        paths.append(path)
    rows = range(first, first + len(values))
    assert _read_column(paths[0], rows) == _read_column(paths[1], rows)


# ---------------------------------------------------------------- table preparation equals the pandas way
def _old_sort_frame(frame, keys, orders, *, ascending=True):
    keys = [k for k in keys if k in frame]
    if not keys or frame.empty:
        return frame

    def key(s):
        if s.name in orders:
            rank = {v: i for i, v in enumerate(orders[s.name])}
            return s.astype(object).map(lambda v: rank.get(v, len(rank)))
        num = pd.to_numeric(s, errors="coerce")
        if num.notna().sum() == s.notna().sum():
            return num
        text = s.astype("string").str.strip().str.casefold()
        return text.mask(text.isna() | (text == ""), "\uffff").astype(object)

    return frame.sort_values(keys, key=key, kind="stable", na_position="last", ascending=ascending)


def _old_blank_repeats(frame, pairs):
    def folded(v):
        return None if is_blank(v) else " ".join(str(v).split()).casefold()

    changed = {}
    for col, other in pairs.items():
        if col not in frame or other not in frame or frame.empty:
            continue
        a, b = frame[col].astype(object), frame[other].astype(object)
        same = (a.map(folded) == b.map(folded)) & a.notna()
        num_a, num_b = pd.to_numeric(a, errors="coerce"), pd.to_numeric(b, errors="coerce")
        same |= num_a.notna() & (num_a == num_b)
        if same.any():
            changed[col] = a.where(~same, None)
    return frame.assign(**changed) if changed else frame


texts = st.one_of(st.none(), st.sampled_from(["", " ", "b", "B ", " a", "a", "10", "9", "2", "2.0", " 2 ", "x y",
                                               "X  Y", "\u00e9", "Z"]))
frames = st.integers(1, 30).flatmap(lambda n: st.tuples(
    st.lists(texts, min_size=n, max_size=n), st.lists(texts, min_size=n, max_size=n),
    st.lists(st.one_of(st.none(), st.integers(-3, 3)), min_size=n, max_size=n),
    st.lists(st.one_of(st.just(math.nan), st.floats(-5, 5)), min_size=n, max_size=n)))


def _frame(parts):
    a, b, i, f = parts
    return pd.DataFrame({"a": pd.Series(a, dtype="str"), "b": pd.Series(b, dtype="str"),
                         "i": pd.Series(i, dtype="Int64"), "f": pd.Series(f, dtype=float),
                         "o": pd.Series([x if k % 3 else (None if x is None else len(x)) for k, x in enumerate(a)],
                                        dtype=object)})


@settings(max_examples=100, deadline=None)
@given(frames, st.lists(st.sampled_from(["a", "b", "i", "f", "o", "severity"]), min_size=1, max_size=3, unique=True),
       st.booleans())
def test_sorting_by_ranks_is_the_pandas_sort(parts, keys, ascending):
    frame = _frame(parts).assign(severity=[x if x in ("a", "b", None) else "Z" for x in parts[0]])
    orders = {"severity": ["b", "a"]}
    if not ascending:
        keys = keys[:1]  # the summary sorts one key descending
    mine = write_sheets.sort_frame(frame, keys, orders, ascending=ascending)
    old = _old_sort_frame(frame, keys, orders, ascending=ascending)
    assert mine.index.tolist() == old.index.tolist()


@settings(max_examples=100, deadline=None)
@given(frames)
def test_blanking_repeats_by_distinct_values_is_the_pandas_way(parts):
    frame = _frame(parts)
    pairs = {"a": "b", "o": "a", "i": "f", "b": "o"}
    mine, old = write_sheets.blank_repeats(frame, pairs), _old_blank_repeats(frame, pairs)
    assert mine.columns.tolist() == old.columns.tolist()
    for col in frame.columns:
        assert [None if is_blank(v) else v for v in mine[col].tolist()] == \
            [None if is_blank(v) else v for v in old[col].tolist()], col


@settings(max_examples=60, deadline=None)
@given(frames)
def test_combining_columns_is_filling_the_template_by_name(parts):
    frame = _frame(parts)
    rules = [{"name": "where", "columns": ["a", "i"], "format": "{a}, row {i} {{braces}}"}]
    joined = write_sheets.combine_columns(frame, rules)["where"].tolist()
    for (a, i), got in zip(zip(frame["a"].tolist(), frame["i"].tolist()), joined):
        present = [v for v in (a, i) if not is_blank(v)]
        if len(present) == 2:
            assert got == f"{a}, row {i} {{braces}}"
        else:
            assert got == (", ".join(str(v) for v in present) or None)


def _old_with_lea_names(frame, names):
    filled = frame["file"].astype(object).map(lambda f: names.get(str(f)))
    for col in ("lea_name", "lea_id"):
        if col in frame:
            own = frame[col].astype(object)
            blank = own.isna() | (own.astype(str).str.strip() == "")
            filled = own.where(~blank, filled) if col == "lea_name" else filled.where(filled.notna(), own.where(~blank))
    filled = filled.astype(object)
    return frame.assign(lea_name=filled.where(filled.notna(), None))


@settings(max_examples=60, deadline=None)
@given(frames)
def test_lea_names_filled_by_list_are_the_pandas_way(parts):
    from needsassess.figures import with_lea_names

    a, b, i, _ = parts
    frame = pd.DataFrame({"file": pd.Series([x if x is None else f"f{x.strip()}" for x in a], dtype="str"),
                          "lea_name": pd.Series(b, dtype="str"), "lea_id": pd.Series(i, dtype="Int64")})
    names = {"fa": "Alpha", "fb": "Beta", "f10": "Ten", "fnan": "not a file"}
    assert with_lea_names(frame, names)["lea_name"].tolist() == _old_with_lea_names(frame, names)["lea_name"].tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["f1", "f2", "f3", None]), st.sampled_from(["t1", "t2", "t3", "t9"]),
                          st.one_of(st.just(math.nan), st.floats(0, 1))), max_size=30))
def test_the_lea_topic_matrix_is_the_pivot_table(rows):
    from needsassess.figures import lea_order, lea_topic_matrix, ranked

    lea_topics = pd.DataFrame(rows, columns=["file", "topic", "gap"]).astype({"file": "str", "topic": "str"})
    topics = pd.DataFrame({"topic": ["t2", "t1"], "rank": [1, 2]})
    leas = pd.DataFrame({"file": ["f2", "f1"], "lea_name": ["B", "A"], "lea_id": ["2", "1"]})
    mine = lea_topic_matrix(lea_topics, topics, leas)
    if lea_topics.empty:
        assert mine.shape == (2, 0)
        return
    order = lea_order(leas)
    extra = [f for f in dict.fromkeys(str(x) for x in lea_topics["file"].tolist() if not is_blank(x)) if f not in order]
    data = pd.DataFrame({"file": lea_topics["file"].astype(object).map(str),
                         "topic": lea_topics["topic"].astype(object).map(str), "value": lea_topics["gap"]})
    wide = data.pivot_table(index="file", columns="topic", values="value", aggfunc="max", dropna=False)
    ranked_keys = [str(t) for t in ranked(topics)["topic"].tolist()]
    present = [t for t in ranked_keys if t in wide.columns]
    present += [t for t in wide.columns if t not in set(present)]
    wide = wide.reindex(index=order + extra, columns=present)
    old = wide.loc[:, wide.notna().any(axis=0)].astype(float)
    assert mine.index.tolist() == old.index.tolist() and mine.columns.tolist() == old.columns.tolist()
    assert np.array_equal(mine.to_numpy(), old.to_numpy(), equal_nan=True)
