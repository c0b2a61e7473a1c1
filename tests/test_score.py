"""Gap scores and the statewide ranking, against numbers worked out by hand."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from needsassess.scoring import (
    Scores, kendall_tau_b, lea_gaps, method_agreement, rank_topics, score, wilson_interval,
)
from needsassess.tables import READER_TABLES, SCORE_TABLES, frame
from needsassess.taxonomy import load_taxonomy

W = {"priority": 0.35, "capacity": 0.30, "request": 0.20, "indicator": 0.15}  # the shipped weights


def tables(**rows: list[dict]) -> dict[str, pd.DataFrame]:
    """The reader's tables from a few rows each (missing tables are empty)."""
    return {name: frame(name, rows.get(name, [])) for name in READER_TABLES}


def need(lea: str, priority: float | None, text: str, area: str = "SHS") -> dict:
    return {"file": f"{lea}.xlsx", "lea_id": lea, "priority": priority, "area": area, "need": text}


def rating(lea: str, key: str, value: float | None, wanted: bool | None = None, label: str = "") -> dict:
    return {"file": f"{lea}.xlsx", "lea_id": lea, "area": "SHS", "capacity": label or key, "rating": value,
            "tta_wanted": wanted, "capacity_key": key}


def indicator(lea: str, key: str, level: str, value: float, direction: str = "", school: str = "") -> dict:
    return {"file": f"{lea}.xlsx", "lea_id": lea, "area": "WRE", "indicator": key, "indicator_key": key,
            "level": level, "school": school, "value": value, "direction": direction}


def cell(lea_topics: pd.DataFrame, lea: str, topic: str, column: str):
    row = lea_topics[(lea_topics["lea_id"] == lea) & (lea_topics["topic"] == topic)]
    assert len(row) == 1, (lea, topic)
    return row[column].iloc[0]


# ---------------------------------------------------------------- priority: Borda points
def test_borda_points_from_the_lea_ranks():
    lt = lea_gaps(tables(needs=[
        need("a", 1, "Reduce vaping"), need("a", 2, "Improve attendance"), need("a", 3, "Expand music"),
        need("b", 1, "Reduce vaping"), need("b", 1, "Start a band"), need("b", 2, "Improve attendance"),
        need("c", None, "Reduce vaping"), need("c", 1, "Expand music"),
        need("d", 1, "Reduce vaping"), need("d", 2, "Vaping education for parents"),
    ]))
    # a: ranks 1, 2, 3 of 3 -> (3 - r + 1) / 3
    assert cell(lt, "a", "substance_use", "priority") == 1.0
    assert cell(lt, "a", "chronic_absenteeism", "priority") == pytest.approx(2 / 3)
    assert cell(lt, "a", "arts_music", "priority") == pytest.approx(1 / 3)
    # b: two needs tied at 1 share positions 1 and 2 -> (3 - 1.5 + 1) / 3
    assert cell(lt, "b", "substance_use", "priority") == pytest.approx(2.5 / 3)
    assert cell(lt, "b", "arts_music", "priority") == pytest.approx(2.5 / 3)
    assert cell(lt, "b", "chronic_absenteeism", "priority") == pytest.approx(1 / 3)
    # c: a missing rank counts as last -> (2 - 2 + 1) / 2
    assert cell(lt, "c", "substance_use", "priority") == 0.5
    assert cell(lt, "c", "arts_music", "priority") == 1.0
    # d: a topic named by two needs keeps the better one
    assert cell(lt, "d", "substance_use", "priority") == 1.0
    # only the priority signal exists: the gap is the Borda points
    assert cell(lt, "a", "arts_music", "gap") == pytest.approx(1 / 3)
    assert cell(lt, "a", "substance_use", "terms") == "vaping"


def test_need_falls_back_to_activity_and_unclassified_needs_are_listed():
    rows = [need("a", 1, "Something vague"), need("a", 2, "Another vague thing")]
    rows[0]["activity"] = "Hire a school social worker"
    result = score(tables(needs=rows))
    assert cell(result.lea_topics, "a", "mental_health", "priority") == 1.0
    assert result.unclassified[["source", "text"]].values.tolist() == [["need", "Another vague thing"]]


# ---------------------------------------------------------------- capacity, requests and the gap
def test_capacity_gap_and_weighted_mean():
    lt = lea_gaps(tables(
        needs=[need("a", 1, "Improve school climate")],
        ratings=[rating("a", "positive_climate", 2), rating("a", "use_data", 1), rating("a", "use_data", 4),
                 rating("a", "sustain", 4, wanted=True), rating("a", "evaluate", 7),
                 rating("a", "", 3, label="Engaging families and community partners")],
    ))
    # The LEA listed needs and filled in a T/TA-wanted cell, so on every topic
    # it is heard on priority and requests: silence there counts as 0.
    heard = W["priority"] + W["capacity"] + W["request"]
    # school climate: priority 1, capacity (4 - 2) / 3, no request
    assert cell(lt, "a", "school_climate", "capacity") == pytest.approx(2 / 3)
    assert cell(lt, "a", "school_climate", "request") == 0.0
    assert cell(lt, "a", "school_climate", "gap") == pytest.approx((W["priority"] + W["capacity"] * 2 / 3) / heard)
    # two ratings on one topic: the mean of (4 - 1) / 3 and (4 - 4) / 3; the mean rating 2.5; not a listed need
    assert cell(lt, "a", "use_data", "capacity") == pytest.approx(0.5)
    assert cell(lt, "a", "use_data", "rating") == 2.5
    assert cell(lt, "a", "use_data", "priority") == 0.0
    assert cell(lt, "a", "use_data", "gap") == pytest.approx(W["capacity"] * 0.5 / heard)
    # rated advanced but asked for T/TA: (0.35 * 0 + 0.30 * 0 + 0.20 * 1) / 0.85
    assert cell(lt, "a", "sustain", "request") == 1.0
    assert cell(lt, "a", "sustain", "gap") == pytest.approx(W["request"] / heard)
    # a rating outside 1-4 is ignored; a capacity without key is classified by its label
    assert "evaluate" not in set(lt["topic"])
    assert cell(lt, "a", "engage_partners", "rating") == 3
    assert "rated 3: Engaging families" in cell(lt, "a", "engage_partners", "terms")


def test_requests_in_answers_are_a_signal():
    resp = [{"file": "a.xlsx", "lea_id": "a", "area": "SHS", "answer": "Our staff need training on bullying.",
             "sheet": "4b", "cell": "C5", "placeholder": False}]
    result = score(tables(responses=resp, needs=[need("a", 1, "Reduce bullying"), need("a", 2, "Vaping")]))
    lt = result.lea_topics
    assert cell(lt, "a", "bullying", "request") == 1.0
    assert cell(lt, "a", "bullying", "gap") == pytest.approx(1.0)  # priority 1 and a request
    # rank 2 of 2 and no request although the LEA answered: (0.35 * 0.5 + 0.20 * 0) / 0.55
    assert cell(lt, "a", "substance_use", "request") == 0.0
    assert cell(lt, "a", "substance_use", "gap") == pytest.approx(W["priority"] * 0.5 / (W["priority"] + W["request"]))
    assert result.tta_requests["topic"].tolist() == ["bullying"]


def test_silence_counts_only_where_the_lea_spoke():
    # a listed needs and answered; b gave ratings only.  Both show an indicator-free capacity gap.
    resp = [{"file": "a.xlsx", "lea_id": "a", "area": "SHS", "answer": "Our schools are calm.",
             "sheet": "4b", "cell": "C5", "placeholder": False}]
    lt = lea_gaps(tables(responses=resp, needs=[need("a", 1, "Vaping")],
                         ratings=[rating("a", "use_data", 1), rating("b", "use_data", 1)]))
    assert (cell(lt, "a", "use_data", "priority"), cell(lt, "a", "use_data", "request")) == (0.0, 0.0)
    assert cell(lt, "a", "use_data", "gap") == pytest.approx(W["capacity"] / (W["priority"] + W["capacity"] + W["request"]))
    # b never listed needs nor answered: its rating is all the evidence there is
    assert pd.isna(cell(lt, "b", "use_data", "priority")) and pd.isna(cell(lt, "b", "use_data", "request"))
    assert cell(lt, "b", "use_data", "gap") == 1.0


def test_need_flag():
    lt = lea_gaps(tables(
        ratings=[rating("a", "use_data", 3), rating("a", "sustain", 2)],
        indicators=[indicator("a", "arts_access", "school", 40), indicator("a", "arts_access", "district", 50),
                    indicator("b", "arts_access", "school", 49), indicator("b", "arts_access", "district", 50),
                    indicator("c", "arts_access", "school", 45), indicator("c", "arts_access", "district", 50)],
    ))
    assert not cell(lt, "a", "use_data", "need")       # rating 3: proficient
    assert cell(lt, "a", "sustain", "need")            # rating 2: developing
    assert cell(lt, "a", "arts_music", "need")         # the largest shortfall: 1.0
    assert not cell(lt, "b", "arts_music", "need")     # 1 / 10 = 0.1
    assert cell(lt, "c", "arts_music", "need")         # 5 / 10 = 0.5, the threshold


# ---------------------------------------------------------------- indicators
def test_indicator_gaps_by_hand():
    lt = lea_gaps(tables(indicators=[
        # a: schools average 60 (55, 65) vs district 70, State 75 -> the larger shortfall, 15
        indicator("a", "math_proficient", "school", 55, "higher", "North"),
        indicator("a", "math_proficient", "school", 65, "higher", "South"),
        indicator("a", "math_proficient", "district", 70, "higher"),
        indicator("a", "math_proficient", "state", 75, "higher"),
        # b: school 72 vs district 70 (ahead), State 75 -> 3
        indicator("b", "math_proficient", "school", 72),
        indicator("b", "math_proficient", "district", 70),
        indicator("b", "math_proficient", "state", 75),
        # c: no school values: district 80 vs State 75 -> ahead, 0
        indicator("c", "math_proficient", "district", 80),
        indicator("c", "math_proficient", "state", 75),
        # a: lower is better (from the template): school 30 vs district 20 -> 10, the only one -> 1.0
        indicator("a", "chronic_absenteeism", "school", 30),
        indicator("a", "chronic_absenteeism", "district", 20),
        # a: science: school 50 vs State 60 -> 10; d: 55 vs 60 -> 5
        indicator("a", "science_proficient", "school", 50), indicator("a", "science_proficient", "state", 60),
        indicator("d", "science_proficient", "school", 55), indicator("d", "science_proficient", "state", 60),
    ]))
    # scaled by the largest shortfall among LEAs (15 for math, 10 for science)
    # stem_cs is the mean over its indicators present: a: (15/15 + 10/10) / 2; b: 3/15; c: 0; d: 5/10
    assert cell(lt, "a", "stem_cs", "indicator") == pytest.approx(1.0)
    assert cell(lt, "b", "stem_cs", "indicator") == pytest.approx(0.2)
    assert cell(lt, "c", "stem_cs", "indicator") == 0.0
    assert cell(lt, "d", "stem_cs", "indicator") == pytest.approx(0.5)
    assert cell(lt, "a", "chronic_absenteeism", "indicator") == 1.0
    assert "math_proficient 15 behind" in cell(lt, "a", "stem_cs", "terms")


def test_indicator_direction_in_the_table_wins_and_unknown_indicators_are_ignored():
    lt = lea_gaps(tables(indicators=[
        indicator("a", "chronic_absenteeism", "school", 10, "higher"),
        indicator("a", "chronic_absenteeism", "district", 20, "higher"),
        indicator("a", "not_in_taxonomy", "school", 10),
        indicator("a", "not_in_taxonomy", "district", 90),
    ]))
    assert cell(lt, "a", "chronic_absenteeism", "indicator") == 1.0
    assert set(lt["topic"]) == {"chronic_absenteeism"}


# ---------------------------------------------------------------- ranking
def lea_topics_by_hand() -> pd.DataFrame:
    rows = [
        # lea, topic, gap, priority, request, rating, need
        ("a", "mental_health", 1.0, 1.0, None, None, True),
        ("b", "mental_health", 0.5, 0.5, None, None, True),
        ("c", "mental_health", 0.75, None, 1.0, None, True),
        ("a", "bullying", 0.9, 0.5, None, None, True),
        ("d", "bullying", 0.3, None, 1.0, None, True),
        ("a", "use_data", 1.0, None, None, 1.0, True),
        ("b", "use_data", 0.0, None, None, 4.0, False),
        ("c", "use_data", 0.8, 0.5, None, 2.0, True),
        ("d", "arts_music", 0.6, None, None, None, True),
        ("d", "stem_cs", 0.6, None, None, None, True),
    ]
    cols = ["lea_id", "topic", "gap", "priority", "request", "rating", "need"]
    out = pd.DataFrame(rows, columns=cols).astype({c: float for c in ("gap", "priority", "request", "rating")})
    out["file"] = out["lea_id"] + ".xlsx"
    return out


def test_rank_topics_by_hand():
    topics = rank_topics(lea_topics_by_hand(), n_leas=4).set_index("topic")
    assert list(topics.reset_index().columns) == SCORE_TABLES["topics"]
    mh, bu, ud = topics.loc["mental_health"], topics.loc["bullying"], topics.loc["use_data"]
    assert (mh["n_leas"], mh["prevalence"], mh["severity"]) == (3, 0.75, pytest.approx(0.75))
    assert mh["score"] == pytest.approx(0.5625) and mh["borda"] == 1.5 and mh["requests"] == 1
    assert math.isnan(mh["borich"])
    assert (bu["n_leas"], bu["severity"], bu["score"]) == (2, pytest.approx(0.6), pytest.approx(0.3))
    assert (ud["n_leas"], ud["severity"], ud["score"]) == (2, pytest.approx(0.9), pytest.approx(0.45))
    # Borich: discrepancies 4 - (1, 4, 2) = (3, 0, 2), importance 1 + 3 x (0, 0, 0.5) -> mean 1.5
    assert ud["borich"] == pytest.approx((5 / 3) * 1.5)
    assert (ud["n_rated"], ud["mean_rating"]) == (3, pytest.approx(7 / 3))
    # ranks: score descending, ties by topic key
    assert topics["rank"].sort_values().index[:5].tolist() == \
        ["mental_health", "use_data", "bullying", "arts_music", "stem_cs"]
    assert topics.loc["arts_music", "score"] == topics.loc["stem_cs", "score"] == pytest.approx(0.15)
    # topics nobody has are listed, after the others, ordered by key
    nobody = topics[topics["n_leas"] == 0]
    assert len(nobody) == len(load_taxonomy().topics) - 5
    assert (nobody["severity"] == 0).all() and (nobody["score"] == 0).all()
    assert nobody["rank"].sort_values().index.tolist() == sorted(nobody.index)
    assert (nobody["prevalence_low"] == 0).all()
    # top 10 under most methods that score the topic
    assert mh["top_methods"] == 3 and mh["consensus"]
    assert topics.loc["arts_music", "top_methods"] == 1 and not topics.loc["arts_music", "consensus"]


def test_wilson_interval():
    low, high = wilson_interval(3, 4)
    z = 1.959963984540054
    p, n = 0.75, 4
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert (float(low), float(high)) == (pytest.approx(centre - half), pytest.approx(centre + half))
    stats = pytest.importorskip("scipy.stats")
    for k, n in [(0, 5), (1, 1), (7, 30), (30, 30)]:
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        low, high = wilson_interval(k, n)
        assert (float(low), float(high)) == (pytest.approx(ci.low), pytest.approx(ci.high))
    low, high = wilson_interval(np.array([1, 2]), 0)
    assert np.isnan(low).all() and np.isnan(high).all()


def test_kendall_tau_b():
    # 4 items, one discordant pair of 6: (5 - 1) / 6
    assert kendall_tau_b([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(4 / 6)
    # ties: x has one tied pair, y none: (C - D) / sqrt((6 - 1) * 6) with C = 5, D = 0
    assert kendall_tau_b([1, 1, 2, 3], [1, 2, 3, 4]) == pytest.approx(5 / math.sqrt(30))
    assert math.isnan(kendall_tau_b([1, 1], [2, 3]))
    assert math.isnan(kendall_tau_b([1, float("nan")], [2, 3]))
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 4, 25), rng.integers(0, 5, 25)
    assert kendall_tau_b(x, y) == pytest.approx(stats.kendalltau(x, y).statistic)


def test_method_agreement():
    topics = rank_topics(lea_topics_by_hand(), n_leas=4)
    agreement = method_agreement(topics)
    assert list(agreement.columns) == ["method_a", "method_b", "tau", "n_topics"]
    assert len(agreement) == 6
    row = agreement[(agreement["method_a"] == "prevalence_x_severity") & (agreement["method_b"] == "borda")].iloc[0]
    # topics some LEA has: mental_health, use_data, bullying, arts_music, stem_cs
    x = [0.5625, 0.45, 0.3, 0.15, 0.15]
    y = [1.5, 0.5, 0.5, 0.0, 0.0]
    assert row["n_topics"] == 5 and row["tau"] == pytest.approx(kendall_tau_b(x, y))


def test_the_default_method_is_a_setting():
    topics = rank_topics(lea_topics_by_hand(), n_leas=4, settings={"ranking.default": "borda"})
    assert topics["topic"].iloc[0] == "mental_health"
    assert topics.set_index("topic").loc["use_data", "score"] == 0.5


# ---------------------------------------------------------------- the whole
def test_single_lea_and_lea_without_ratings():
    result = score(tables(leas=[{"file": "a.xlsx", "lea_id": "a", "lea_name": "Alder"}],
                          needs=[need("a", 1, "Reduce vaping")]))
    top = result.topics.iloc[0]
    assert (top["topic"], top["n_leas"], top["prevalence"], top["rank"]) == ("substance_use", 1, 1.0, 1)
    assert math.isnan(top["borich"])
    assert result.tta_plan[["topic", "delivery", "n_leas", "leas"]].values.tolist() == \
        [["substance_use", "individual", 1, "Alder"]]
    assert result.cohorts.empty


def test_empty_inputs_give_empty_tables():
    for given in ({}, tables(), SimpleNamespace()):
        result = score(given)
        assert isinstance(result, Scores)
        for name, columns in SCORE_TABLES.items():
            table = getattr(result, name)
            assert table.empty and list(table.columns) == columns, name


def test_leas_without_any_signal():
    result = score(tables(leas=[{"file": "a.xlsx", "lea_id": "a"}, {"file": "b.xlsx", "lea_id": "b"}]))
    assert len(result.topics) == len(load_taxonomy().topics)
    assert (result.topics["n_leas"] == 0).all() and (result.topics["prevalence"] == 0).all()
    assert result.lea_topics.empty and result.tta_plan.empty


def test_score_accepts_objects_and_partial_frames():
    needs = pd.DataFrame({"file": ["a.xlsx"], "lea_id": ["a"], "priority": [1], "need": ["Coding club"]})
    result = score(SimpleNamespace(needs=needs))
    assert result.lea_topics["topic"].tolist() == ["stem_cs"]


def test_settings_in_force_and_overrides():
    base = tables(needs=[need("a", 2, "Vaping"), need("a", 1, "Bullying")],
                  ratings=[rating("a", "use_data", 1)])
    default = score(base)
    assert default.settings["gap.weights.capacity"] == 0.30
    assert default.settings["taxonomy"] == "taxonomy.toml (shipped)"
    changed = score(base, settings={"gap.weights.capacity": 0.0})
    assert changed.settings["gap.weights.capacity"] == 0.0
    # rated 1 but not among the LEA's listed needs: (0.35 * 0 + 0.30 * 1) / 0.65
    assert cell(default.lea_topics, "a", "use_data", "gap") == pytest.approx(0.30 / 0.65)
    assert cell(changed.lea_topics, "a", "use_data", "gap") == 0.0  # the capacity signal weighs nothing
    assert set(default.tables) == {*SCORE_TABLES, "method_agreement", "unclassified"}


def test_scores_show_themselves():
    result = score(tables(needs=[need("a", 1, "Vaping")]))
    assert "topics: 33 rows" in repr(result)
    html = result._repr_html_()
    assert html.startswith("<div>") and "substance_use" in html


def test_scores_write_csv(tmp_path):
    result = score(tables(needs=[need("a", 1, "Vaping")]))
    written = result.to_csv(tmp_path / "out")
    assert [p.name for p in written] == [f"{name}.csv" for name in result.tables]
    back = pd.read_csv(tmp_path / "out" / "topics.csv")
    assert list(back.columns) == SCORE_TABLES["topics"] and back["topic"].iloc[0] == "substance_use"
    (tmp_path / "blocked").write_text("a file where a folder should be")
    with pytest.raises(OSError):
        result.to_csv(tmp_path / "blocked")


def synthetic_corpus(n_leas: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    """A large corpus made by code: 18 answers, 5 needs, ratings and 22 indicators x 5 levels per LEA."""
    import csv
    import random
    from pathlib import Path

    from needsassess.template import load_template

    rng = random.Random(seed)
    with open(Path(__file__).parent / "data" / "tta_sentences.tsv", encoding="utf-8") as fh:
        labelled = list(csv.DictReader(fh, delimiter="\t"))
    asks = [r["sentence"] for r in labelled if r["label"] == "1"]
    look_alikes = [r["sentence"] for r in labelled if r["label"] == "0"]
    plain = ["Results improved slightly compared with last year.", "Attendance dipped in the winter months.",
             "Counselors support students through small groups.", "Resources are limited in our rural schools.",
             "Staff turnover remains the largest barrier.", "Math scores rose four points at the selected school.",
             "Families need help with transportation to after-school programs.", "Devices are one-to-one."]
    needs_text = ["Improve math proficiency through STEM", "Reduce chronic absenteeism", "Expand AP access",
                  "Increase access to mental health counseling", "Provide devices and home internet",
                  "Reduce suspensions with PBIS", "Expand arts and music", "Prevent vaping"]
    template = load_template()
    rows: dict[str, list[dict]] = {name: [] for name in READER_TABLES}
    for k in range(n_leas):
        f, lea = f"lea{k:04}.xlsx", f"{k:05}"
        rows["leas"].append({"file": f, "lea_id": lea, "lea_name": f"LEA {k}",
                             "allocation": rng.choice([15000.0, 45000.0, 120000.0])})
        for area in ("WRE", "SHS", "EUT"):
            for q in range(6):
                sentences = [rng.choice(asks if (u := rng.random()) < 0.04 else look_alikes if u < 0.1 else plain)
                             for _ in range(rng.randint(3, 6))]
                rows["responses"].append({"file": f, "lea_id": lea, "area": area, "question_no": q + 1,
                                          "answer": " ".join(sentences), "sheet": area, "cell": f"C{q + 5}",
                                          "placeholder": False})
            for cap in template.capacities_for(area):
                rows["ratings"].append({"file": f, "lea_id": lea, "area": area, "capacity": cap.label,
                                        "rating": rng.randint(1, 4), "tta_wanted": rng.random() < 0.2,
                                        "capacity_key": cap.key})
            for ind in template.indicators_for(area):
                for level in ("district", "school", "school", "school", "state"):
                    rows["indicators"].append({"file": f, "lea_id": lea, "area": area, "indicator": ind.key,
                                               "indicator_key": ind.key, "level": level,
                                               "value": rng.uniform(10, 90), "direction": ind.direction})
        for p in range(5):
            rows["needs"].append({"file": f, "lea_id": lea, "priority": p + 1, "area": rng.choice(["WRE", "SHS"]),
                                  "need": rng.choice(needs_text), "amount": rng.uniform(1000, 20000),
                                  "infrastructure_amount": rng.choice([0.0, 500.0, 3000.0])})
    return {name: frame(name, r) for name, r in rows.items()}


@pytest.mark.slow
def test_a_thousand_leas_score_in_seconds():
    import time

    corpus = synthetic_corpus(1000)
    assert len(corpus["responses"]) == 18000 and len(corpus["indicators"]) == 110000
    start = time.process_time()
    result = score(corpus)
    elapsed = time.process_time() - start
    print(f"score() on 1,000 LEAs: {elapsed:.2f} s of CPU")
    assert len(result.topics) == len(load_taxonomy().topics)
    assert result.lea_topics["lea_id"].nunique() == 1000
    assert len(result.spending) == 6000
    assert len(result.tta_requests) > 500
    assert elapsed < 1.5  # about 0.3 s measured (0.4 s with the machine busy); guards against a slip


def test_the_readers_nullable_dtypes():
    """The reader gives ranks and ratings as Int64 and T/TA wanted as boolean, with NA for blanks."""
    t = tables(ratings=[rating("a", "use_data", 2, wanted=True), rating("a", "sustain", None, wanted=None)],
               needs=[need("a", 1, "Vaping"), need("a", None, "Bullying")])
    t["ratings"] = t["ratings"].astype({"rating": "Int64", "tta_wanted": "boolean"})
    t["needs"] = t["needs"].astype({"priority": "Int64", "amount": "float64", "infrastructure_amount": "float64"})
    lt = score(t).lea_topics
    assert cell(lt, "a", "use_data", "capacity") == pytest.approx(2 / 3)
    assert cell(lt, "a", "use_data", "request") == 1.0
    assert "sustain" not in set(lt["topic"])
    assert cell(lt, "a", "bullying", "priority") == 0.5  # the missing rank counts as last


# ---------------------------------------------------------------- the column-wise gap against a plain model
def plain_gaps(signals, ratings, leas, spoke) -> dict:
    """The gap rule of docs/method.md row by row: cell -> (signals, rating, gap, terms)."""
    known = set(load_taxonomy().by_key)
    names = ("priority", "capacity", "request", "indicator", "spending")
    cells: dict = {}
    for s, name in enumerate(names):
        for f, i, topic, value, terms in signals.get(name, ()):
            if topic in known:
                cell = cells.setdefault((f, i, topic), [[math.nan] * 5, [], []])
                cell[0][s] = value if math.isnan(cell[0][s]) else max(cell[0][s], value)
                if terms and terms not in cell[1]:
                    cell[1].append(terms)
    for f, i, topic, gap, value, label in ratings:
        cell = cells.setdefault((f, i, topic), [[math.nan] * 5, [], []])
        cell[2].append((gap, value))
        cell[1].append(f"rated {value:g}: {label}")
    out = {}
    for (f, i, topic), (values, terms, rated) in cells.items():
        if rated:
            values[1] = sum(g for g, _ in rated) / len(rated)
        for s, name in enumerate(names):
            if name in spoke and math.isnan(values[s]) and f in {lf for lf, _ in spoke[name]}:
                values[s] = 0.0
        present = [(v, W.get(n, 0.35)) for v, n in zip(values, names) if not math.isnan(v)]
        gap = sum(v * w for v, w in present) / sum(w for _, w in present) if present else 0.0
        rating = sum(r for _, r in rated) / len(rated) if rated else math.nan
        out[(f, i, topic)] = (values, rating, gap, "; ".join(terms))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_combine_signals_follows_the_gap_rule_cell_by_cell(seed):
    import random

    from needsassess.gaps import combine_signals

    rng = random.Random(seed)
    topics = ["substance_use", "bullying", "use_data", "stem_cs", "not_a_topic"]
    leas = [(f"{k}.xlsx", str(k)) for k in range(5)]

    def rows(n: int) -> list[tuple]:
        return [(*rng.choice(leas), rng.choice(topics), rng.choice([0.0, 0.5, 1.0, rng.random()]),
                 rng.choice(["", "vaping", "bully*"])) for _ in range(n)]

    signals = {name: rows(rng.randint(0, 25)) for name in ("priority", "request", "indicator", "spending")}
    ratings = [(*rng.choice(leas), rng.choice(topics[:4]), g, 4 - 3 * g, rng.choice(["Data", "Prevention"]))
               for g in (rng.choice([0.0, 1 / 3, 2 / 3, 1.0]) for _ in range(rng.randint(0, 25)))]
    spoke = {"priority": set(leas[:3]), "request": set(leas[2:4])}
    table = pd.DataFrame({"file": [f for f, _ in leas], "lea_id": [i for _, i in leas],
                          "lea_name": ["Alder", "", "Cedar", "Dogwood", "Elm"]})
    got = combine_signals(signals, ratings, table, spoke=spoke)
    want = plain_gaps(signals, ratings, table, spoke)
    assert len(got) == len(want) and list(got.columns) == SCORE_TABLES["lea_topics"]
    for row in got.itertuples(index=False):
        values, rating, gap, terms = want[(row.file, row.lea_id, row.topic)]
        assert [row.priority, row.capacity, row.request, row.indicator, row.spending] == \
            pytest.approx(values, nan_ok=True)
        assert row.gap == pytest.approx(gap) and row.terms == terms
        assert (math.isnan(row.rating) and math.isnan(rating)) or row.rating == pytest.approx(rating)
        assert row.lea_name == {"0": "Alder", "2": "Cedar", "3": "Dogwood", "4": "Elm"}.get(row.lea_id, "")
    order = list(zip(got["file"], got["lea_id"], -got["gap"], got["topic"]))
    assert order == sorted(order)


def test_lea_list_keeps_each_lea_once_in_file_order():
    from needsassess.gaps import as_tables, lea_list

    t = as_tables(tables(
        leas=[{"file": "b.xlsx", "lea_id": "2", "lea_name": "Birch"}, {"file": "b.xlsx", "lea_id": "2", "lea_name": "X"}],
        needs=[need("c", 1, "Vaping"), need("a", 1, "Vaping"), need("c", 2, "Music")],
        ratings=[rating("b", "use_data", 2), rating("d", "use_data", 3)],
    ))
    t["ratings"].loc[0, ["file", "lea_id"]] = ["b.xlsx", "2"]
    out = lea_list(t)
    assert out.values.tolist() == [["a.xlsx", "a", ""], ["b.xlsx", "2", "Birch"], ["c.xlsx", "c", ""],
                                   ["d.xlsx", "d", ""]]
