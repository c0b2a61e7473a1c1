"""read_workbook on small tools built here, one layout variation per test."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from hostile import QUESTIONS, default_tool, write_tool
from needsassess.read import read_workbook
from needsassess.tables import READER_TABLES


def read(tmp_path, name="tool.xlsx", **changes):
    return read_workbook(write_tool(tmp_path / name, default_tool(**changes)))


def codes(a) -> list[str]:
    return list(a.problems["code"])


def test_clean_tool_gives_every_table_with_provenance(tmp_path):
    a = read(tmp_path)
    assert a.ok and list(a.files["status"]) == ["read"] and codes(a) == []
    for name, table in a.tables.items():
        assert list(table.columns[: len(READER_TABLES[name])]) == READER_TABLES[name]
    lea = a.leas.iloc[0]
    assert (lea.file, lea.lea_name, lea.lea_id, lea.nces_id, lea.school_year) == \
        ("tool.xlsx", "Springfield Unified", "SP-001", "0612345", "2025-26")
    assert lea.allocation == 45000 and lea.date_completed == pd.Timestamp("2026-03-15")
    r = a.responses
    assert len(r) == 7 and list(r.area) == ["WRE"] * 3 + ["SHS"] * 2 + ["EUT"] * 2
    assert list(r.question_no) == [1, 2, 3, 1, 2, 1, 2]
    first = r.iloc[0]
    assert first.question == QUESTIONS["WRE"][0] and first.template_question == QUESTIONS["WRE"][0]
    assert (first.sheet, first.cell) == ("4a. Analyze WRE Needs", "B9")
    assert first.answer.startswith("WRE answer 1") and not first.placeholder
    g = a.ratings
    assert len(g) == 9 and list(g.rating[:3]) == [2, 3, 1] and list(g.tta_wanted[:3]) == [True, False, True]
    assert list(g.capacity_key[:3]) == ["use_data", "engage_partners", "sustain"]
    n = a.needs
    assert list(n.priority) == [1, 2, 3] and list(n.area) == ["WRE", "SHS", "EUT"]
    assert list(n.amount) == [20000, 12500, 12000] and list(n.evidence_level) == ["strong", "moderate", "promising"]
    assert list(n.row) == [4, 5, 6] and n.infrastructure_amount.iloc[2] == 3000
    ind = a.indicators
    ela = ind[ind.indicator == "ela_proficient"]
    assert list(ela.level) == ["district", "school", "state"] and list(ela.value) == pytest.approx([42, 35, 45])
    assert ela.school.iloc[1] == "Lincoln Elementary" and ela.cell.iloc[0] == "D4"
    suppressed = ind[(ind.indicator == "expulsions") & (ind.level == "school")].iloc[0]
    assert pd.isna(suppressed.value) and suppressed.raw == "<5"


def test_answers_below_questions_not_merged(tmp_path):
    a = read(tmp_path, answers_below=True, merged=False)
    r = a.responses
    assert len(r) == 7 and r.iloc[0].cell == "A10" and r.iloc[0].answer.startswith("WRE answer 1")
    assert list(r.question_no[:3]) == [1, 2, 3]


def test_banner_rows_and_inserted_columns_shift_nothing(tmp_path):
    base = read(tmp_path, "a.xlsx")
    moved = read(tmp_path, "b.xlsx", banner=3, offset_cols=2)
    for name in ("responses", "ratings", "needs"):
        cols = [c for c in READER_TABLES[name] if c not in ("file", "sheet", "cell", "row")]
        pd.testing.assert_frame_equal(base.tables[name][cols], moved.tables[name][cols])
    assert moved.responses.iloc[0].cell == "D12" and list(moved.needs.row) == [7, 8, 9]
    assert moved.leas.iloc[0].lea_id == "SP-001"


def test_renamed_and_cut_tab_names(tmp_path):
    names = {"lea_info": "District Information", "analysis_WRE": "Step 4a Analyze WRE Needs",
             "analysis_SHS": "Analysis - Safe and Healthy", "analysis_EUT": "4c. Analyze Effective Use of Te",
             "needs": "Copy of Prioritized Needs (2)", "data_SHS": "3B) Safe and Healthy Data"}
    a = read(tmp_path, names=names)
    tabs = a.tabs.set_index("sheet")
    assert tabs.loc["4c. Analyze Effective Use of Te", "area"] == "EUT"
    assert tabs.loc["Analysis - Safe and Healthy", ["role", "area"]].tolist() == ["analysis", "SHS"]
    assert tabs.loc["Copy of Prioritized Needs (2)", "role"] == "needs"
    assert len(a.responses) == 7 and len(a.needs) == 3 and a.leas.iloc[0].lea_name == "Springfield Unified"


def test_tabs_found_by_colour_alone(tmp_path):
    names = {"lea_info": "Cover Sheet", "analysis_WRE": "Reflection WRE", "analysis_SHS": "Reflection SHS",
             "analysis_EUT": "Reflection EUT", "needs": "Action Plan", "data_WRE": "WRE Indicators"}
    colours = {"analysis_SHS": (7, 0.4), "needs": (9, -0.25)}  # theme colours with tints
    a = read(tmp_path, names=names, colours=colours)
    tabs = a.tabs.set_index("sheet")
    assert tabs.loc["Reflection SHS", ["role", "area", "hue"]].tolist() == ["analysis", "SHS", "purple"]
    assert tabs.loc["Action Plan", ["role", "hue"]].tolist() == ["needs", "orange"]
    assert tabs.loc["Cover Sheet", "role"] == "lea_info"
    assert len(a.responses) == 7 and len(a.needs) == 3 and len(a.ratings) == 9
    assert a.leas.iloc[0].lea_id == "SP-001"


def test_analysis_area_from_title_then_order(tmp_path):
    # purple tabs named without an area: the title cell tells the area
    names = {"analysis_WRE": "Reflection 1", "analysis_SHS": "Reflection 2", "analysis_EUT": "Reflection 3"}
    a = read(tmp_path, names=names)
    tabs = a.tabs.set_index("sheet")
    assert tabs.loc[["Reflection 1", "Reflection 2", "Reflection 3"], "area"].tolist() == ["WRE", "SHS", "EUT"]
    assert "tab-area-unknown" not in codes(a)


def test_hidden_and_reordered_tabs(tmp_path):
    order = ("needs", "analysis_EUT", "lea_info", "analysis_WRE", "analysis_SHS")
    a = read(tmp_path, hidden=("analysis_SHS",), order=order)
    assert len(a.responses) == 7
    hidden = a.problems[a.problems.code == "tab-hidden"]
    assert list(hidden.sheet) == ["4b. Analyze SHS Needs"]
    assert list(a.responses.area.unique()) == ["WRE", "SHS", "EUT"]  # area order, not tab order


def test_capacity_columns_in_another_order_with_rating_words(tmp_path):
    a = read(tmp_path, capacity_order=("tta", "capacity", "rating"), capacity_words=True)
    g = a.ratings
    assert list(g.rating[:3]) == [2, 3, 1] and list(g.raw[:3]) == ["Developing", "Proficient", "Beginning"]
    assert list(g.tta_wanted[:3]) == [True, False, True] and g.cell.iloc[0] == "C24"


def test_invalid_rating_and_tta_are_reported_and_row_kept(tmp_path):
    ratings = {"WRE": [("Using data to identify needs and gaps", "great", "maybe")]}
    a = read(tmp_path, ratings=ratings)
    row = a.ratings.iloc[0]
    assert pd.isna(row.rating) and pd.isna(row.tta_wanted) and row.raw == "great"
    probs = a.problems.set_index("code")
    assert probs.loc["rating-invalid", "cell"] == "B24" and '"great"' in probs.loc["rating-invalid", "message"]
    assert probs.loc["tta-invalid", "cell"] == "C24"


def test_needs_per_area_without_rank_column_amounts_as_text(tmp_path):
    a = read(tmp_path, needs_per_area=True, rank_column=False)
    n = a.needs
    assert list(n.sheet) == ["5a. Prioritized Needs WRE", "5b. Prioritized Needs SHS", "5c. Prioritized Needs EUT"]
    assert list(n.priority) == [1, 1, 1] and list(n.area) == ["WRE", "SHS", "EUT"]
    assert list(n.amount) == [20000, 12500, 12000]


def test_amount_that_is_not_a_number_gives_exact_message(tmp_path):
    needs = [(1, "WRE", "Need", "Outcome", "Activity", "Strong", "twelve thousand", None)]
    a = read(tmp_path, needs=needs)
    assert pd.isna(a.needs.amount.iloc[0])
    p = a.problems[a.problems.code == "number-invalid"].iloc[0]
    assert (p.sheet, p.cell, p.severity) == ("5. Address Prioritized Needs", "G4", "warning")
    assert p.message == "cell G4 on '5. Address Prioritized Needs': amount \"twelve thousand\" is not a number"


def test_needs_with_odd_rank_area_and_evidence(tmp_path):
    needs = [("first", "Well-Rounded Education", "N1", "O1", "A1", "Tier I", 100, None),
             (None, "Arts", "N2", "O2", "A2", "Anecdotal", 200, None)]
    a = read(tmp_path, needs=needs)
    n = a.needs
    assert list(n.priority) == [1, 2] and list(n.area) == ["WRE", ""]
    assert list(n.evidence_level) == ["strong", ""] and list(n.raw_evidence_level) == ["Tier I", "Anecdotal"]
    assert {"priority-invalid", "area-invalid", "evidence-invalid"} <= set(codes(a))


def test_paraphrased_numbered_and_unknown_questions(tmp_path):
    questions = {
        "WRE": ["Q1. Compare the strengths and gaps of your selected schools with the district",  # alias, numbered
                "2) What got in the way of last year's arts plan?",                                 # not in template
                "3. Describe the partnerships you rely on"],                                        # numbered prompt
        "SHS": ["How do school climate and safety at the selected schools compare with the district as a whole?"],
        "EUT": ["What factors contribute to the technology needs you see?"],
    }
    a = read(tmp_path, questions=questions)
    wre = a.responses[a.responses.area == "WRE"]
    assert list(wre.question_no) == [1, 2, 3]
    assert wre.question.iloc[0].startswith("Q1.")
    assert wre.template_question.iloc[0] == QUESTIONS["WRE"][0] and wre.template_question.iloc[1] == ""


def test_answer_ending_with_question_mark_is_not_a_question(tmp_path):
    answers = {"WRE": ["Why do fewer students enroll in arts? Schedules clash.", "Because of funding?", "Yes"]}
    a = read(tmp_path, answers=answers, answers_below=True, merged=False)
    wre = a.responses[a.responses.area == "WRE"]
    assert list(wre.answer) == answers["WRE"] and list(wre.question_no) == [1, 2, 3]


def test_placeholder_answers_kept_and_flagged_empty_answers_dropped(tmp_path):
    answers = {"WRE": ["N/A", "", "see above"], "SHS": ["Real answer", "Same as above"], "EUT": ["x", "y"]}
    a = read(tmp_path, answers=answers)
    wre = a.responses[a.responses.area == "WRE"]
    assert list(wre.question_no) == [1, 3] and list(wre.placeholder) == [True, True]
    missing = a.problems[a.problems.code == "answer-missing"]
    assert list(missing.cell) == ["A13"]


def test_lea_fields_typed_loosely(tmp_path):
    a = read(tmp_path, nces_id=612345.0, lea_id=5078.0, allocation="$45,000.00", date_completed="3/15/2026",
             school_year="2025-2026")
    lea = a.leas.iloc[0]
    assert (lea.nces_id, lea.lea_id, lea.school_year) == ("0612345", "5078", "2025-26")
    assert lea.allocation == 45000 and lea.date_completed == pd.Timestamp("2026-03-15")


def test_lea_field_invalid_is_reported(tmp_path):
    a = read(tmp_path, allocation="about forty thousand", date_completed="soon")
    p = a.problems[a.problems.code == "field-invalid"]
    assert set(p.cell) == {"B7", "B8"} and pd.isna(a.leas.iloc[0].allocation)


def test_missing_identity_is_an_error_and_rows_carry_the_file_name(tmp_path):
    a = read(tmp_path, lea_name=None, lea_id=None, nces_id=None)
    assert "lea-identity-missing" in codes(a) and not a.ok
    assert a.leas.iloc[0].lea_id == "tool.xlsx" and set(a.responses.lea_id) == {"tool.xlsx"}
    assert list(a.files.status) == ["partial"]


def test_state_id_missing_falls_back_to_nces_id(tmp_path):
    a = read(tmp_path, lea_id=None)
    assert a.leas.iloc[0].lea_id == "0612345"
    assert "field-missing" not in codes(a) and "field-empty" in codes(a)


def test_uncached_formula_in_a_required_field(tmp_path):
    a = read(tmp_path, allocation="=40000+5000")
    p = a.problems[a.problems.code == "formula-no-value"].iloc[0]
    assert (p.sheet, p.cell) == ("1. LEA Information", "B7") and "recalculate" in p.message


def test_unknown_indicator_kept_under_its_label(tmp_path):
    indicators = {"WRE": [("Percent of students in robotics club", 0.1, 0.2, 0.3)]}
    a = read(tmp_path, indicators=indicators)
    row = a.indicators.iloc[0]
    assert (row.indicator, row.indicator_key, row.unit) == ("Percent of students in robotics club", "", "")
    assert "indicator-unknown" in codes(a)


def test_indicator_text_in_number_cell(tmp_path):
    indicators = {"WRE": [("Four-year graduation rate", "about ninety", 84, 87)]}
    a = read(tmp_path, indicators=indicators)
    p = a.problems[a.problems.code == "number-invalid"].iloc[0]
    assert p.cell == "D4" and '"about ninety"' in p.message


def test_blank_copy_of_the_tool_is_skipped_with_a_warning(tmp_path):
    a = read(tmp_path, blank=True)
    assert list(a.files.status) == ["blank"] and codes(a) == ["blank-tool"] and a.ok
    assert a.leas.empty and a.responses.empty


def test_workbook_without_analysis_or_needs_is_an_error(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "1. LEA Information"
    wb.active["A1"], wb.active["B1"] = "LEA name", "Springfield"
    wb.create_sheet("Instructions")
    wb.save(tmp_path / "partial.xlsx")
    a = read_workbook(tmp_path / "partial.xlsx")
    assert "no-analysis-or-needs" in codes(a) and list(a.files.status) == ["failed"] and a.leas.empty


def test_some_other_workbook_is_not_the_tool(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Budget 2026"
    wb.active["A1"] = "Line item"
    wb.create_sheet("Staff")
    wb.save(tmp_path / "other.xlsx")
    a = read_workbook(tmp_path / "other.xlsx")
    assert codes(a) == ["not-the-tool"] and list(a.files.status) == ["failed"]
    assert a.problems.iloc[0].severity == "error"


def test_tab_found_by_content_when_name_and_colour_say_nothing(tmp_path):
    names = {"needs": "Plan", "lea_info": "About us"}
    a = read(tmp_path, names=names, colours={"needs": None, "lea_info": None})
    tabs = a.tabs.set_index("sheet")
    assert tabs.loc["Plan", "role"] == "needs" and tabs.loc["About us", "role"] == "lea_info"
    assert len(a.needs) == 3 and a.leas.iloc[0].lea_id == "SP-001"


def test_date_completed_column_is_datetime(tmp_path):
    a = read(tmp_path, date_completed=dt.datetime(2026, 3, 15, 9, 30))
    assert str(a.leas.date_completed.dtype).startswith("datetime64")


def test_unreadable_tab_is_an_error_and_the_rest_is_read(tmp_path):
    import hostile

    good = write_tool(tmp_path / "good.xlsx")
    bad = hostile.sheet_part_removed(tmp_path / "bad.xlsx", good, sheet_no=6)  # 4a. Analyze WRE Needs
    a = read_workbook(bad)
    p = a.problems.iloc[0]
    assert (p.code, p.severity, p.sheet) == ("tab-unreadable", "error", "4a. Analyze WRE Needs")
    assert list(a.files.status) == ["partial"] and set(a.responses.area) == {"SHS", "EUT"}
    assert not a.tabs.set_index("sheet").loc["4a. Analyze WRE Needs", "read"]


@pytest.mark.parametrize("below", [False, True])
def test_answer_that_echoes_its_question_stays_an_answer(tmp_path, below):
    q = "Where do the selected schools need support, and is that need district-wide?"
    echo = "The selected schools need the most support, but much of the need is shared district-wide."
    questions = dict(QUESTIONS, WRE=[q, QUESTIONS["WRE"][1]])
    a = read(tmp_path, questions=questions, answers={"WRE": [echo, "Staffing."]}, answers_below=below)
    wre = a.responses[a.responses.area == "WRE"]
    assert list(wre.question) == [q, QUESTIONS["WRE"][1]] and list(wre.answer) == [echo, "Staffing."]
