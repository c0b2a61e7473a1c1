"""Layouts a State's own variant of the tool may use, built cell by cell."""

from __future__ import annotations

import openpyxl
import pytest

from hostile import write_sheets
from needsassess.read import read_file, read_workbook
from needsassess.template import load_template

PURPLE, ORANGE, BLUE = "FF7030A0", "FFFFC000", "FF4472C4"




LEA = {"A1": "LEA name: Lakeside Schools", "A2": "State-assigned LEA ID number", "B2": "LK-9",
       "A3": "Title IV-A allocation", "B3": 31000}


def test_inline_label_values_and_long_labels(tmp_path):
    p = write_sheets(tmp_path / "v.xlsx", {
        "LEA Info": (BLUE, LEA),
        "Needs": (ORANGE, {"A1": "Need", "B1": "Desired outcome", "C1": "Activity", "A2": "n", "B2": "o", "C2": "a"}),
    })
    a = read_workbook(p)
    lea = a.leas.iloc[0]
    assert (lea.lea_name, lea.lea_id, lea.allocation) == ("Lakeside Schools", "LK-9", 31000)


def test_capacity_marked_with_x_under_scale_columns(tmp_path):
    cells = {"A1": "Analyze WRE Needs",
             "A3": "What factors contribute to the needs you see in well-rounded education?", "B3": "Staffing.",
             "A6": "Capacity", "B6": "1 - Beginning", "C6": "2 - Developing", "D6": "3 - Proficient",
             "E6": "4 - Advanced", "F6": "Want T/TA?",
             "A7": "Using data to identify needs and gaps", "C7": "X", "F7": "Yes, on data dashboards",
             "A8": "Sustainability planning", "E8": "x", "F8": "No",
             "A9": "Engaging partners"}
    p = write_sheets(tmp_path / "x.xlsx", {"LEA": (BLUE, LEA), "4a. Analyze WRE Needs": (PURPLE, cells)})
    a = read_workbook(p)
    g = a.ratings
    assert list(g.capacity) == ["Using data to identify needs and gaps", "Sustainability planning"]
    assert list(g.rating) == [2, 4] and list(g.tta_wanted) == [True, False]
    assert list(g.cell) == ["C7", "E8"] and list(g.capacity_key) == ["use_data", "sustain"]
    assert list(a.responses.answer) == ["Staffing."]


def test_questions_numbered_in_their_own_column_answers_in_merged_boxes_below(tmp_path):
    cells = {"A1": "4b. Safe and Healthy Students: analysis", "A3": "Guiding questions",
             "A4": 1, "B4": "Tell us about attendance patterns in the selected schools", "B5": "Attendance dips in winter.",
             "A10": 2, "B10": "Describe discipline trends over three years", "B11": "Suspensions fell.",
             "A16": 3, "B16": "List the partners you work with", "B17": "County health department",
             "B18": "Local police"}
    merges = {"SHS": ["B5:F9", "B11:F15"]}
    p = write_sheets(tmp_path / "q.xlsx", {"LEA": (BLUE, LEA), "SHS": (PURPLE, cells),
                                   "Plan": (ORANGE, {"A1": "Need", "B1": "Outcome", "C1": "Activity",
                                                     "A2": "n", "B2": "o", "C2": "a"})},
             merges=merges)
    a = read_workbook(p)
    r = a.responses
    assert list(r.area) == ["SHS"] * 3 and list(r.question_no) == [1, 2, 3]
    assert list(r.cell) == ["B5", "B11", "B17"]
    assert list(r.answer) == ["Attendance dips in winter.", "Suspensions fell.",
                              "County health department\nLocal police"]


def test_two_needs_tables_on_one_tab_take_their_area_from_titles(tmp_path):
    head = ["Rank", "Need", "Desired outcome", "Program or activity", "Amount"]
    cells = {"A1": "Well-Rounded Education"}
    cells.update({f"{c}2": h for c, h in zip("ABCDE", head)})
    cells.update({"A3": 1, "B3": "Arts access", "C3": "More arts", "D3": "Hire teacher", "E3": "$5,000"})
    cells.update({"A6": "Safe and Healthy Students"})
    cells.update({f"{c}7": h for c, h in zip("ABCDE", head)})
    cells.update({"A8": 1, "B8": "Absenteeism", "C8": "Fewer absences", "D8": "Mentors", "E8": 7000,
                  "A9": 2, "B9": "Bullying", "C9": "Safer halls", "D9": "Training", "E9": "(500)"})
    p = write_sheets(tmp_path / "n.xlsx", {"LEA": (BLUE, LEA), "5. Prioritized Needs": (ORANGE, cells)})
    a = read_workbook(p)
    n = a.needs
    assert list(n.area) == ["WRE", "SHS", "SHS"] and list(n.priority) == [1, 1, 2]
    assert list(n.amount) == [5000, 7000, -500] and list(n.row) == [3, 8, 9]


def test_file_that_breaks_the_reader_becomes_a_read_failed_error(tmp_path, monkeypatch):
    import needsassess.workbook as reader

    p = write_sheets(tmp_path / "boom.xlsx", {"LEA": (BLUE, LEA), "Needs": (ORANGE, {"A1": "Need", "B1": "Outcome",
                                                                           "C1": "Activity", "A2": "n"})})

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(reader, "extract_needs", explode)
    res = read_file(str(p), "boom.xlsx", load_template())
    assert res.status == "failed" and [x.code for x in res.problems] == ["read-failed"]
    assert "RuntimeError: boom" in res.problems[0].message


def test_undecodable_file_name_is_shown_with_replacement_characters(tmp_path):
    import os

    p = write_sheets(tmp_path / "ok.xlsx", {"LEA": (BLUE, LEA), "Needs": (ORANGE, {"A1": "Need", "B1": "Outcome",
                                                                         "C1": "Activity", "A2": "n"})})
    odd = os.fsdecode(bytes(tmp_path) + b"/caf\xe9.xlsx")
    os.rename(p, odd)
    from needsassess.read import read_folder

    a = read_folder(tmp_path)
    assert list(a.files.file) == ["caf\ufffd.xlsx"] and list(a.files.status) == ["read"]
    assert "file-name-encoding" in set(a.problems.code)
    a.to_csv(tmp_path / "out")  # the name is valid text now


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_needs_tab_is_read_and_reported(tmp_path, state):
    p = write_sheets(tmp_path / "h.xlsx", {"LEA": (BLUE, LEA), "Needs": (ORANGE, {"A1": "Need", "B1": "Outcome",
                                                                        "C1": "Activity", "A2": "n"})})
    wb = openpyxl.load_workbook(p)
    wb["Needs"].sheet_state = state
    wb.save(p)
    a = read_workbook(p)
    assert len(a.needs) == 1 and "tab-hidden" in set(a.problems.code)
    assert bool(a.tabs.set_index("sheet").loc["Needs", "hidden"])


def test_lettered_prompts_and_a_cost_column(tmp_path):
    cells = {"A1": "Reflection: Effective Use of Technology", "A3": "Questions",
             "A4": "a) Describe how teachers use devices in class", "A5": "Mostly for testing.",
             "A7": "b) Describe home connectivity for your students", "A8": "About 70% have broadband."}
    plan = {"A1": "Need", "B1": "Desired outcome", "C1": "Activity", "D1": "Estimated cost of activity",
            "A2": "Old devices", "B2": "1:1", "C2": "Refresh", "D2": "$9,000"}
    p = write_sheets(tmp_path / "l.xlsx", {"LEA": (BLUE, LEA), "EUT": (PURPLE, cells), "Plan": (ORANGE, plan)})
    a = read_workbook(p)
    assert list(a.responses.answer) == ["Mostly for testing.", "About 70% have broadband."]
    assert list(a.responses.area) == ["EUT", "EUT"] and list(a.needs.amount) == [9000]


def test_same_state_id_with_different_nces_ids_is_two_leas(tmp_path):
    from needsassess.read import read_folder

    plan = {"A1": "Need", "B1": "Outcome", "C1": "Activity", "A2": "n", "B2": "o", "C2": "a"}
    for name, nces in (("a.xlsx", "0700001"), ("b.xlsx", "0700002"), ("c.xlsx", "0700002")):
        lea = dict(LEA, A4="NCES LEA ID", B4=nces)
        write_sheets(tmp_path / name, {"LEA": (BLUE, lea), "Plan": (ORANGE, plan)})
    a = read_folder(tmp_path)
    # b and c are one LEA (same State and NCES IDs): the later file is kept
    assert dict(zip(a.files.file, a.files.status)) == {"a.xlsx": "read", "b.xlsx": "duplicate", "c.xlsx": "read"}
