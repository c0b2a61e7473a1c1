"""The reader's fast paths give exactly what the plain definitions give.

Reading 1,000 workbooks in seconds takes short cuts: text folded without a
regular expression per word, cell texts and label look-ups remembered across
workbooks, question matching by an index of words, indicator rows read with
a fast path for plain numbers, merged areas searched in turn when they are
few.  Each test here pits one short cut against the straightforward
definition it replaces, on generated input.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from needsassess.extract_analysis import match_question, question_words
from needsassess.extract_common import norm_question
from needsassess.sheets import FEW_MERGES, Grid, Labels, fold, overlap
from needsassess.template import load_template, normalize
from needsassess.values import parse_number, parse_percent, read_row, to_points

T = load_template()

# characters that exercise every branch of normalizing: number prefixes, "&",
# punctuation runs, Unicode spaces and digits, letters whose lower case is ASCII
_TRICKY = list(" \t\n\u00a0\u2003&.-:)(–—?12345٣0aAbZqQ\u0130\u212aßéÉ_/'\"")


@settings(max_examples=1500, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=st.sampled_from(_TRICKY), max_size=40)))
def test_fold_is_normalize(text):
    assert fold(text) == normalize(text)


@pytest.mark.parametrize("text", ["4a. Analyze  WRE Needs", "Safe & Healthy Students:", "  12) Kelvin \u212a",
                                  "\u0130stanbul", "٣- prefix with an Arabic-Indic digit", "", "???"])
def test_fold_examples(text):
    assert fold(text) == normalize(text)


def _reference_match(text: str, area: str):
    """match_question as first written: every wording scored in turn."""
    own = T.questions_for(area) if area else list(T.questions)
    exact = {}
    for spec in [*own, *T.questions]:
        for wording in (spec.text, *spec.aliases):
            exact.setdefault(norm_question(wording), spec)
    spec = exact.get(norm_question(text))
    if spec is not None:
        return spec, 1.0, 99
    words = question_words(text, T)
    best, score, shared = None, 0.0, 0
    for candidate in own:
        for wording in (candidate.text, *candidate.aliases):
            bag = question_words(wording, T)
            s = overlap(words, bag)
            if s > score:
                best, score, shared = candidate, s, len(words & bag)
    return best, score, shared


_QUESTION_WORDS = sorted({w for q in T.questions for text in (q.text, *q.aliases) for w in text.split()})


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_QUESTION_WORDS), st.sampled_from(["the", "and", "WRE", "Technology",
                                                                             "2.", "Q3:", "?", "\n", "data"])),
                max_size=30),
       st.sampled_from(["WRE", "SHS", "EUT", ""]))
def test_question_matching_by_index_is_scoring_every_wording(words, area):
    text = " ".join(words)
    assert match_question(text, area, T) == _reference_match(text, area)


def test_template_questions_match_themselves():
    for spec in T.questions:
        for wording in (spec.text, *spec.aliases):
            found, score, _ = match_question(f"3. {wording}", spec.area, T)
            assert score == 1.0 and found is not None
            assert norm_question(wording) in {norm_question(w) for w in (found.text, *found.aliases)}


_CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6), st.booleans(), st.just(""),
    st.none(), st.sampled_from(["12%", "0.5", "N/A", "<5", "*", "n<10", " 7 ", "1,250", "lots", "%", "-3.5%",
                                "1e3", "  "]),
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 1, 1)))


def _reference_row(values, unit):
    if unit in ("percent", ""):
        parsed = [parse_percent(v, T) for v in values]
        if unit == "percent":
            points = to_points([pct for _, pct in parsed])
        else:
            points = [p.value if p.ok else None for p, _ in parsed]
        return [(v, p.raw, p.status) for v, (p, _) in zip(points, parsed)]
    parsed = [parse_number(v, T) for v in values]
    return [(p.value if p.ok else None, p.raw, p.status) for p in parsed]


def _same(a, b):
    return all(x[1:] == y[1:] and (x[0] == y[0] or (isinstance(x[0], float) and isinstance(y[0], float)
                                                   and math.isnan(x[0]) and math.isnan(y[0])))
               for x, y in zip(a, b)) and len(a) == len(b)


@settings(max_examples=800, deadline=None)
@given(st.lists(_CELLS, max_size=8), st.sampled_from(["percent", "ratio", "count", ""]))
def test_indicator_rows_read_at_once_as_cell_by_cell(values, unit):
    assert _same(read_row(values, unit, T), _reference_row(values, unit))


# ---------------------------------------------------------------- the grid

_GRID_CELLS = st.one_of(st.just(""), st.just(""), st.just(0.0), st.floats(-5, 5), st.just("  "),
                        st.sampled_from(["Indicator", "District", " LEA name ", "Response:", "What factors?",
                                         "x" * 450, "4a. Analyze WRE Needs", "N/A"]),
                        st.text(max_size=12))


def _plain_texts(rows):
    out = []
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if isinstance(v, str) and v.strip():
                text = v.strip()
                norm = normalize(text) if len(text) <= 400 else ""
                out.append((r, c, text, norm, norm.count(" ") + 1 if norm else 0))
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_GRID_CELLS, max_size=7), max_size=9))
def test_grid_indexes_the_text_cells(rows):
    grid = Grid("Sheet", rows)
    assert [(t.row, t.col, t.text, t.norm, t.words) for t in grid.texts] == _plain_texts(rows)
    assert grid.text_at == {(t.row, t.col): t for t in grid.texts}
    for r in range(-1, len(rows) + 1):
        plain = [(c, v) for c, v in enumerate(rows[r])
                 if not (v == "" or v is None or (isinstance(v, str) and not v.strip()))] if 0 <= r < len(rows) else []
        assert grid.row_values(r) == plain and grid.row_blank(r) == (not plain)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 6), st.integers(0, 8), st.integers(0, 3)),
                max_size=2 * FEW_MERGES))
def test_merged_areas_found_alike_whether_few_or_many(boxes):
    merged = [((r, c), (r + h, c + w)) for r, c, h, w in boxes]
    grid = Grid("Sheet", [["x"] * 10 for _ in range(40)], merged)
    index = grid._merged_rows  # the row index, used when there are many
    for row in range(0, 42):
        assert grid.boxes_from(row) == [(c1, c2) for c1, c2, r1 in index.get(row, ()) if r1 == row]
        for col in range(0, 16):
            expected = next(((r1, c1) for c1, c2, r1 in index.get(row, ()) if c1 <= col <= c2), (row, col))
            assert grid.top_left(row, col) == expected


def test_label_hits_are_matches():
    labels = Labels(T.needs_columns)
    grid = Grid("Needs", [["Priority", "Need", "Title IV-A amount", "Technology infrastructure amount"],
                          ["1", "A long need statement that mentions the goal and the strategy and more", "", ""]])
    for how in ("prefix", "contains"):
        expected = [(t, labels.match(t.norm, how=how)) for t in grid.texts if 0 < t.words <= 8]
        assert labels.hits(grid.texts, how, 8) == [(t, k) for t, k in expected if k is not None]


# pieces of sheet XML around formula cells: saved values, none, empty ones, shared and self-closing
# formulas, whitespace between tags, inline strings, prefixed tags, cells without an address
_CELL_PIECES = st.sampled_from([
    '<c r="{a}"><f>A1*2</f></c>', '<c r="{a}" s="3"><f>A1</f><v>3</v></c>', '<c r="{a}"><f t="shared" si="0"/></c>',
    '<c r="{a}" t="str"><f>B1</f><v></v></c>', '<c r="{a}">\n  <f>B1</f>\n  <v/>\n</c>', '<c r="{a}"><v>7</v></c>',
    '<c r="{a}" t="inlineStr"><is><t>x &lt;f&gt; y</t></is></c>', '<c r="{a}" s="1"/>', '<c><f>A1</f></c>',
    '<c r="{a}" s="2" t="str"><f>IF(A1="","",A1)</f><v/></c>', '<c r="{a}" t="str"><f>A1</f></c>',
    '<x:c r="{a}"><x:f>A1</x:f></x:c>', '<c r="{a}" t="e"><f>1/0</f><v>#DIV/0!</v></c>', '<c r="{a}"><f></f></c>',
])


@settings(max_examples=800, deadline=None)
@given(st.lists(st.tuples(_CELL_PIECES, st.integers(1, 40), st.integers(0, 30)), max_size=12))
def test_uncached_formulas_found_from_their_tags_as_by_trying_every_cell(cells):
    from needsassess.extents import _UNCACHED, _cell_of, _no_value, uncached_formula_cells

    xml = "".join(piece.format(a=f"{chr(65 + col % 26)}{row}") for piece, row, col in cells).encode()
    every_cell = frozenset(cell for m in _UNCACHED.finditer(xml) if _no_value(m.group(1), m.group(2))
                           and (cell := _cell_of(m.group(1))) is not None)
    assert uncached_formula_cells(xml) == every_cell
