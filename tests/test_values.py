"""Cell value parsing: money, percent, ids, dates, years, yes/no, ratings, ranks, evidence."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from needsassess.values import (Percent, parse_date, parse_evidence, parse_id, parse_money, parse_number,
                                parse_percent, parse_rank, parse_rating, parse_school_year, parse_yes_no,
                                raw_text, to_points)
from needsassess.template import load_template

T = load_template()


@pytest.mark.parametrize(("typed", "value"), [
    (12500, 12500.0), (12500.5, 12500.5), ("12500", 12500.0), ("$12,500.00", 12500.0), ("12,500", 12500.0),
    ("$ 12,500.00", 12500.0), ("(1,000)", -1000.0), ("-$250", -250.0), ("$12.5K", 12500.0), ("USD 300", 300.0),
])
def test_money_typed_every_way(typed, value):
    parsed = parse_money(typed, T)
    assert parsed.ok and parsed.value == value


@pytest.mark.parametrize(("typed", "status"), [
    ("", "empty"), ("   ", "empty"), ("N/A", "missing"), ("*", "missing"), ("<5", "missing"),
    ("twelve thousand", "invalid"), ("12,500 dollars", "invalid"), (True, "invalid"),
])
def test_money_that_is_not_a_number(typed, status):
    parsed = parse_money(typed, T)
    assert parsed.status == status and parsed.value is None
    if status != "empty":
        assert parsed.raw  # the typed text is kept


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["${:,.2f}", "{:,}", "$ {:,.0f}", "{:.2f}"]))
def test_money_round_trips_through_common_formats(amount, fmt):
    assert parse_money(fmt.format(amount), T).value == pytest.approx(amount)


def test_number_and_raw_text():
    assert parse_number("1,250", T).value == 1250.0
    assert parse_number("2.5", T).value == 2.5
    assert parse_number("lots", T).status == "invalid"
    assert raw_text(3.0) == "3" and raw_text(0.25) == "0.25" and raw_text(dt.date(2026, 1, 2)) == "2026-01-02"


def test_percent_typed_with_sign_is_points():
    parsed, pct = parse_percent("12%", T)
    assert parsed.ok and pct == Percent(12.0, True)
    parsed, pct = parse_percent("12 %", T)
    assert pct == Percent(12.0, True)
    parsed, pct = parse_percent("lots%", T)
    assert parsed.status == "invalid" and pct is None
    parsed, pct = parse_percent("N/A", T)
    assert parsed.status == "missing" and parsed.raw == "N/A" and pct is None


@pytest.mark.parametrize(("cells", "points"), [
    ([0.12, 0.3, 0.08], [12.0, 30.0, 8.0]),            # a row of fractions
    ([12.0, 30.0, 8.0], [12.0, 30.0, 8.0]),            # a row of points
    ([0.12, "15%", 11.0], [12.0, 15.0, 11.0]),         # mixed: the fraction is far below its neighbours
    ([0.146, "7 %", 0.107, 0.074], [14.6, 7.0, 10.7, 7.4]),
    ([0.5, 3.2, 1.1], [0.5, 3.2, 1.1]),                # a small rate next to larger ones stays
    ([1.0], [100.0]),
    ([0.0, 0.25], [0.0, 25.0]),
])
def test_percent_unit_is_settled_per_indicator_row(cells, points):
    pcts = [parse_percent(c, T)[1] for c in cells]
    assert to_points(pcts) == pytest.approx(points)


@given(st.lists(st.floats(min_value=1.5, max_value=100.0), min_size=1, max_size=6),
       st.lists(st.booleans(), min_size=6, max_size=6))
def test_percent_whatever_the_typing_mix_points_come_back(values, as_fraction):
    """Values of 1.5-100 percent come back whether typed as 0.xx, xx or "xx%"."""
    cells = []
    for v, frac in zip(values, as_fraction):
        cells.append(Percent(v / 100.0, False) if frac else Percent(v, False))
    if all(as_fraction[: len(values)]) or not any(as_fraction[: len(values)]) or max(values) / min(values) < 9:
        assert to_points(cells) == pytest.approx(values)


@pytest.mark.parametrize(("typed", "digits", "value"), [
    (612345.0, 7, "0612345"), (612345, 7, "0612345"), ("0612345", 7, "0612345"), ("612345", 7, "0612345"),
    (" LEA-042 ", None, "LEA-042"), (5078.0, None, "5078"), ("005078", None, "005078"),
])
def test_ids_are_text_with_leading_zeros(typed, digits, value):
    assert parse_id(typed, digits).value == value


def test_id_with_decimals_is_invalid():
    assert parse_id(12.5, 7).status == "invalid"


@pytest.mark.parametrize("typed", [dt.date(2026, 3, 15), dt.datetime(2026, 3, 15, 10, 5), 46096, 46096.0,
                                   "3/15/2026", "03/15/26", "2026-03-15", "March 15, 2026", "Mar 15 2026",
                                   "15 March 2026", "March 15th, 2026", "46096"])
def test_dates_typed_every_way(typed):
    assert parse_date(typed).value == dt.date(2026, 3, 15)


def test_date_not_a_date():
    assert parse_date("next spring").status == "invalid"
    assert parse_date(12).status == "invalid"


@pytest.mark.parametrize(("typed", "year"), [
    ("2025-26", "2025-26"), ("2025-2026", "2025-26"), ("SY 2025/26", "2025-26"), ("2025 – 2026", "2025-26"),
    ("2025 to 2026", "2025-26"), (2025.0, "2025"), ("2025", "2025"),
])
def test_school_years(typed, year):
    assert parse_school_year(typed).value == year


@pytest.mark.parametrize(("typed", "flag"), [("Y", True), ("yes", True), ("X", True), (True, True), ("N", False),
                                             ("No", False), (False, False), ("Not needed", False)])
def test_yes_no(typed, flag):
    assert parse_yes_no(typed, T).value is flag


def test_yes_no_other_text_is_invalid():
    assert parse_yes_no("maybe", T).status == "invalid"
    assert parse_yes_no("", T).status == "empty"


@pytest.mark.parametrize(("typed", "rating"), [
    (1, 1), (4.0, 4), ("3", 3), ("2 - Developing", 2), ("Proficient", 3), ("advanced", 4), ("Emerging", 1),
    ("Proficient (3)", 3), ("3 = proficient", 3),
])
def test_ratings_as_numbers_or_words(typed, rating):
    assert parse_rating(typed, T).value == rating


@pytest.mark.parametrize("typed", [0, 5, 2.5, "3.5", "7", "great", "2 or 3"])
def test_ratings_out_of_scale_are_invalid(typed):
    assert parse_rating(typed, T).status == "invalid"


@pytest.mark.parametrize(("typed", "rank"), [(1, 1), (2.0, 2), ("3", 3), ("#4", 4), ("5th", 5), ("6.", 6)])
def test_ranks(typed, rank):
    assert parse_rank(typed).value == rank


def test_rank_invalid():
    assert parse_rank("high").status == "invalid" and parse_rank(1.5).status == "invalid"


@pytest.mark.parametrize(("typed", "level"), [
    ("Strong", "strong"), ("Tier II", "moderate"), ("Level 3 (promising)", "promising"), (4, "rationale"),
    ("Demonstrates a rationale", "rationale"), ("Tier 2 - Moderate evidence", "moderate"),
])
def test_evidence_levels(typed, level):
    assert parse_evidence(typed, T).value == level


def test_evidence_unknown_keeps_raw():
    parsed = parse_evidence("Anecdotal", T)
    assert parsed.status == "invalid" and parsed.raw == "Anecdotal"
