"""Tab roles from names (loosely), colours and order."""

from __future__ import annotations

import pytest

from needsassess.colors import TabColour
from needsassess.container import SheetEntry
from needsassess.locate import CONTAINED, EXACT, HUE, SWAPPED, TRUNCATED, assign_roles, match_name, settle_areas
from needsassess.template import load_template

T = load_template()
PALETTE = list(T.hues["default_theme"])


@pytest.mark.parametrize(("name", "role", "area", "score"), [
    ("4a. Analyze WRE Needs", "analysis", "WRE", EXACT),
    ("4A) analyze  wre NEEDS", "analysis", "WRE", EXACT),
    ("Analyze Safe and Healthy Students Needs", "analysis", "SHS", EXACT),
    ("Analyze SHS needs", "analysis", "SHS", EXACT),
    ("Analysis - Technology", "analysis", "EUT", SWAPPED),
    ("4c. Analyze Effective Use of Te", "analysis", "EUT", TRUNCATED),
    ("Step 4a Analyze WRE Needs", "analysis", "WRE", CONTAINED),
    ("WRE Data Analysis", "analysis", "WRE", None),       # head noun last: analysis, not data
    ("3b. SHS Data", "data", "SHS", EXACT),
    ("Data - EUT", "data", "EUT", EXACT),
    ("5. Address Prioritized Needs", "needs", "", EXACT),
    ("5b. Prioritized Needs SHS", "needs", "SHS", SWAPPED),
    ("Copy of Prioritized Needs (2)", "needs", "", CONTAINED),
    ("1. LEA Information", "lea_info", "", EXACT),
    ("Lists", "lists", "", EXACT),
])
def test_names(name, role, area, score):
    spec, got_score, got_area = match_name(name, T)
    assert spec is not None and spec.role == role and got_area == area
    if score is not None:
        assert got_score == score


@pytest.mark.parametrize("name", ["Notes", "Sheet1", "Board Approval", "Summary 2024"])
def test_other_names_have_no_role(name):
    assert match_name(name, T)[0] is None


def sheets(*specs):
    return [SheetEntry(name=n, part=f"xl/worksheets/sheet{i}.xml", state=s, colour=c)
            for i, (n, c, s) in enumerate(specs, start=1)]


def test_colour_gives_a_role_when_the_name_does_not():
    tabs, problems = assign_roles(sheets(("Reflection", TabColour(theme=7), "visible"),
                                         ("Action Plan", TabColour(rgb="F79646"), "visible"),
                                         ("Notes", None, "visible")), T, PALETTE)
    assert [(t.role, t.hue, t.score) for t in tabs] == [("analysis", "purple", HUE), ("needs", "orange", HUE),
                                                        ("", "", 0)]
    assert problems == []


def test_colour_beats_a_name_that_only_contains_role_words():
    tabs, _ = assign_roles(sheets(("WRE Data Notes", TabColour(rgb="7030A0"), "visible")), T, PALETTE)
    assert (tabs[0].role, tabs[0].area) == ("analysis", "WRE")


def test_two_tabs_for_one_role_the_exact_visible_one_wins():
    tabs, problems = assign_roles(sheets(("Copy of 4a. Analyze WRE Needs", None, "visible"),
                                         ("4a. Analyze WRE Needs", None, "hidden"),
                                         ("4a. Analyze WRE Needs (2)", None, "visible")), T, PALETTE)
    assert [t.read for t in tabs] == [False, True, False]
    assert [code for code, *_ in problems] == ["tab-ambiguous", "tab-ambiguous"]


def test_areas_by_order_when_nothing_tells():
    tabs, _ = assign_roles(sheets(("Reflection A", TabColour(rgb="7030A0"), "visible"),
                                  ("4b. Analyze SHS Needs", None, "visible"),
                                  ("Reflection B", TabColour(rgb="7030A0"), "visible")), T, PALETTE)
    problems = settle_areas(tabs, "analysis")
    assert [t.area for t in tabs] == ["WRE", "SHS", "EUT"]
    assert [code for code, *_ in problems] == ["tab-area-unknown", "tab-area-unknown"]
