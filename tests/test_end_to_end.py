"""From workbooks to a plan: a corpus whose right answer is obvious to a coordinator.

Twelve LEAs put school climate first and rate their capacity for it at the
bottom of the scale; one LEA alone wants to start an orchestra and asks for
guidance in its answer.  A coordinator would plan group training at a
beginning level for the first and a one-to-one contact for the second.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import needsassess
from hostile import QUESTIONS, Tool, default_tool, write_tool

SHARED = 12


def _ratings(climate: int) -> dict[str, list[tuple[str, int, str]]]:
    rated = [("Using data to identify needs and gaps", 3, "N"),
             ("Engaging families, community and partners", 4, "N")]
    wanted = "Y" if climate <= 2 else "N"
    return {"WRE": rated, "SHS": [*rated, ("Building a positive, safe school climate", climate, wanted)],
            "EUT": rated}


def _answers(special: str | None = None) -> dict[str, list[str]]:
    answers = {a: ["Our selected schools are close to the district on most measures."] * len(q)
               for a, q in QUESTIONS.items()}
    if special:
        answers["WRE"][0] = special
    return answers


@pytest.fixture(scope="module")
def summary(tmp_path_factory) -> needsassess.Summary:
    folder = tmp_path_factory.mktemp("obvious")
    for k in range(SHARED):
        write_tool(folder / f"district-{k:02}.xlsx", default_tool(
            lea_name=f"District {k:02}", lea_id=f"D-{k:03}", nces_id=f"06{k:05}",
            answers=_answers(), ratings=_ratings(climate=1 + k % 2),
            needs=[(1, "SHS", "Improve school climate and students' sense of safety",
                    "Raise the share of students who feel safe from 62% to 75%", "Restorative practices",
                    "Moderate", 14000, None),
                   (2, "WRE", "Expand access to AP courses", "Double AP enrollment", "AP teacher training",
                    "Promising", 9000, None),
                   (3, "EUT", "Replace student devices", "One device per student", "Device refresh",
                    "Demonstrates a rationale", 9000, 1000)]))
    write_tool(folder / "lone-district.xlsx", default_tool(
        lea_name="Lone Pine Schools", lea_id="LP-900", nces_id="0699999",
        answers=_answers("We would welcome guidance from the State on starting a school orchestra."),
        ratings=_ratings(climate=4),
        needs=[(1, "WRE", "Start a school orchestra", "An orchestra in every middle school",
                "Instrument purchase and a music teacher", "Demonstrates a rationale", 20000, None),
               (2, "SHS", "Keep our counselors", "Two counselors per school", "Counselor salaries",
                "Moderate", 9000, None),
               (3, "EUT", "Replace student devices", "One device per student", "Device refresh",
                "Demonstrates a rationale", 9000, 1000)]))
    return needsassess.summarize(folder)


def test_every_workbook_is_read(summary):
    assert (summary.files["status"] == "read").sum() == SHARED + 1
    assert len(summary.leas) == SHARED + 1
    assert not (summary.problems["severity"] == "error").any()


def test_the_shared_low_capacity_need_ranks_first(summary):
    top = summary.topics.iloc[0]
    assert top["topic"] == "school_climate"
    assert top["n_leas"] == SHARED


def test_the_shared_need_gets_group_training_at_a_beginning_level(summary):
    plan = summary.tta_plan.set_index("topic")
    climate = plan.loc["school_climate"]
    if isinstance(climate, type(summary.tta_plan)):  # a topic may carry an extra individual row
        climate = climate[climate["delivery"] == "group"].iloc[0]
    assert climate["delivery"] == "group"
    assert climate["level"] == "beginning"
    assert climate["n_leas"] == SHARED


def test_the_lone_need_gets_individual_support(summary):
    plan = summary.tta_plan.set_index("topic")
    arts = plan.loc["arts_music"]
    assert arts["delivery"] == "individual"
    assert arts["leas"] == "Lone Pine Schools"
    requests = summary.tta_requests
    assert requests["lea_name"].tolist() == ["Lone Pine Schools"]
    assert requests["topic"].tolist() == ["arts_music"]
    assert requests["cell"].iloc[0] and requests["sheet"].iloc[0].startswith("4a")


def test_the_workbook_carries_the_plan(summary, tmp_path):
    import openpyxl

    path = summary.to_excel(tmp_path / "summary.xlsx")
    wb = openpyxl.load_workbook(path, read_only=True)
    texts = {str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c}
    assert "Lone Pine Schools" in texts
    assert "We would welcome guidance from the State on starting a school orchestra." in texts
