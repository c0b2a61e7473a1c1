"""The summary workbook, read back with openpyxl and as a zip of parts."""

from __future__ import annotations

import os
import re
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from fake_summary import LONG_ANSWER_CHARS, TRICKY_ANSWERS, empty_summary, excel_text, fake_summary, table_rows
from needsassess import write, write_sheets
from needsassess.figures import is_blank, lea_names, load_layout, sheet_spec
from needsassess.problems import OutputError
from needsassess.write import FORMULA_TRIGGERS, MAX_CELL_CHARS, write_summary

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
    monkeypatch.setattr(write, "MAX_LINKS", 3)
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
