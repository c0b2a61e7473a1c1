"""The T/TA plan (delivery, level, modes) and peer cohorts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from needsassess.plan import (
    choose_modes, delivery_for, find_cohorts, high_need_leas, jaccard_matrix, lea_totals, level_of, plan_tta,
)
from needsassess.scoring import rank_topics, score
from needsassess.tables import READER_TABLES, SCORE_TABLES, frame


def lea_topics(rows: list[tuple]) -> pd.DataFrame:
    """lea_topics from (lea, topic, gap, rating, need) rows."""
    out = pd.DataFrame(rows, columns=["lea_id", "topic", "gap", "rating", "need"]).astype(
        {"gap": float, "rating": float, "need": bool})
    out["file"] = out["lea_id"] + ".xlsx"
    out["lea_name"] = out["lea_id"].str.upper()
    for signal in ("priority", "request"):
        out[signal] = np.nan
    return out


# ---------------------------------------------------------------- pieces
def test_delivery_thresholds():
    assert [delivery_for(n) for n in (1, 2, 7, 8, 40)] == ["individual", "cohort", "cohort", "group", "group"]
    custom = {"delivery.group_min_leas": 4, "delivery.cohort_min_leas": 3}
    assert [delivery_for(n, settings=custom) for n in (2, 3, 4)] == ["individual", "cohort", "group"]


def test_level_from_mean_rating():
    assert [level_of(r) for r in (1.0, 1.99, 2.0, 2.99, 3.0, 4.0)] == \
        ["beginning", "beginning", "intermediate", "intermediate", "advanced", "advanced"]
    assert level_of(float("nan")) == "intermediate"
    assert level_of(float("nan"), settings={"level.without_ratings": "beginning"}) == "beginning"


def test_modes_follow_audience_level_and_complexity():
    labels = lambda n, level, cx: [m.label for m in choose_modes(n, level, cx)[0]]  # noqa: E731
    assert labels(1, "beginning", "high") == ["In-person meeting"]
    assert labels(5, "beginning", "medium") == ["In-person workshop", "Prerecorded webinar"]
    assert labels(40, "intermediate", "low") == ["Fact sheet or one-pager", "Live webinar"]
    assert labels(40, "beginning", "medium") == ["Live webinar", "In-person lecture"]
    modes, relaxed = choose_modes(5, "advanced", "high")  # nothing fits all three
    assert relaxed == "complexity" and [m.label for m in modes] == ["Fact sheet or one-pager", "Conference call"]
    assert len(choose_modes(40, "beginning", "medium", settings={"modes.max_modes": 1})[0]) == 1


def test_high_need_leas():
    # totals 1, 1, 1, 1, 1, 6: Q1 = Q3 = median = 1, so the fence is 1 and 6 >= 2 x 1
    rows = [(lea, "bullying", 1.0, None, True) for lea in "abcde"]
    rows += [("f", t, 1.0, None, True) for t in ("bullying", "sel", "sustain", "arts_music", "literacy", "evaluate")]
    assert high_need_leas(lea_topics(rows)) == {("f.xlsx", "f")}
    assert high_need_leas(lea_topics(rows[:1] + rows[5:])) == set()  # fewer than 5 LEAs
    # a need flag decides what counts: f's extra gaps without a need do not
    quiet = [(r[0], r[1], r[2], r[3], r[0] != "f" or r[1] == "bullying") for r in rows]
    assert high_need_leas(lea_topics(quiet)) == set()


def test_jaccard():
    sim = jaccard_matrix(np.array([[1, 1, 0], [1, 0, 1], [0, 0, 0]]))
    assert sim[0, 1] == pytest.approx(1 / 3) and sim[0, 0] == 1.0 and sim[2, 2] == 0.0


# ---------------------------------------------------------------- cohorts
def test_cohorts_by_hand():
    profiles = {"a": ["bullying", "sel"], "b": ["bullying", "sel"], "c": ["bullying", "sel", "sustain"],
                "d": ["literacy"], "e": ["literacy", "arts_music", "stem_cs"]}
    rows = [(lea, t, 0.5, None, True) for lea, ts in profiles.items() for t in ts]
    out = find_cohorts(lea_topics(rows))
    assert list(out.columns) == SCORE_TABLES["cohorts"]
    assert len(out) == 1  # d and e: 1/3 < 0.5
    row = out.iloc[0]
    assert (row["cohort"], row["n_leas"], row["leas"], row["lea_ids"]) == (1, 3, "A; B; C", "a; b; c")
    assert row["topics"] == "bullying; sel"  # sustain: 1 of 3 members
    assert row["similarity"] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
    assert row["min_similarity"] == pytest.approx(2 / 3)
    loose = find_cohorts(lea_topics(rows), settings={"cohorts.min_similarity": 0.3})
    assert loose["leas"].tolist() == ["A; B; C", "D; E"]


def test_cohorts_are_capped_and_members_similar_to_each_other():
    rows = [(f"l{i:02}", t, 0.5, None, True) for i in range(10) for t in ("bullying", "sel")]
    out = find_cohorts(lea_topics(rows), settings={"cohorts.max_leas": 4})
    assert out["n_leas"].tolist() == [4, 4, 2]
    # a chain: a~b and b~c, but a and c share too little to sit together
    chain = {"a": ["bullying", "sel"], "b": ["bullying", "sel", "sustain"], "c": ["sel", "sustain"]}
    rows = [(lea, t, 0.5, None, True) for lea, ts in chain.items() for t in ts]
    out = find_cohorts(lea_topics(rows), settings={"cohorts.min_similarity": 0.6})
    assert out["lea_ids"].tolist() == ["a; b"]


# ---------------------------------------------------------------- the plan
def test_plan_splits_high_need_leas_into_individual_rows():
    rows = [(lea, "bullying", 0.5, 2.0, True) for lea in "abcdefghij"]
    rows += [("k", t, 1.0, 1.0, True) for t in ("bullying", "sel", "sustain", "arts_music", "literacy", "evaluate")]
    lt = lea_topics(rows)
    topics = rank_topics(lt, n_leas=11)
    plan = plan_tta(topics, lt)
    assert list(plan.columns) == SCORE_TABLES["tta_plan"]
    bullying = plan[plan["topic"] == "bullying"]
    assert bullying[["delivery", "n_leas", "level"]].values.tolist() == \
        [["group", 10, "intermediate"], ["individual", 1, "beginning"]]
    assert bullying["leas"].tolist()[1] == "K"
    assert "far above the rest" in bullying["reason"].tolist()[1]
    sel = plan[plan["topic"] == "sel"].iloc[0]
    assert (sel["delivery"], sel["leas"]) == ("individual", "K")
    assert plan["rank"].is_monotonic_increasing


def test_level_falls_back_to_other_ratings_then_the_default():
    rows = [("a", "bullying", 0.5, None, True), ("a", "use_data", 0.1, 3.5, False),
            ("b", "sel", 0.5, None, True)]
    lt = lea_topics(rows)
    plan = plan_tta(rank_topics(lt, n_leas=2), lt).set_index("topic")
    assert plan.loc["bullying", "level"] == "advanced"
    assert "other capacity ratings 3.50" in plan.loc["bullying", "reason"]
    assert plan.loc["sel", "level"] == "intermediate"
    assert "no capacity ratings" in plan.loc["sel", "reason"]


def test_empty_plan():
    empty = pd.DataFrame(columns=SCORE_TABLES["lea_topics"])
    topics = rank_topics(empty, n_leas=0)
    assert plan_tta(topics, empty).empty and list(plan_tta(topics, empty).columns) == SCORE_TABLES["tta_plan"]
    assert find_cohorts(empty).empty and list(find_cohorts(empty).columns) == SCORE_TABLES["cohorts"]


# ---------------------------------------------------------------- a corpus with an obvious answer
def obvious_corpus(n: int = 30) -> dict[str, pd.DataFrame]:
    """Most LEAs share one need at low capacity; one LEA alone has another."""
    leas, needs, ratings, responses = [], [], [], []
    for k in range(n):
        f, lea = f"lea{k:02}.xlsx", f"{k:03}"
        leas.append({"file": f, "lea_id": lea, "lea_name": f"District {k:02}", "allocation": 20000.0})
        if k < n - 5:  # 25 of 30: school climate is their top need and they rate it low
            needs.append({"file": f, "lea_id": lea, "priority": 1, "area": "SHS",
                          "need": "Improve school climate and students' sense of belonging", "amount": 15000.0})
            ratings.append({"file": f, "lea_id": lea, "area": "SHS", "capacity": "Building a positive climate",
                            "rating": 1 + k % 2, "capacity_key": "positive_climate"})
        ratings.append({"file": f, "lea_id": lea, "area": "WRE", "capacity": "Using data", "rating": 3,
                        "capacity_key": "use_data"})
        needs.append({"file": f, "lea_id": lea, "priority": 2, "area": "WRE",
                      "need": "Raise math proficiency", "amount": 5000.0})
    needs.append({"file": "lea29.xlsx", "lea_id": "029", "priority": 1, "area": "WRE",
                  "need": "Start an orchestra", "amount": 1000.0})
    responses.append({"file": "lea29.xlsx", "lea_id": "029", "area": "WRE", "answer":
                      "We would welcome guidance on starting an orchestra.", "sheet": "4a", "cell": "C9",
                      "placeholder": False})
    rows = {"leas": leas, "needs": needs, "ratings": ratings, "responses": responses}
    return {name: frame(name, rows.get(name, [])) for name in READER_TABLES}


def test_the_obvious_corpus_comes_out_as_a_coordinator_expects():
    result = score(obvious_corpus())
    topics = result.topics.set_index("topic")
    assert result.topics["topic"].iloc[0] == "school_climate"
    assert topics.loc["school_climate", "n_leas"] == 25
    assert topics.loc["school_climate", "consensus"]
    plan = result.tta_plan.set_index("topic")
    climate = plan.loc["school_climate"]
    assert (climate["delivery"], climate["level"], climate["n_leas"]) == ("group", "beginning", 25)
    assert "Live webinar" in climate["modes"]
    arts = plan.loc["arts_music"]
    assert (arts["delivery"], arts["n_leas"], arts["leas"]) == ("individual", 1, "District 29")
    assert arts["modes"].startswith("In-person meeting")
    math_row = plan.loc["stem_cs"]
    assert (math_row["delivery"], math_row["n_leas"]) == ("group", 30)
    # the 25 LEAs with the same profile fall into peer cohorts of at most 8
    assert result.cohorts["n_leas"].max() <= 8
    assert "school_climate" in result.cohorts["topics"].iloc[0]
    assert result.tta_requests["topic"].tolist() == ["arts_music"]


@pytest.mark.parametrize("n, topics", [(0, 3), (1, 1), (30, 5), (200, 64), (150, 65), (40, 130)])
def test_jaccard_counts_shared_bits_as_the_matrix_product_would(n, topics):
    rng = np.random.default_rng(n + topics)
    x = (rng.random((n, topics)) < rng.random()).astype(np.int8)
    f = x.astype(np.float32)
    inter = f @ f.T
    size = f.sum(axis=1)
    expected = inter / np.maximum(size[:, None] + size[None, :] - inter, 1)
    got = jaccard_matrix(x)
    assert got.dtype == np.float32 and np.array_equal(got, expected)


def test_lea_totals_add_up_as_pandas_does():
    rng = np.random.default_rng(3)
    rows = [{"file": f"{k}.xlsx", "lea_id": [str(k), None][k == 4], "topic": f"t{j}", "gap": float(rng.random()),
             "need": bool(rng.random() < 0.7)} for k in range(6) for j in range(rng.integers(1, 9))]
    lt = pd.DataFrame(rows).astype({"file": "str", "lea_id": "str"})
    expected = lt["gap"].where(lt["need"], 0.0).groupby([lt["file"], lt["lea_id"]], sort=True).sum()
    pd.testing.assert_series_equal(lea_totals(lt), expected, check_exact=True, check_names=False)
    assert "4.xlsx" not in lea_totals(lt).index.get_level_values("file")  # no ID: left out, as by groupby
