"""Spending checks against the program's rules, with numbers worked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from needsassess.problems import TemplateError
from needsassess.scoring import score
from needsassess.spending import check_spending
from needsassess.tables import SCORE_TABLES, frame


def leas(*rows: tuple[str, float | None]) -> pd.DataFrame:
    return frame("leas", [{"file": f"{lea}.xlsx", "lea_id": lea, "lea_name": lea.title(), "allocation": amount}
                          for lea, amount in rows])


def needs(*rows: tuple[str, str, float | None, float | None]) -> pd.DataFrame:
    return frame("needs", [{"file": f"{lea}.xlsx", "lea_id": lea, "priority": n + 1, "area": area,
                            "need": "x", "amount": amount, "infrastructure_amount": infra}
                           for n, (lea, area, amount, infra) in enumerate(rows)])


def by_check(out: pd.DataFrame, lea: str) -> dict[str, tuple]:
    part = out[out["lea_id"] == lea]
    return {c: (v, p) for c, v, p in zip(part["check"], part["value"], part["passed"])}


def test_a_large_allocation_hand_worked():
    # $50,000: WRE 20,000 (40%), SHS 5,000 (10%), EUT 10,000 of which 2,000 infrastructure
    out = check_spending(leas(("alder", 50000.0)),
                         needs(("alder", "WRE", 20000.0, 0.0), ("alder", "SHS", 5000.0, 0.0),
                               ("alder", "EUT", 10000.0, 2000.0)))
    assert list(out.columns) == SCORE_TABLES["spending"]
    got = by_check(out, "alder")
    assert got["wre_share"] == (0.4, True)
    assert got["shs_share"] == (0.1, False)
    assert got["eut_some"] == (10000.0, True)
    assert math.isnan(got["one_area"][0]) and got["one_area"][1] is pd.NA   # only for small allocations
    assert got["infrastructure_of_eut"] == (0.2, False)                      # 2,000 / 10,000
    assert got["infrastructure_of_allocation"] == (0.04, True)               # 2,000 / 50,000
    row = out[out["check"] == "shs_share"].iloc[0]
    assert row["topic"] == "spending_shs_share" and row["basis"] == "allocation" and row["lea_name"] == "Alder"
    assert row["message"] == "fails: SHS: $5,000 of $50,000 (10.0%); the rule is at least 20%"


def test_exactly_on_the_threshold_passes():
    out = check_spending(leas(("birch", 40000.0)),
                         needs(("birch", "WRE", 8000.0, 0.0), ("birch", "SHS", 8000.0, 0.0),
                               ("birch", "EUT", 20000.0, 3000.0)))
    got = by_check(out, "birch")
    assert got["wre_share"] == (0.2, True) and got["shs_share"] == (0.2, True)
    assert got["infrastructure_of_eut"] == (0.15, True)


def test_a_small_allocation_needs_one_area():
    out = check_spending(leas(("cedar", 12000.0), ("dogwood", 9000.0)),
                         needs(("cedar", "SHS", 12000.0, None), ("dogwood", "SHS", 0.0, None)))
    cedar, dogwood = by_check(out, "cedar"), by_check(out, "dogwood")
    assert cedar["one_area"] == (1.0, True)
    assert dogwood["one_area"] == (0.0, False)
    for check in ("wre_share", "shs_share", "eut_some"):
        assert cedar[check][1] is pd.NA
    assert out[(out["lea_id"] == "cedar") & (out["check"] == "wre_share")]["message"].iloc[0] == \
        "does not apply: allocation under $30,000"


def test_missing_allocation_uses_the_planned_total():
    out = check_spending(leas(("elm", None)),
                         needs(("elm", "WRE", 30000.0, 0.0), ("elm", "SHS", 10000.0, 0.0)))
    got = by_check(out, "elm")
    assert got["wre_share"] == (0.75, True)      # 30,000 / 40,000 planned, and 40,000 >= 30,000: large
    assert got["eut_some"] == (0.0, False)
    assert set(out["basis"]) == {"planned total"}


def test_unknown_size_and_no_amounts_cannot_be_checked():
    out = check_spending(leas(("fir", None), ("gum", 50000.0)),
                         needs(("fir", "WRE", 1000.0, 0.0), ("gum", "WRE", None, None)))
    fir, gum = out[out["lea_id"] == "fir"], out[out["lea_id"] == "gum"]
    assert fir.set_index("check").loc["wre_share", "message"].startswith("cannot tell whether this rule applies")
    assert fir.set_index("check").loc["infrastructure_of_eut", "passed"] == True  # noqa: E712 (applies to all)
    assert gum["passed"].isna().all()
    assert gum["message"].str.startswith("cannot be checked").all()


def test_lea_without_needs_is_still_listed():
    out = check_spending(leas(("hazel", 45000.0)), frame("needs", []))
    assert len(out) == 6 and out["passed"].isna().all()


def test_infrastructure_without_an_eut_amount_fails():
    out = check_spending(leas(("ivy", 50000.0)), needs(("ivy", "WRE", 20000.0, 1000.0)))
    assert by_check(out, "ivy")["infrastructure_of_eut"][1] == False  # noqa: E712


def test_rules_are_settings():
    s = {"spending.rules.shs_share.at_least": 0.05, "spending.small_allocation": 60000.0}
    out = check_spending(leas(("juniper", 50000.0)), needs(("juniper", "SHS", 5000.0, 0.0)), settings=s)
    got = by_check(out, "juniper")
    assert got["shs_share"][1] is pd.NA            # 50,000 is now "small"
    assert got["one_area"] == (1.0, True)
    added = {"spending.rules.admin_cap": {"measure": "area_share", "area": "WRE", "at_most": 0.5,
                                         "topic": "spending_wre_share"}}
    got = by_check(check_spending(leas(("kapok", 50000.0)), needs(("kapok", "WRE", 30000.0, 0.0)),
                                  settings=added), "kapok")
    assert got["admin_cap"] == (0.6, False)
    with pytest.raises(TemplateError):
        check_spending(leas(), needs(), settings={"spending.rules.wre_share.at_least": "a lot"})


def test_empty_inputs():
    out = check_spending(frame("leas", []), frame("needs", []))
    assert out.empty and list(out.columns) == SCORE_TABLES["spending"]
    assert check_spending(None, None).empty


def test_a_failed_check_is_a_topic_for_that_lea():
    result = score({"leas": leas(("larch", 50000.0)),
                    "needs": needs(("larch", "WRE", 40000.0, 0.0), ("larch", "EUT", 10000.0, 0.0))})
    rows = result.lea_topics.set_index("topic")
    assert rows.loc["spending_shs_share", "spending"] == 1.0
    assert rows.loc["spending_shs_share", "need"]
    assert "spending_wre_share" not in rows.index
    plan = result.tta_plan.set_index("topic")
    assert plan.loc["spending_shs_share", "delivery"] == "individual"


def pandas_amounts(leas: pd.DataFrame, needs: pd.DataFrame) -> pd.DataFrame:
    """lea_amounts written with pandas' own groupby and pivot_table, to hold the quick one to."""
    keys = ["file", "lea_id"]
    lea = leas.assign(allocation=pd.to_numeric(leas["allocation"], errors="coerce").astype(float))
    nd = needs.copy()
    base = pd.concat([lea.drop_duplicates(keys), nd[keys].drop_duplicates()], ignore_index=True)
    out = base.drop_duplicates(keys).reindex(columns=[*keys, "lea_name", "allocation"]).set_index(keys)
    known = nd[nd["amount"].notna() | nd["infrastructure_amount"].notna()]
    out["planned"] = known.groupby(keys, sort=False)["amount"].sum(min_count=0).reindex(out.index)
    out["infrastructure"] = known.groupby(keys, sort=False)["infrastructure_amount"].sum().reindex(out.index)
    by_area = known.pivot_table(index=keys, columns="area", values="amount", aggfunc="sum", fill_value=0.0)
    for area in ("WRE", "SHS", "EUT"):
        col = by_area[area] if area in by_area.columns else pd.Series(0.0, index=by_area.index, dtype=float)
        out[area] = col.reindex(out.index).astype(float)
        out.loc[out["planned"].notna() & out[area].isna(), area] = 0.0
    return out.reset_index()


@pytest.mark.parametrize("seed", range(8))
def test_lea_amounts_add_up_as_pandas_does(seed):
    import random

    from needsassess.spending import lea_amounts

    rng = random.Random(seed)
    leas = pd.DataFrame({"file": [f"{k}.xlsx" for k in range(6)], "lea_id": ["0", "1", None, "3", "4", "5"],
                         "lea_name": ["A", None, "C", "", "E", "F"],
                         "allocation": [rng.choice([None, 15000.0, 45000.0, "n/a"]) for _ in range(6)]})
    rows = [{"file": f"{k}.xlsx", "lea_id": [str(k), None][k == 2 or rng.random() < 0.05],
             "area": rng.choice(["WRE", "SHS", "EUT", None]),
             "amount": rng.choice([None, 0.1, 0.2, 0.3, rng.random() * 1e4]),
             "infrastructure_amount": rng.choice([None, 0.0, rng.random() * 1e3])}
            for k in sorted(rng.randrange(8) for _ in range(rng.randint(0, 60)))]
    needs = pd.DataFrame(rows, columns=["file", "lea_id", "area", "amount", "infrastructure_amount"])
    needs = needs.astype({"amount": float, "infrastructure_amount": float})
    pd.testing.assert_frame_equal(lea_amounts(leas, needs), pandas_amounts(leas, needs), check_exact=True)
