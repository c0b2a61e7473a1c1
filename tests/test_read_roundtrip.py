"""Round trip: workbooks from the sample generator, read back against their Truth.

For every variation of :class:`needsassess.generate.Mess` the reader must
recover every answer, rating and need, with the sheet and cell (or row)
it came from, and every LEA's identity.
"""

from __future__ import annotations

import math
from dataclasses import fields, replace

import pandas as pd
import pytest

generate = pytest.importorskip("needsassess.generate")
from needsassess.read import read_folder  # noqa: E402

Mess = generate.Mess

KEYS = {
    "responses": ["area", "question_no", "question", "answer", "sheet", "cell", "placeholder"],
    "ratings": ["area", "capacity", "rating", "tta_wanted", "sheet", "cell"],
    "needs": ["priority", "area", "need", "outcome", "activity", "evidence_level", "amount",
              "infrastructure_amount", "sheet", "row"],
    "indicators": ["area", "indicator_key", "level", "school", "value", "raw", "sheet", "cell"],
}


def variations() -> list[tuple[str, Mess]]:
    """One Mess per non-default value of each field (and each percent style)."""
    out = []
    for f in fields(Mess):
        default = getattr(Mess(), f.name)
        if isinstance(default, bool):
            values = [not default]
        elif f.name == "percent_style":
            values = ["whole", "text", "mixed"]
        elif isinstance(default, float):
            values = [0.3]
        elif isinstance(default, int):
            values = [2]
        else:
            continue
        out += [(f"{f.name}={v}", replace(Mess(), **{f.name: v})) for v in values]
    return out


VARIATIONS = variations()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("variations")
    truths = [generate.generate_lea(folder / f"v{i:02d}.xlsx", seed=100 + i, mess=mess)
              for i, (_, mess) in enumerate(VARIATIONS)]
    return truths, read_folder(folder)


def _norm(value):
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return round(value, 4)
    return value


def _rows(table: pd.DataFrame, name: str) -> set[tuple]:
    return {tuple(_norm(v) for v in row) for row in table[KEYS[name]].itertuples(index=False)}


def _expected(truth, name: str) -> pd.DataFrame:
    return truth.table(name)


@pytest.mark.parametrize("name", ["responses", "ratings", "needs", "indicators"])
@pytest.mark.parametrize("label", [label for label, _ in VARIATIONS])
def test_every_row_comes_back_with_provenance(corpus, label, name):
    truths, a = corpus
    truth = truths[[lab for lab, _ in VARIATIONS].index(label)]
    got = getattr(a, name)
    got = got[got.file == truth.file]
    expected = _expected(truth, name)
    missing = _rows(expected, name) - _rows(got, name)
    extra = _rows(got, name) - _rows(expected, name)
    assert not missing and not extra, f"{label}: missing {sorted(missing, key=str)[:2]} extra {sorted(extra, key=str)[:2]}"


@pytest.mark.parametrize("label", [label for label, _ in VARIATIONS])
def test_identity_and_no_errors(corpus, label):
    truths, a = corpus
    truth = truths[[lab for lab, _ in VARIATIONS].index(label)]
    lea = a.leas[a.leas.file == truth.file]
    assert len(lea) == 1
    row = lea.iloc[0]
    assert (row.lea_name, row.lea_id, row.nces_id, row.school_year) == \
        (truth.lea.lea_name, truth.lea.lea_id, truth.lea.nces_id, truth.lea.school_year)
    assert row.date_completed.date() == truth.lea.date_completed
    errors = a.problems[(a.problems.file == truth.file) & (a.problems.severity == "error")]
    assert errors.empty, list(errors.message)


def test_tabs_get_the_roles_the_generator_gave_them(corpus):
    truths, a = corpus
    for truth in truths:
        tabs = a.tabs[a.tabs.file == truth.file].set_index("sheet")
        for tab in truth.tabs:
            if tab["role"] in ("lea_info", "analysis", "needs", "data"):
                assert tabs.loc[tab["name"], "role"] == tab["role"], (truth.file, tab)
                if tab["role"] in ("analysis", "data"):
                    assert tabs.loc[tab["name"], "area"] == tab["area"], (truth.file, tab)


def test_sample_corpus_with_duplicates(tmp_path):
    truths = generate.generate_corpus(tmp_path, 26, seed=3, duplicates=3)
    a = read_folder(tmp_path)
    status = dict(zip(a.files.file, a.files.status))
    for truth in truths:
        assert status[truth.file] == ("read" if truth.newest else "duplicate"), truth.file
    newest = [t for t in truths if t.newest]
    assert len(a.leas) == len(newest)
    for name in ("responses", "ratings", "needs"):
        expected = set().union(*({(t.file,) + row for row in _rows(_expected(t, name), name)} for t in newest))
        got = {(f,) + row for f, row in zip(getattr(a, name).file, _rows_list(getattr(a, name), name))}
        assert expected == got, name


def _rows_list(table: pd.DataFrame, name: str) -> list[tuple]:
    return [tuple(_norm(v) for v in row) for row in table[KEYS[name]].itertuples(index=False)]


@pytest.mark.parametrize("mess", [Mess(), Mess(answers_below=True, merged_answers=False, needs_per_area=True),
                                  Mess(paraphrase_questions=True, capacity_block=False, insert_rows=2)])
def test_tabs_renamed_and_uncoloured_are_found_by_content(tmp_path, mess):
    import openpyxl

    truth = generate.generate_lea(tmp_path / "src.xlsx", seed=7, mess=mess)
    wb = openpyxl.load_workbook(truth.path)
    names = {}
    for i, ws in enumerate(wb.worksheets, start=1):
        names[ws.title] = f"Part {i}"
        ws.title, ws.sheet_properties.tabColor = f"Part {i}", None
    (tmp_path / "in").mkdir()
    wb.save(tmp_path / "in" / "src.xlsx")
    a = read_folder(tmp_path / "in")
    assert a.leas.iloc[0].lea_id == truth.lea.lea_id
    for name in ("responses", "ratings", "needs", "indicators"):
        expected = _expected(truth, name).assign(sheet=lambda t: t["sheet"].map(names))
        assert _rows(expected, name) == _rows(getattr(a, name), name), name
