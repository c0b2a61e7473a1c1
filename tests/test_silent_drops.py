"""No silent drops (issue 6): rows and values the reader cannot read as expected end as located problems.

* a capacity row whose label is empty, an error value (``#REF!``), a
  formula without a saved value or under a merged area: kept when the
  capacity can be told (hidden text, the merged area's label, the
  template's order), else reported with its rating;
* an empty indicator value, capacity rating, T/TA answer, required LEA
  field or needs amount that is a formula without a saved value or an
  error value: reported (``formula-no-value``, ``cell-error``), while
  columns left empty throughout cost no look at the sheet XML;
* an indicator row holding numbers but no label: reported with its values;
* a tool whose tabs could not be loaded: failed with the tabs that say why,
  neither "not the tool" nor "a blank copy".

Grids are built in memory for the extractors; whole workbooks are written
with :mod:`hostile` into ``tmp_path``.
"""

from __future__ import annotations

from typing import Any

import openpyxl
import pytest

import hostile
from hostile import default_tool, write_tool
from needsassess.container import open_container
from needsassess.extract_capacity import extract_capacity
from needsassess.extract_common import Context
from needsassess.extract_indicators import extract_indicators
from needsassess.read import read_workbook
from needsassess.sheets import Grid
from needsassess.template import load_template

TEMPLATE = load_template()
USE_DATA = "Using data to identify needs and gaps"
ENGAGE = "Engaging families, community and partners"
EVIDENCE = "Selecting evidence-based programs and practices"
SUSTAIN = "Sustaining the work after the grant ends"
CAPACITY_SHEET = "4a. Analyze WRE Needs"
FIRST = 2  # the first capacity row of capacity_grid (0-based): cell A3


class Looked:
    """A ``Context.formulas`` stand-in: the uncached formula cells, and which sheets were asked for."""

    def __init__(self, cells: set[tuple[int, int]] = frozenset()) -> None:
        self.cells = frozenset(cells)
        self.asked: list[str] = []

    def __call__(self, name: str) -> frozenset[tuple[int, int]]:
        self.asked.append(name)
        return self.cells


def context(formulas: Looked | None = None, errors: Any = None) -> Context:
    """A context whose sheets have the uncached formula cells and the error cells given."""
    return Context("lea.xlsx", TEMPLATE, formulas=formulas or Looked(),
                   errors=errors or (lambda name: {}))


def capacity_grid(rows: list[tuple[Any, ...]], merged: list[tuple[tuple[int, int], tuple[int, int]]] = ()) -> Grid:
    """A WRE analysis tab holding only a capacity block: title, header, then ``rows`` from A3."""
    head = [["Capacity self-rating", "", ""], ["Capacity", "Rating (1-4)", "T/TA wanted? (Y/N)"]]
    return Grid(CAPACITY_SHEET, head + [list(r) for r in rows], list(merged))


def problems(ctx: Context) -> list[tuple[str, str, str]]:
    return [(p.code, p.cell, p.message) for p in ctx.log]


def ratings(rows: list[tuple[Any, ...]]) -> list[tuple[str, int | None, str, str]]:
    """(capacity, rating, cell, key) of each rating row."""
    return [(r[1], r[2], r[5], r[6]) for r in rows]


# ---------------------------------------------------------------- capacity rows without a visible label
def test_a_normal_block_is_read_without_looking_at_the_sheet_xml():
    looked = Looked()
    ctx = context(looked)
    rows, block = extract_capacity(capacity_grid([(USE_DATA, 2.0, "Y"), (ENGAGE, 3.0, "N")]), "WRE", ctx)
    assert ratings(rows) == [(USE_DATA, 2, "B3", "use_data"), (ENGAGE, 3, "B4", "engage_partners")]
    assert not problems(ctx) and looked.asked == [] and block.last_row == FIRST + 1


def test_the_hidden_text_of_a_label_under_a_merged_area_is_read():
    # LibreOffice keeps the text of the cells a merged area covers; Excel shows only the top-left one
    grid = capacity_grid([(USE_DATA, 2.0, "Y"), (ENGAGE, 3.0, "N"), (SUSTAIN, 1.0, "Y")],
                         merged=[((FIRST, 0), (FIRST + 1, 0))])
    ctx = context()
    rows, _ = extract_capacity(grid, "WRE", ctx)
    assert ratings(rows) == [(USE_DATA, 2, "B3", "use_data"), (ENGAGE, 3, "B4", "engage_partners"),
                             (SUSTAIN, 1, "B5", "sustain")]
    [(code, cell, message)] = problems(ctx)
    assert (code, cell) == ("row-label-missing", "A4")
    assert "A3:A4" in message and ENGAGE in message and '"3"' in message


def test_a_label_merged_down_over_the_rated_row_rates_that_row():
    # the label sits in the area's top row, which has no rating; the rating is on the row below
    grid = capacity_grid([(USE_DATA, "", ""), ("", 2.0, "Y"), (SUSTAIN, 1.0, "Y")],
                         merged=[((FIRST, 0), (FIRST + 1, 0))])
    ctx = context()
    rows, _ = extract_capacity(grid, "WRE", ctx)
    assert ratings(rows) == [(USE_DATA, 2, "B4", "use_data"), (SUSTAIN, 1, "B5", "sustain")]
    [(code, cell, message)] = problems(ctx)
    assert (code, cell) == ("row-label-missing", "A4") and "merged area A3:A4" in message


def test_a_merged_label_whose_top_row_is_rated_is_not_used_twice():
    # Excel empties the covered cell; the top row already rates "Using data", two candidates fit below it
    grid = capacity_grid([(USE_DATA, 2.0, "Y"), ("", 3.0, "N"), (SUSTAIN, 1.0, "Y")],
                         merged=[((FIRST, 0), (FIRST + 1, 0))])
    ctx = context()
    rows, _ = extract_capacity(grid, "WRE", ctx)
    assert ratings(rows) == [(USE_DATA, 2, "B3", "use_data"), (SUSTAIN, 1, "B5", "sustain")]
    [(code, cell, message)] = problems(ctx)
    assert (code, cell) == ("row-label-missing", "A4")
    assert "covered by the merged area A3:A4" in message and '"3"' in message and "left out" in message


def test_the_template_order_tells_the_capacity_of_an_unlabelled_row():
    # before "Engaging" (the template's second capacity) only "Using data" fits
    grid = capacity_grid([("", 2.0, "Y"), (ENGAGE, 3.0, "N"), (SUSTAIN, 1.0, "Yes")])
    ctx = context()
    rows, block = extract_capacity(grid, "WRE", ctx)
    assert ratings(rows) == [(USE_DATA, 2, "B3", "use_data"), (ENGAGE, 3, "B4", "engage_partners"),
                             (SUSTAIN, 1, "B5", "sustain")]
    assert rows[0][3] is True  # the T/TA answer is kept too
    [(code, cell, message)] = problems(ctx)
    assert (code, cell) == ("row-label-missing", "A3") and "#REF!" in message and USE_DATA in message


def test_a_gap_of_as_many_rows_as_capacities_is_filled_in_order():
    grid = capacity_grid([(USE_DATA, 2.0, "Y"), ("", 3.0, "N"), ("", 4.0, "N"), (SUSTAIN, 1.0, "Y")])
    ctx = context()
    rows, _ = extract_capacity(grid, "WRE", ctx)
    assert [r[6] for r in rows] == ["use_data", "engage_partners", "select_evidence", "sustain"]
    assert [p[1] for p in problems(ctx)] == ["A4", "A5"]


def test_an_unlabelled_row_the_order_does_not_tell_is_reported_with_its_rating():
    # between "Using data" (1st) and "Sustaining" (4th) two capacities fit one row
    grid = capacity_grid([(USE_DATA, 2.0, "Y"), ("", 4.0, "N"), (SUSTAIN, 1.0, "Y")])
    ctx = context()
    rows, _ = extract_capacity(grid, "WRE", ctx)
    assert [r[6] for r in rows] == ["use_data", "sustain"]
    [(code, cell, message)] = problems(ctx)
    assert (code, cell) == ("row-label-missing", "A4")
    assert 'rating "4"' in message and "T/TA wanted: no" in message and "left out" in message


@pytest.mark.parametrize("labels", [(SUSTAIN, "", USE_DATA), (USE_DATA, "", "Our own capacity")],
                         ids=["out of order", "not in the template"])
def test_labels_that_do_not_follow_the_template_tell_nothing(labels):
    grid = capacity_grid([(labels[0], 2.0, "Y"), (labels[1], 3.0, "N"), (labels[2], 1.0, "Y")])
    ctx = context()
    rows, _ = extract_capacity(grid, "WRE", ctx)
    assert len(rows) == 2 and [p[0] for p in problems(ctx)] == ["row-label-missing"]


def test_a_block_without_any_label_follows_the_template_when_the_counts_match():
    items = TEMPLATE.capacities_for("WRE")
    grid = capacity_grid([("", float(1 + i % 4), "N") for i in range(len(items))])
    ctx = context()
    rows, _ = extract_capacity(grid, "WRE", ctx)
    assert [r[6] for r in rows] == [s.key for s in items] and len(problems(ctx)) == len(items)
    short = capacity_grid([("", 2.0, "N")] * (len(items) - 1))
    ctx = context()
    assert extract_capacity(short, "WRE", ctx)[0] == [] and len(problems(ctx)) == len(items) - 1


def test_a_t_ta_answer_alone_keeps_an_unlabelled_row():
    ctx = context()
    rows, _ = extract_capacity(capacity_grid([("", "", "Y"), (ENGAGE, 3.0, "N")]), "WRE", ctx)
    assert [(r[2], r[3], r[6]) for r in rows] == [(None, True, "use_data"), (3, False, "engage_partners")]
    assert 'answer "yes" to T/TA wanted (no rating)' in problems(ctx)[0][2]


def test_an_unlabelled_row_marked_on_a_scale_is_told_too():
    head = [["Capacity", "Beginning", "Developing", "Proficient", "Advanced"]]
    grid = Grid(CAPACITY_SHEET, head + [["", "", "X", "", ""], [ENGAGE, "", "", "X", ""]])
    ctx = context()
    rows, _ = extract_capacity(grid, "WRE", ctx)
    assert [(r[2], r[5], r[6]) for r in rows] == [(2, "C2", "use_data"), (3, "D3", "engage_partners")]
    assert [p[:2] for p in problems(ctx)] == [("row-label-missing", "A2")]


def test_a_label_that_is_a_formula_without_a_saved_value_is_reported_as_such():
    ctx = context(Looked({(FIRST, 0)}))
    rows, _ = extract_capacity(capacity_grid([("", 2.0, "Y"), (ENGAGE, 3.0, "N")]), "WRE", ctx)
    assert [r[6] for r in rows] == ["use_data", "engage_partners"]
    [(code, cell, message)] = problems(ctx)
    assert (code, cell) == ("formula-no-value", "A3") and "recalculate" in message and USE_DATA in message


def test_an_unlabelled_row_without_a_rating_is_no_capacity_row():
    grid = capacity_grid([(USE_DATA, 2.0, "Y"), ("", "", "", "a note beside the block"), ("", "high", ""),
                          (ENGAGE, 3.0, "N")])
    ctx = context()
    rows, block = extract_capacity(grid, "WRE", ctx)
    assert [r[6] for r in rows] == ["use_data", "engage_partners"] and not problems(ctx)


def test_a_rating_that_is_a_formula_without_a_saved_value_is_reported():
    looked = Looked({(FIRST + 1, 1)})
    ctx = context(looked)
    rows, _ = extract_capacity(capacity_grid([(USE_DATA, 2.0, "Y"), (ENGAGE, "", "N")]), "WRE", ctx)
    assert ratings(rows) == [(USE_DATA, 2, "B3", "use_data"), (ENGAGE, None, "B4", "engage_partners")]
    [(code, cell, message)] = problems(ctx)
    assert (code, cell) == ("formula-no-value", "B4") and "capacity rating" in message


def test_an_error_value_as_a_rating_or_t_ta_answer_is_reported_naming_the_capacity():
    ctx = context(errors=lambda name: {(FIRST + 1, 1): "#REF!", (FIRST, 2): "#N/A"})
    rows, _ = extract_capacity(capacity_grid([(USE_DATA, 2.0, ""), (ENGAGE, "", "N")]), "WRE", ctx)
    assert ratings(rows) == [(USE_DATA, 2, "B3", "use_data"), (ENGAGE, None, "B4", "engage_partners")]
    found = problems(ctx)
    assert [(code, cell) for code, cell, _ in found] == [("cell-error", "B4"), ("cell-error", "C3")]
    assert "capacity rating" in found[0][2] and "#REF!" in found[0][2] and ENGAGE in found[0][2]
    assert "T/TA answer" in found[1][2] and "#N/A" in found[1][2] and USE_DATA in found[1][2]


def test_only_the_first_error_among_candidates_for_one_value_is_reported():
    ctx = context(errors=lambda name: {(0, 3): "#N/A", (0, 7): "#REF!"})
    grid = Grid("1. LEA Information", [["State LEA ID", "", "", "", "", "", "", "", ""]])
    cells = [(0, c) for c in range(1, 9)]
    assert ctx.report_empty(grid, cells, "State LEA ID", first=True)
    assert [(code, cell) for code, cell, _ in problems(ctx)] == [("cell-error", "D1")]


def test_empty_answers_that_are_truly_empty_are_not_reported():
    ctx = context(errors=lambda name: {(9, 9): "#REF!"})
    extract_capacity(capacity_grid([(USE_DATA, 2.0, ""), (ENGAGE, "", "N")]), "WRE", ctx)
    assert problems(ctx) == []


def test_error_values_in_ratings_fields_and_amounts_of_a_real_workbook(tmp_path):
    tool = default_tool(lea_id="#REF!")
    capacity, _, tta = tool.ratings["WRE"][0]
    tool.ratings["WRE"][0] = (capacity, "#DIV/0!", tta)
    capacity, rating, _ = tool.ratings["SHS"][1]
    tool.ratings["SHS"][1] = (capacity, rating, "#N/A")
    tool.needs[0] = (*tool.needs[0][:6], "#VALUE!", None)
    a = read_workbook(write_tool(tmp_path / "error-values.xlsx", tool))
    found = {(p.code, p.sheet, p.message.split(" holds the error value ")[-1].split(";")[0])
             for p in a.problems.itertuples()}
    assert found == {("cell-error", "1. LEA Information", "#REF!"), ("cell-error", "4a. Analyze WRE Needs", "#DIV/0!"),
                     ("cell-error", "4b. Analyze SHS Needs", "#N/A"),
                     ("cell-error", "5. Address Prioritized Needs", "#VALUE!")}
    assert len(a.ratings) == 9 and list(a.files.status) == ["read"]


def test_a_t_ta_formula_whose_saved_result_is_empty_text_is_no_problem(tmp_path):
    tool = default_tool()
    capacity, rating, _ = tool.ratings["SHS"][1]
    tool.ratings["SHS"][1] = (capacity, rating, '=IF(1,"","")')
    path = write_tool(tmp_path / "tta-formula.xlsx", tool)
    uncached = read_workbook(path)  # as openpyxl writes it: no saved value
    assert [(p.code, p.cell) for p in uncached.problems.itertuples()] == [("formula-no-value", "C21")]
    # as Excel and LibreOffice save it once calculated: a text formula whose value is ""
    part = "xl/worksheets/sheet" + str(1 + [n.lower() for n in openpyxl.load_workbook(path).sheetnames]
                                       .index("4b. analyze shs needs")) + ".xml"
    hostile._rewrite(path, path, part, lambda xml: xml.replace(b'<c r="C21"', b'<c t="str" r="C21"', 1))
    calculated = read_workbook(path)
    assert calculated.problems.empty and list(calculated.files.status) == ["read"]
    assert len(calculated.ratings) == 9


@pytest.mark.parametrize("label", ["=A1", "#REF!"])
def test_a_capacity_label_without_a_text_value_in_a_workbook(tmp_path, label):
    tool = default_tool()
    _, rating, tta = tool.ratings["EUT"][0]
    tool.ratings["EUT"][0] = (label, rating, tta)
    a = read_workbook(write_tool(tmp_path / "capacity-label.xlsx", tool))
    eut = a.ratings[a.ratings.area == "EUT"]
    assert list(eut.capacity_key) == ["use_data", "engage_partners", "sustain"]
    assert list(eut.rating) == [2, 3, 1] and len(a.ratings) == 9 and list(a.files.status) == ["read"]
    [p] = a.problems.itertuples()
    assert (p.sheet, p.cell) == ("4c. Analyze EUT Needs", "A20")
    assert p.code == ("formula-no-value" if label.startswith("=") else "row-label-missing")


# ---------------------------------------------------------------- indicator values calamine reads as empty
def data_grid(rows: list[tuple[Any, ...]]) -> Grid:
    """A WRE data tab: header in row 3, indicator rows from A4 (District in D, one school in E, State in F)."""
    head = [["Well-Rounded Education Data"], [], ["Indicator", "Data year", "Source", "District",
                                                   "Lincoln Elementary", "Unused school", "State"]]
    return Grid("3a. WRE Data", head + [list(r) for r in rows])


ELA = ("Percent proficient in ELA", "2024-25", "State report card")
GRAD = ("Four-year graduation rate", "2024-25", "State report card")


def test_unused_columns_cost_no_look_at_the_sheet_xml():
    looked, asked = Looked(), []
    ctx = context(looked, lambda name: asked.append(name) or {})
    grid = data_grid([(*ELA, 0.42, 0.35, "", 0.45), (*GRAD, 88.0, 84.0, "", 87.0)])
    rows, _ = extract_indicators(grid, "WRE", ctx)
    assert len(rows) == 6 and not problems(ctx) and looked.asked == [] and asked == []


def test_a_formula_without_a_saved_value_in_a_data_cell_is_reported():
    ctx = context(Looked({(3, 3)}))
    grid = data_grid([(*ELA, "", 0.35, "", 0.45), (*GRAD, 88.0, 84.0, "", 87.0)])
    rows, _ = extract_indicators(grid, "WRE", ctx)
    assert len(rows) == 5
    [(code, cell, message)] = problems(ctx)
    assert (code, cell) == ("formula-no-value", "D4") and "indicator value" in message


def test_an_error_value_in_a_data_cell_is_reported():
    ctx = context(errors=lambda name: {(4, 4): "#REF!", (4, 6): "#DIV/0!"})
    grid = data_grid([(*ELA, 0.42, 0.35, "", 0.45), (*GRAD, 88.0, "", "", "")])
    rows, _ = extract_indicators(grid, "WRE", ctx)
    assert len(rows) == 4
    assert [(c, cell) for c, cell, _ in problems(ctx)] == [("cell-error", "E5"), ("cell-error", "G5")]
    assert "#REF!" in problems(ctx)[0][2] and "Four-year graduation rate" in problems(ctx)[0][2]


def test_a_whole_empty_row_in_used_columns_is_looked_at():
    ctx = context(Looked({(4, 3), (4, 4), (4, 6)}))
    grid = data_grid([(*ELA, 0.42, 0.35, "", 0.45), (*GRAD, "", "", "", "")])
    extract_indicators(grid, "WRE", ctx)
    [(code, cell, message)] = problems(ctx)
    assert (code, cell) == ("formula-no-value", "D5") and "2 more cells" in message


def test_an_indicator_row_with_numbers_but_no_label_is_reported_with_its_values():
    ctx = context(errors=lambda name: {(4, 0): "#REF!"})
    grid = data_grid([(*ELA, 0.42, 0.35, "", 0.45), ("", "2024-25", "", 88.0, 84.0, "", 87.0),
                      (*GRAD, 90.0, 91.0, "", 89.0), ("", "", "", "%", "%", "", "%")])
    rows, _ = extract_indicators(grid, "WRE", ctx)
    assert len(rows) == 6
    [(code, cell, message)] = problems(ctx)
    assert (code, cell) == ("row-label-missing", "A5")
    assert "#REF!" in message and 'district "88"' in message and 'state "87"' in message


def test_error_and_formula_cells_of_a_real_workbook(tmp_path):
    tool = default_tool()
    label, district, school, state = tool.indicators["WRE"][0]
    tool.indicators["WRE"][0] = (label, "=40+2", school, "#REF!")
    a = read_workbook(write_tool(tmp_path / "data-cells.xlsx", tool))
    found = {(p.code, p.sheet, p.cell) for p in a.problems.itertuples()}
    assert found == {("formula-no-value", "3a. WRE Data", "D4"), ("cell-error", "3a. WRE Data", "F4")}
    assert list(a.files.status) == ["read"]


def test_error_cells_lists_the_error_values_of_a_sheet(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws["A1"], ws["B2"], ws["C3"], ws["D4"] = "#REF!", "#DIV/0!", "text", "=1/0"
    wb.save(tmp_path / "errors.xlsx")
    container = open_container((tmp_path / "errors.xlsx").read_bytes(), suffix=".xlsx")
    try:
        (sheet,) = container.sheets
        assert container.error_cells(sheet) == {(0, 0): "#REF!", (1, 1): "#DIV/0!"}
    finally:
        container.close()


# ---------------------------------------------------------------- a tool whose tabs cannot be loaded
def _damage(path, source, parts):
    damaged = hostile._rewrite(path, source, "", None)
    for i in parts:  # the tags of the sheet data no longer close
        hostile._rewrite(damaged, damaged, f"xl/worksheets/sheet{i}.xml",
                         lambda xml: xml.replace(b"</sheetData>", b"</sheetDta>"))
    return damaged


def test_a_tool_whose_tabs_are_all_damaged_fails_naming_them(tmp_path):
    a = read_workbook(_damage(tmp_path / "damaged.xlsx", write_tool(tmp_path / "src.xlsx"), range(1, 12)))
    assert list(a.files.status) == ["failed"]
    unread = a.problems[a.problems.code == "tab-unreadable"]
    assert {"1. LEA Information", "4a. Analyze WRE Needs", "5. Address Prioritized Needs"} <= set(unread.sheet)
    assert set(a.problems.code) == {"tab-unreadable", "no-analysis-or-needs"}


def test_a_blank_tool_with_a_damaged_tab_is_not_called_blank(tmp_path):
    src = write_tool(tmp_path / "blank.xlsx", default_tool(blank=True))
    assert list(read_workbook(src).files.status) == ["blank"]
    a = read_workbook(_damage(tmp_path / "damaged.xlsx", src, [9]))  # the prioritized-needs tab
    assert list(a.files.status) == ["failed"]
    assert [(p.code, p.sheet) for p in a.problems.itertuples()] == [("tab-unreadable",
                                                                     "5. Address Prioritized Needs")]
