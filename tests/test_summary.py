"""The Summary object, the figures it is described by, and summarize() end to end."""

from __future__ import annotations

import math
import subprocess
from collections import Counter
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from fake_summary import empty_summary, fake_summary, table_rows
from needsassess import figures
from needsassess.summary import TABLE_COLUMNS, Summary
from needsassess.tables import READER_TABLES, SCORE_TABLES

ROOT = Path(__file__).resolve().parents[1]
AREAS = {"WRE": "Well-Rounded Education", "SHS": "Safe and Healthy Students", "EUT": "Effective Use of Technology"}


# ---------------------------------------------------------------- the object
def test_every_table_is_an_attribute_and_in_tables():
    s = fake_summary(3)
    for name in [*READER_TABLES, "files", *SCORE_TABLES]:
        assert isinstance(getattr(s, name), pd.DataFrame)
        assert s.tables[name] is getattr(s, name)
    assert len(s.leas) == 3
    assert s.settings["weight_prevalence"] == 0.6


def test_missing_tables_become_empty_tables_with_their_columns():
    s = Summary(SimpleNamespace(leas=pd.DataFrame({"file": ["a.xlsx"], "lea_name": ["A"]})), SimpleNamespace())
    assert list(s.topics.columns) == SCORE_TABLES["topics"]
    assert list(s.files.columns) == TABLE_COLUMNS["files"]
    assert s.settings == {}
    assert len(s.leas) == 1


def test_repr_counts_files_and_leas():
    text = repr(fake_summary(4))
    assert "7 files (4 read, 2 skipped, 1 failed)" in text
    assert "4 LEAs" in text and "8 topics" in text


def test_html_shows_counts_top_five_topics_and_problems_escaped():
    s = fake_summary(4)
    s.topics = s.topics.assign(label=["<script>alert(1)</script>"] + s.topics["label"].tolist()[1:])
    assert s.tables["topics"] is s.topics
    html = s._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<li>") == 5
    for word in ("Files found", "Read", "Skipped", "Failed", "LEAs", "Problems"):
        assert f">{word}<" in html
    assert f"{len(s.problems)} (1 errors" in html
    assert "No topics" in empty_summary()._repr_html_()


def test_inputs_are_the_files_found_under_the_source(tmp_path):
    s = fake_summary(3, source=tmp_path)
    assert s.inputs == [tmp_path / f for f in s.files["file"]]


def test_to_csv_writes_every_table_with_lists_joined(tmp_path):
    s = fake_summary(3)
    written = s.to_csv(tmp_path / "tables")
    assert sorted(p.stem for p in written) == sorted(s.tables)
    plan = pd.read_csv(tmp_path / "tables" / "tta_plan.csv", encoding="utf-8-sig")
    assert plan["modes"].iloc[0] == "; ".join(s.tta_plan["modes"].iloc[0])
    responses = pd.read_csv(tmp_path / "tables" / "responses.csv", encoding="utf-8-sig", keep_default_na=False)
    assert len(responses) == len(s.responses)
    assert not [p for p in (tmp_path / "tables").iterdir() if p.suffix != ".csv"]


def test_the_command_line_path_never_imports_matplotlib(tmp_path):
    code = ("import sys; sys.path.insert(0, 'tests'); from fake_summary import fake_summary; "
            f"fake_summary(2).to_excel({str(tmp_path / 's.xlsx')!r}); "
            "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# ---------------------------------------------------------------- figures
def test_file_counts_follow_the_status_groups():
    files = pd.DataFrame({"status": ["read", "partial", "failed", "skipped", "duplicate", "blank", "read"]})
    counts = figures.file_counts(files, figures.load_layout()["status"])
    assert counts == {"files_found": 7, "files_read": 3, "files_partial": 1, "files_skipped": 3, "files_failed": 1}


def test_needs_by_area_counts_names_and_unknown_areas():
    needs = pd.DataFrame({"area": ["WRE", "SHS", None, "Well-Rounded Education", "junk"],
                          "amount": [100.0, 50.0, 10.0, None, 5.0]})
    out = figures.needs_by_area(needs, AREAS, not_stated="Not stated")
    assert out["area"].tolist() == ["WRE", "SHS", "EUT", "Not stated"]
    assert out["needs"].tolist() == [2, 1, 0, 2]
    assert out["amount"].tolist() == [100.0, 50.0, 0.0, 15.0]
    assert figures.needs_by_area(needs.iloc[:2], AREAS)["area"].tolist() == ["WRE", "SHS", "EUT"]


def test_ratings_by_area_counts_each_value_and_skips_invalid():
    ratings = pd.DataFrame({"area": ["WRE", "WRE", "SHS", "SHS", "EUT", "EUT"],
                            "rating": [1, 4, 2, None, 2.5, 7]})
    out = figures.ratings_by_area(ratings, AREAS).set_index("area")
    assert out.loc["WRE", [1, 2, 3, 4]].tolist() == [1, 0, 0, 1]
    assert out.loc["SHS", "n"] == 1 and out.loc["EUT", "n"] == 0
    assert out.loc["WRE", "mean"] == 2.5 and math.isnan(out.loc["EUT", "mean"])


def test_delivery_mix_most_topics_first():
    plan = pd.DataFrame({"delivery": ["one-on-one", "group", "group", None], "n_leas": [1, 9, 12, 2]})
    out = figures.delivery_mix(plan, not_stated="?")
    assert out.values.tolist() == [["group", 2, 21.0], ["?", 1, 2.0], ["one-on-one", 1, 1.0]]


def test_matrix_keeps_every_lea_orders_topics_by_rank_and_takes_the_largest_gap():
    leas = pd.DataFrame({"file": ["b.xlsx", "a.xlsx", "c.xlsx"], "lea_name": ["Beta", "alpha", None],
                         "lea_id": ["2", "1", "3"]})
    topics = pd.DataFrame({"topic": ["x", "y", "z"], "rank": [2, 1, 3], "label": ["X", "Y", "Z"]})
    lt = pd.DataFrame({"file": ["a.xlsx", "a.xlsx", "b.xlsx", "d.xlsx"], "topic": ["x", "x", "y", "x"],
                       "gap": [0.2, 0.5, 0.3, 0.1]})
    m = figures.lea_topic_matrix(lt, topics, leas)
    assert list(m.index) == ["c.xlsx", "a.xlsx", "b.xlsx", "d.xlsx"]  # by name ("3", alpha, Beta), then unknown
    assert list(m.columns) == ["y", "x"]
    assert m.loc["a.xlsx", "x"] == 0.5 and math.isnan(m.loc["c.xlsx", "x"])


def test_lea_names_fall_back_to_id_then_file():
    leas = pd.DataFrame({"file": ["a", "b", "c"], "lea_name": ["A", None, " "], "lea_id": ["1", "2", None]})
    assert figures.lea_names(leas) == {"a": "A", "b": "2", "c": "c"}


def test_rows_get_the_lea_name_by_file_keeping_their_own_and_falling_back_to_the_id():
    rows = pd.DataFrame({"file": ["a", "b", "x", "y"], "lea_id": ["1", "2", "9", None],
                         "lea_name": ["Own name", None, " ", None]})
    out = figures.with_lea_names(rows, {"a": "Alpha", "b": "Beta"})
    assert out["lea_name"].tolist() == ["Own name", "Beta", "9", None]
    assert figures.with_lea_names(rows.drop(columns="lea_name"), {"a": "Alpha"})["lea_name"].tolist() == \
        ["Alpha", "2", "9", None]


def test_headline_matches_the_tables():
    s = fake_summary(4)
    h = figures.headline(s.tables, figures.load_layout())
    assert h["leas"] == 4 and h["needs"] == len(s.needs) and h["ratings"] == len(s.ratings)
    assert h["spending_failed"] == int((~s.spending["passed"].astype(bool)).sum())
    assert h["allocation"] == pytest.approx(s.leas["allocation"].sum())


# ---------------------------------------------------------------- end to end
def _pipeline_ready() -> str | None:
    try:
        import needsassess.read  # noqa: F401
        import needsassess.scoring  # noqa: F401
    except ImportError as exc:
        return f"the reader or scorer is not importable: {exc}"
    if not any((ROOT / "workbooks").glob("*.xlsx")):
        return "workbooks/ holds no sample workbooks"
    return None


@pytest.mark.skipif(_pipeline_ready() is not None, reason=str(_pipeline_ready()))
def test_summarize_reads_scores_and_writes_the_sample_workbooks(tmp_path):
    import openpyxl

    from needsassess import summarize

    s = summarize(ROOT / "workbooks")
    assert len(s.leas) > 0 and len(s.topics) > 0
    assert s.counts["files_found"] == len(s.files)
    path = s.to_excel(tmp_path / "statewide-summary.xlsx")
    book = openpyxl.load_workbook(path)
    assert {"About", "Overview", "LEA profiles", "Data problems"} <= set(book.sheetnames)
    for ws in book.worksheets:
        assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"], ws.title
    answer = figures.load_layout()["columns"]["answer"]["label"]
    shown = Counter(r[answer] for n in book.sheetnames if n.startswith("Answers") for r in table_rows(book[n]))
    assert shown == Counter(a for a in s.responses["answer"] if not figures.is_blank(a))
    need = figures.load_layout()["columns"]["need"]["label"]
    assert len(table_rows(book["Prioritized needs"])) == len(s.needs)
    assert Counter(r[need] for r in table_rows(book["Prioritized needs"])) == Counter(
        n for n in s.needs["need"].tolist() if not figures.is_blank(n)) + Counter(
        {None: sum(1 for n in s.needs["need"].tolist() if figures.is_blank(n))})
    names = {p.stem for p in s.to_csv(tmp_path / "tables")}
    assert {"leas", "responses", "topics", "tta_plan"} <= names
