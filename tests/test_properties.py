"""Nothing lost, nothing injected (issue 6): property tests from input workbooks to the summary.

Hypothesis makes small corpora of LEA workbooks with random answers, needs
and capacity ratings (and random LEA names and capacity labels), the whole
pipeline runs (``summarize`` then ``to_excel``), and the summary workbook
is read back with openpyxl:

* nothing lost: every non-empty answer, need, outcome, activity and rating
  is on its table sheet exactly once, on a row of its own LEA;
* inputs untouched: every input file is byte-identical after the run;
* nothing injected: text starting with "=", "+", "-", "@", a tab or a
  carriage return is stored as text (never a formula, never a link of the
  LEA's making) and shown exactly as the reader read it.

What "exactly" means: the reader trims the white space around a cell's
text, and an XML file cannot hold a bare carriage return (a conforming
reader turns "\\r\\n" and "\\r" into "\\n"), so a typed text is expected as
``stored(text)``.  ``NEEDSASSESS_PROPERTY_EXAMPLES`` sets the examples per
test (default 25; each is a whole run of the pipeline, about half a second).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_summary import excel_text, table_rows
from hostile import QUESTIONS, default_tool, write_tool
from needsassess.figures import load_layout
from needsassess.summary import summarize
from needsassess.cell_text import FORMULA_TRIGGERS

EXAMPLES = int(os.environ.get("NEEDSASSESS_PROPERTY_EXAMPLES", "25"))
PIPELINE = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])
LAYOUT = load_layout()
AREAS = ("WRE", "SHS", "EUT")
#: The leading characters the issue names: Excel reads text starting with them as a formula.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def label(column: str) -> str:
    return LAYOUT["columns"][column]["label"]


def stored(text: str) -> str:
    """What the reader gives back for ``text`` typed into a cell (see the module docstring)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


# ---------------------------------------------------------------- strategies
#: Escapes such as "_x0041_" are left out: openpyxl writes them unescaped, so every reader of the
#: input (Excel included) shows another text than the one the test typed.  The summary escapes them.
_EXCEL_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")

TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc", "Cn", "Co"), include_characters="\t\n\r\xa0"),
               min_size=1, max_size=60).filter(lambda s: stored(s) != "" and not _EXCEL_ESCAPE.search(s))
#: Text that Excel would take for a formula if it were typed: a trigger, then anything.
FORMULA_LIKE = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(["=", "+", "-", "@", "\t=", "\r\n+", "\t", "\r", "=HYPERLINK(\"http://evil.example/x\",\"y\")&",
                     "=cmd|' /C calc'!A0", "@SUM(", "-1+"]),
    TEXT).filter(lambda s: stored(s) != "")


@dataclass
class Lea:
    """One generated LEA workbook's content."""

    name: str
    answers: dict[str, list[str | None]] = field(default_factory=dict)
    ratings: dict[str, list[tuple[str, int | None, str | None]]] = field(default_factory=dict)
    needs: list[tuple[str | None, str | None, str | None]] = field(default_factory=list)


@st.composite
def corpus(draw, text: st.SearchStrategy[str]) -> list[Lea]:
    names = draw(st.lists(text, min_size=1, max_size=3, unique_by=lambda s: stored(s).casefold()))
    leas = []
    for name in names:
        lea = Lea(name)
        for area in AREAS:
            lea.answers[area] = draw(st.lists(st.one_of(st.none(), text), min_size=len(QUESTIONS[area]),
                                              max_size=len(QUESTIONS[area])))
            # always a rating: a capacity row without one stops the summary writer, a known bug
            # (test_hostile.py::test_a_capacity_row_without_a_rating_does_not_stop_the_summary)
            lea.ratings[area] = draw(st.lists(st.tuples(text, st.integers(1, 4), st.sampled_from([None, "Y", "N"])),
                                              max_size=3))
        lea.needs = draw(st.lists(st.tuples(st.one_of(st.none(), text), st.one_of(st.none(), text),
                                            st.one_of(st.none(), text))
                                  .filter(lambda row: any(v is not None for v in row)), max_size=4))
        leas.append(lea)
    return leas


# ---------------------------------------------------------------- one run of the pipeline
@dataclass
class Run:
    leas: list[Lea]
    summary: object
    book: openpyxl.Workbook
    hashes_before: dict[str, str]
    hashes_after: dict[str, str]


def run_pipeline(leas: list[Lea], folder: Path) -> Run:
    inputs = folder / "in"
    inputs.mkdir()
    for i, lea in enumerate(leas):
        tool = default_tool(lea_name=lea.name, lea_id=f"L-{i + 1}", nces_id=f"{3400000 + i:07d}", typed_text=True)
        # set after default_tool, which fills empty parts with its own content
        tool.answers = {a: list(v) for a, v in lea.answers.items()}
        tool.ratings = {a: list(v) for a, v in lea.ratings.items() if v}
        tool.needs = [(p + 1, AREAS[p % 3], need, outcome, activity, "Moderate", 1000 * (p + 1), None)
                      for p, (need, outcome, activity) in enumerate(lea.needs)]
        write_tool(inputs / f"lea-{i + 1}.xlsx", tool)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(inputs.iterdir())}
    summary = summarize(inputs)
    out = summary.to_excel(folder / "out" / "statewide-summary.xlsx")
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(inputs.iterdir())}
    return Run(leas, summary, openpyxl.load_workbook(out), before, after)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("properties")


def _pipeline(leas: list[Lea], scratch: Path) -> Run:
    folder = Path(tempfile.mkdtemp(dir=scratch))
    try:
        return run_pipeline(leas, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------- what the summary must hold
def expected_answers(leas: list[Lea], area: str) -> Counter:
    return Counter((stored(lea.name), i + 1, stored(a)) for lea in leas
                   for i, a in enumerate(lea.answers[area]) if a is not None)


def expected_ratings(leas: list[Lea]) -> Counter:
    return Counter((stored(lea.name), area, stored(cap), rating) for lea in leas
                   for area in AREAS for cap, rating, _ in lea.ratings[area])


def expected_needs(leas: list[Lea]) -> Counter:
    return Counter((stored(lea.name), p + 1, *(stored(v) if v is not None else None for v in row))
                   for lea in leas for p, row in enumerate(lea.needs))


def check_nothing_lost(run: Run) -> None:
    book, leas = run.book, run.leas
    for area in AREAS:
        rows = table_rows(book[f"Answers {area}"]) if f"Answers {area}" in book.sheetnames else []
        got = Counter((r[label("lea_name")], r[label("question_no")], r[label("answer")]) for r in rows)
        assert got == expected_answers(leas, area), area
    got = Counter((r[label("lea_name")], r[label("area")], r[label("capacity")], r[label("rating")])
                  for r in table_rows(book["Capacity ratings"]))
    area_names = {a: LAYOUT.get("display", {}).get("area", {}).get(a, a) for a in AREAS}
    want = Counter({(lea, area_names[area], cap, rating): n
                    for (lea, area, cap, rating), n in expected_ratings(leas).items()})
    assert got == want
    got = Counter((r[label("lea_name")], r[label("priority")], r[label("need")], r[label("outcome")],
                   r[label("activity")]) for r in table_rows(book["Prioritized needs"]))
    assert got == expected_needs(leas)
    assert run.hashes_after == run.hashes_before and len(run.hashes_before) == len(leas)


def lea_texts(leas: list[Lea]) -> set[str]:
    texts = {stored(lea.name) for lea in leas}
    for lea in leas:
        texts |= {stored(a) for answers in lea.answers.values() for a in answers if a is not None}
        texts |= {stored(cap) for ratings in lea.ratings.values() for cap, _, _ in ratings}
        texts |= {stored(v) for row in lea.needs for v in row if v is not None}
    return texts


def check_nothing_injected(run: Run) -> None:
    book = run.book
    texts = lea_texts(run.leas)
    names = {stored(lea.name) for lea in run.leas}
    profiles = book["LEA profiles"]
    seen = set()
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                value = excel_text(cell.value)
                if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
                    assert cell.data_type == "s" and cell.quotePrefix, (ws.title, cell.coordinate, value)
                link = cell.hyperlink
                if link is not None:
                    # the only links are the summary's own, from an LEA's name to its profile block
                    assert link.target is None and link.location, (ws.title, cell.coordinate, link.target)
                    if value in names:
                        sheet, ref = link.location.rsplit("!", 1)
                        assert sheet == "'LEA profiles'" and profiles[ref].value == cell.value
                    else:
                        assert value not in texts, (ws.title, cell.coordinate, value)
                if value in texts:
                    seen.add(value)
    trigger_texts = {t for t in texts if t.startswith(FORMULA_TRIGGERS)}
    assert trigger_texts <= seen  # shown, exactly as read (not cut, not re-typed)


# ---------------------------------------------------------------- the properties
@PIPELINE
@given(leas=corpus(TEXT))
def test_nothing_lost_and_inputs_untouched(scratch, leas):
    run = _pipeline(leas, scratch)
    check_nothing_lost(run)


@PIPELINE
@given(leas=corpus(FORMULA_LIKE))
def test_nothing_injected(scratch, leas):
    run = _pipeline(leas, scratch)
    check_nothing_injected(run)
    check_nothing_lost(run)



def test_the_writer_quotes_every_leading_character_the_issue_names():
    assert set(TRIGGERS) <= set(FORMULA_TRIGGERS)
