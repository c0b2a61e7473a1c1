"""State variants of the tool: wordings and layouts the shipped generator does not write.

Each test builds a small workbook cell by cell in ``tmp_path`` with the one
layout pattern it is about (found in States' adapted copies of the tool):
other label wordings, values two columns right of or below their label,
two-row table headers, prompts without "?", empty answer boxes, capacity
columns in another order, and workbooks that only wear the tool's colours.
"""

from __future__ import annotations

import pandas as pd
import pytest

from hostile import write_sheets
from needsassess.read import read_workbook
from needsassess.template import default_template_path
from needsassess.values import parse_school_year

PURPLE, ORANGE, BLUE = "FF7030A0", "FFED7D31", "FF4472C4"
PLAN = {"A1": "Need", "B1": "Desired outcome", "C1": "Activity", "A2": "Old devices", "B2": "1:1", "C2": "Refresh"}
LEA = {"A1": "LEA Name:", "B1": "Lakeside Schools", "A2": "State LEA ID", "B2": "LK-9",
       "A3": "Title IV-A allocation", "B3": 31000}




def analysis(tmp_path, cells, merges=(), name="4b. Analyze SHS Needs", template=None):
    p = write_sheets(tmp_path / "a.xlsx", {"LEA": (BLUE, LEA), name: (PURPLE, cells), "Plan": (ORANGE, PLAN)},
             merges={name: list(merges)})
    return read_workbook(p, template=template)


def codes_at(a, code: str) -> list[str]:
    return list(a.problems[a.problems.code == code].cell)


# ---------------------------------------------------------------- LEA information

def test_lea_labels_worded_by_a_state_with_values_two_columns_right(tmp_path):
    cells = {"B2": "Section 1: LEA Information",
             "B4": "LEA/District:", "D4": "Lakeside Schools",
             "B5": "State-assigned LEA ID", "D5": "LK-0042",
             "B6": "Federal NCES ID", "D6": 612345,          # typed as a number: the leading zero is gone
             "B7": "For School Year", "D7": "2025 - 2026",
             "B8": "Title IV-A Coordinator", "D8": "Ana Ruiz",
             "B9": "Total Title IV-A Award", "D9": "$ 92,000.50",
             "B10": "Date Tool Completed", "D10": "March 3, 2026",
             "B11": "Stakeholder groups involved", "D11": "Principals, families"}
    a = read_workbook(write_sheets(tmp_path / "l.xlsx", {"District Info": (BLUE, cells), "Plan": (ORANGE, PLAN)}))
    lea = a.leas.iloc[0]
    assert (lea.lea_name, lea.lea_id, lea.nces_id, lea.school_year) == ("Lakeside Schools", "LK-0042", "0612345",
                                                                      "2025-26")
    assert lea.allocation == 92000.50 and lea.date_completed == pd.Timestamp("2026-03-03")
    assert (lea.contact_name, lea.stakeholders) == ("Ana Ruiz", "Principals, families")
    assert a.problems[a.problems.code.str.startswith("field")].empty


def test_lea_values_below_their_labels(tmp_path):
    labels = ["Name of School District", "District ID (State)", "NCES District ID #", "SY", "SSAE Allocation Amount"]
    values = ["Lakeside Schools", "LK-0042", "0612345", "SY 2025-26", 45000]
    cells = {}
    for i, (label, value) in enumerate(zip(labels, values)):
        cells[f"A{3 + 2 * i}"], cells[f"A{4 + 2 * i}"] = label, value
    a = read_workbook(write_sheets(tmp_path / "v.xlsx", {"LEA Profile": (BLUE, cells), "Plan": (ORANGE, PLAN)}))
    lea = a.leas.iloc[0]
    assert (lea.lea_name, lea.lea_id, lea.nces_id, lea.school_year, lea.allocation) == \
        ("Lakeside Schools", "LK-0042", "0612345", "2025-26", 45000)


@pytest.mark.parametrize("typed", ["2025-26", "2025-2026", "2025 - 2026", "SY 2025-26", "SY2025-2026", "2025/26",
                                   "2025–26", "School year 2025-2026"])
def test_every_spelling_of_a_school_year_becomes_yyyy_yy(typed):
    assert parse_school_year(typed).value == "2025-26"


# ---------------------------------------------------------------- capacity self-rating

def test_capacity_columns_reordered_without_tta_and_ratings_typed_as_words(tmp_path):
    cells = {"A3": "What factors contribute to attendance, discipline and safety needs?", "B3": "Transportation.",
             "A6": "Rate your capacity in this area",
             "A7": "Self-Rating", "B7": "Capacity Statement",
             "A8": "2 - Developing", "B8": "Using data to identify gaps",
             "A9": "3 = Proficient", "B9": "Engaging partners and families",
             "A10": "advanced", "B10": "Sustaining work after the grant",
             "A11": "1", "B11": "Improving school climate"}
    a = analysis(tmp_path, cells)
    g = a.ratings
    assert list(g.capacity) == ["Using data to identify gaps", "Engaging partners and families",
                                "Sustaining work after the grant", "Improving school climate"]
    assert list(g.rating) == [2, 3, 4, 1] and g.tta_wanted.isna().all()
    assert list(g.cell) == ["A8", "A9", "A10", "A11"]
    assert list(g.capacity_key) == ["use_data", "engage_partners", "sustain", "positive_climate"]


def test_tta_column_worded_as_technical_assistance_requested(tmp_path):
    cells = {"A3": "What factors contribute to attendance, discipline and safety needs?", "B3": "Transportation.",
             "A6": "Our LEA's capacity to...", "B6": "Score (1-4)", "C6": "Technical Assistance Requested (Y/N)",
             "D6": "Notes / Evidence",
             "A7": "Using data to identify gaps", "B7": 2, "C7": "Yes", "D7": "New data system",
             "A8": "Selecting evidence-based programs", "B8": "3", "C8": "N",
             "A9": "Monitoring implementation and measuring impact", "C9": "y"}
    g = analysis(tmp_path, cells).ratings
    assert list(g.tta_wanted) == [True, False, True]
    assert list(g.rating[:2]) == [2, 3] and pd.isna(g.rating.iloc[2])  # T/TA wanted, no rating given


# ---------------------------------------------------------------- prioritized needs

def test_two_row_needs_header_with_group_labels_and_a_hash_priority_column(tmp_path):
    cells = {"B1": "Step 5: Address Prioritized Needs",
             "B3": "#", "C3": "Title IV-A Content Area", "D3": "Prioritized Need", "E3": "Desired Outcome",
             "F3": "Outcome Data", "G3": "Outcome Data", "H3": "Program/Activity", "I3": "Budget", "J3": "Budget",
             "F4": "Baseline", "G4": "Annual Target", "I4": "Technology Infrastructure Amount",
             "J4": "Budgeted Amount"}
    rows = [(2, "Safe/Healthy", "Mental health", "More students served", "120", "250", "Counselor", None,
             "$73,500.25"),
            (1, "Well Rounded Ed.", "Computer science", "More CS students", "4%", "12%", "CS elective", None,
             "49,250"),
            (3, "Technology", "Home internet", "Fewer offline students", "22%", "10%", "Hotspots", 21200, 53000)]
    for r, row in enumerate(rows, start=5):
        cells.update({f"{c}{r}": v for c, v in zip("BCDEFGHIJ", row) if v is not None})
    merges = {"Plan": ["B3:B4", "C3:C4", "D3:D4", "E3:E4", "H3:H4"]}
    p = write_sheets(tmp_path / "n.xlsx", {"LEA": (BLUE, LEA), "Plan": (ORANGE, cells)}, merges)
    n = read_workbook(p).needs
    assert list(n.priority) == [2, 1, 3] and list(n.area) == ["SHS", "WRE", "EUT"]
    assert list(n.amount) == [73500.25, 49250, 53000]
    assert n.infrastructure_amount.isna().tolist() == [True, True, False] and n.infrastructure_amount.iloc[2] == 21200
    assert list(n.baseline) == ["120", "4%", "22%"] and list(n.target) == ["250", "12%", "10%"]
    assert list(n.row) == [5, 6, 7]


def test_a_first_need_of_short_texts_is_not_taken_for_a_sub_header(tmp_path):
    cells = {"A1": "Priority", "B1": "Need", "C1": "Outcome", "D1": "Activity", "E1": "Amount",
             "A2": 1, "B2": "Attendance", "C2": "Fewer absences", "D2": "Mentors", "E2": 5000}
    n = read_workbook(write_sheets(tmp_path / "s.xlsx", {"LEA": (BLUE, LEA), "Plan": (ORANGE, cells)})).needs
    assert list(n.need) == ["Attendance"] and list(n.amount) == [5000]


# ---------------------------------------------------------------- analysis questions

def test_prompts_without_question_marks_and_answer_labels_below_them(tmp_path):
    cells = {"A1": "Step 4: Analyze Safe and Healthy Students Needs",
             "A3": "What contributing factors explain the needs in school climate",
             "A4": "Answer:", "B4": "Bus routes are long.",
             "A8": "Who is most impacted by exclusionary discipline",
             "A9": "Response:",                                  # its answer box B9:F12 was left empty
             "A14": "Describe policies that influence school climate.", "B14": "A new phone policy."}
    a = analysis(tmp_path, cells, merges=["B4:F6", "B9:F12", "B14:F16"])
    r = a.responses
    assert list(r.question) == [cells["A3"], cells["A14"]] and list(r.question_no) == [1, 3]
    assert list(r.answer) == ["Bus routes are long.", "A new phone policy."] and list(r.cell) == ["B4", "B14"]
    assert codes_at(a, "answer-missing") == ["A8"]


def test_prompt_openings_come_from_the_template(tmp_path):
    text = default_template_path().read_text(encoding="utf-8")
    start = text.index("prompt_starts = [")
    custom = tmp_path / "template.toml"
    custom.write_text(text[:start] + "prompt_starts = []\n" + text[text.index("]", start) + 1:], encoding="utf-8")
    cells = {"A3": "Describe the policies that shape school climate", "B3": "A new phone policy."}
    assert list(analysis(tmp_path, cells).responses.answer) == ["A new phone policy."]
    assert analysis(tmp_path, cells, template=custom).responses.empty


def test_title_case_heading_is_a_section_not_a_question(tmp_path):
    cells = {"A1": "Reflect On Your Data", "A3": "1.", "B3": "Describe how attendance differs across schools",
             "C3": "Lower at the middle school.", "A6": "2.", "B6": "Describe what drives discipline referrals",
             "C6": "Hallway conflicts."}
    r = analysis(tmp_path, cells, merges=["C3:G5", "C6:G8"]).responses
    assert list(r.question) == [cells["B3"], cells["B6"]] and list(r.answer) == [cells["C3"], cells["C6"]]


def test_empty_answer_box_under_a_question_is_no_answer_and_hides_no_question(tmp_path):
    cells = {"A2": "Root Cause Discussion",
             "A4": "How do device access and connectivity at the selected schools compare to the district?",
             "A10": "Why do these gaps exist? Consider funding and staffing.",
             "A11": "Broadband is scarce in the county."}
    a = analysis(tmp_path, cells, merges=["A4:F4", "A5:F8", "A10:F10", "A11:F14"], name="4c. Analyze EUT Needs")
    assert list(a.responses.question) == [cells["A10"]] and list(a.responses.answer) == [cells["A11"]]
    assert codes_at(a, "answer-missing") == ["A4"]


def test_next_numbered_question_under_an_unanswered_one_is_a_question(tmp_path):
    cells = {"A3": "Question 4: Describe where support is needed and whether it is district-wide.",
             "A5": "Question 5: Describe subgroup gaps in attendance.",
             "A6": "Students with disabilities are suspended more often."}
    a = analysis(tmp_path, cells)
    assert list(a.responses.question) == [cells["A5"]] and list(a.responses.answer) == [cells["A6"]]
    assert codes_at(a, "answer-missing") == ["A3"]


def test_question_under_an_unanswered_one_where_answers_sit_beside_their_questions(tmp_path):
    cells = {"C2": "Analysis Questions",
             "C4": "How do device access and connectivity at the selected schools compare to the district?",
             "D4": "Devices are older at the selected schools.",
             "C5": "Why do these technology gaps exist? Consider funding and staffing.",
             "C7": "What professional learning have staff received on instructional technology?",
             "C9": "Describe technology needs and whether they are district-wide.", "D9": "See above"}
    a = analysis(tmp_path, cells, name="EUT_Needs_Analysis")
    r = a.responses
    assert list(r.answer) == [cells["D4"], "See above"] and list(r.placeholder) == [False, True]
    assert list(r.question_no) == [1, 4] and codes_at(a, "answer-missing") == ["C5", "C7"]


@pytest.mark.parametrize("header", ["Data Point", "Item"])
def test_indicator_labels_in_the_summary_are_not_questions(tmp_path, header):
    cells = {"A2": header, "B2": "District-wide", "C2": "Title IV-A Schools",
             "A3": "Students in online or blended courses", "B3": 63, "C3": "41%",
             "A4": "Students with home internet access", "B4": 82, "C4": 0.7,
             "A7": "What access do students have to online, blended or advanced courses through technology?",
             "B7": "Only at the high school."}
    a = analysis(tmp_path, cells, name="4c. Analyze EUT Needs")
    assert list(a.responses.answer) == ["Only at the high school."]
    if header == "Data Point":  # a known header: the summary is read when there is no data tab
        ind = a.indicators.set_index(["indicator", "level"]).value
        assert ind[("online_courses", "district")] == 63 and ind[("home_internet", "school")] == 70


# ---------------------------------------------------------------- not the tool

def test_workbook_with_the_tools_tab_colours_but_nothing_of_its_content_is_not_the_tool(tmp_path):
    sales = {"A1": "Regional report", "A3": "Region", "B3": "Rep", "C3": "Units", "D3": "Revenue", "E3": "Target",
             "A4": "North", "B4": "Kim Lee", "C4": 783, "D4": "$197,000.00", "E4": 150000,
             "F4": "Need more leads?"}
    p = write_sheets(tmp_path / "report.xlsx", {"Summary": (ORANGE, sales),
                                        "By product": (PURPLE, {"A1": "Product", "B1": "Units", "A2": "Kit"})})
    a = read_workbook(p)
    assert list(a.files.status) == ["failed"] and list(a.problems.code) == ["not-the-tool"]
    assert a.problems.iloc[0].severity == "error" and a.leas.empty


def test_blank_copy_with_renamed_tabs_is_still_a_blank_tool(tmp_path):
    lea = {"A1": "LEA name", "A2": "State LEA ID", "A3": "NCES LEA ID", "A4": "Title IV-A allocation"}
    plan = {"A1": "Priority", "B1": "Need", "C1": "Desired outcome", "D1": "Activity", "E1": "Amount"}
    p = write_sheets(tmp_path / "blank.xlsx", {"Tab A": (BLUE, lea), "Tab B": (ORANGE, plan)})
    a = read_workbook(p)
    assert list(a.files.status) == ["blank"] and list(a.problems.code) == ["blank-tool"]

