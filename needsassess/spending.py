"""Check each LEA's planned spending against the program's rules.

The rules (which measure, which threshold, who they apply to, which T/TA
topic a failure raises) are declared in ``[spending]`` of
``data/scoring.toml``; the measures themselves are the formulas below.

Examples
--------
>>> import pandas as pd
>>> leas = pd.DataFrame({"file": ["a.xlsx"], "lea_id": ["1"], "lea_name": ["A"], "allocation": [50000.0]})
>>> needs = pd.DataFrame({"file": ["a.xlsx"] * 3, "lea_id": ["1"] * 3, "area": ["WRE", "SHS", "EUT"],
...                       "amount": [20000.0, 5000.0, 10000.0], "infrastructure_amount": [0.0, 0.0, 1000.0]})
>>> out = check_spending(leas, needs)
>>> out.set_index("check")["passed"].to_dict()["shs_share"]
False
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .columns import array, group_ids, objects
from .settings import Settings, load_settings
from .tables import SCORE_TABLES
from .template import AREAS

SPENDING_COLUMNS = SCORE_TABLES["spending"]
_TOLERANCE = 1e-9


def floats(values: pd.Series) -> pd.Series:
    """Numbers as float64 with NaN for anything missing or not a number.

    The reader's nullable columns (``Int64`` ranks and ratings, with ``NA``)
    become plain floats, so comparisons never meet an ambiguous ``NA``.
    """
    return pd.to_numeric(values, errors="coerce").astype("float64")


def _money(x: float) -> str:
    return f"${x:,.0f}"


def _share(x: float) -> str:
    return f"{x:.1%}"


def lea_amounts(leas: pd.DataFrame | None, needs: pd.DataFrame | None) -> pd.DataFrame:
    """Per LEA: allocation, planned total, amount per area and infrastructure amount.

    An LEA with no amount at all on its prioritized-needs tab has a planned
    total of NaN (nothing can be checked); one with amounts has 0 for an
    area it plans nothing for.
    """
    keys = ["file", "lea_id"]
    parts = []
    if leas is not None and len(leas):
        lea = leas.reindex(columns=[*keys, "lea_name", "allocation"]).copy()
        lea["allocation"] = floats(lea["allocation"])
        parts.append(lea.drop_duplicates(keys))
    cols = [*keys, "area", "amount", "infrastructure_amount"]
    nd = needs.reindex(columns=cols).copy() if needs is not None and len(needs) else pd.DataFrame(columns=cols)
    for c in ("amount", "infrastructure_amount"):
        nd[c] = floats(nd[c])
    base = pd.concat([*parts, nd[keys].drop_duplicates()], ignore_index=True).drop_duplicates(keys, keep="first")
    out = base.reindex(columns=[*keys, "lea_name", "allocation"]).set_index(keys)
    # sums per LEA (and per LEA and area) over numbers standing for the keys: grouped as by the keys
    # themselves, so pandas adds up the same way, but without hashing text per row
    known = nd[nd["amount"].notna() | nd["infrastructure_amount"].notna()]
    files, ids, areas = array(known["file"]), array(known["lea_id"]), array(known["area"])
    lea, lea_keys = group_ids(files, ids, sort=False)
    total = dict(zip(lea_keys, known["amount"].groupby(lea, sort=False).sum(min_count=0).tolist()))
    infra = dict(zip(lea_keys, known["infrastructure_amount"].groupby(lea, sort=False).sum().tolist()))
    cell, cell_keys = group_ids(files, ids, areas)
    by_area = dict(zip(cell_keys, known[["amount"]].groupby(cell).sum()["amount"].tolist()))
    leas_keys = list(zip(objects(base["file"]).tolist(), objects(base["lea_id"]).tolist()))
    out["planned"] = np.array([total.get(k, math.nan) for k in leas_keys], dtype=float)
    out["infrastructure"] = np.array([infra.get(k, math.nan) for k in leas_keys], dtype=float)
    for area in AREAS:
        out[area] = np.array([by_area.get((*k, area), 0.0 if k in total else math.nan) for k in leas_keys],
                             dtype=float)
    return out.reset_index()


def _measure(rule: Mapping[str, Any], row: Mapping[str, Any], base: float) -> tuple[float, str]:
    """The rule's measure for one LEA, and the sentence that explains it."""
    kind = rule["measure"]
    area = rule.get("area", "")
    infra = row["infrastructure"]
    if kind == "area_share":
        value = row[area] / base if base else math.nan
        return value, f"{area}: {_money(row[area])} of {_money(base)} ({_share(value) if base else 'n/a'})"
    if kind == "area_amount":
        return row[area], f"{area}: {_money(row[area])}"
    if kind == "areas_funded":
        n = sum(1 for a in AREAS if row[a] > 0)
        return float(n), f"{n} area(s) with planned funds"
    if kind == "infrastructure_of_area":
        if infra == 0:
            return 0.0, "no technology infrastructure planned"
        value = infra / row[area] if row[area] else math.inf
        return value, f"technology infrastructure {_money(infra)} of {area} {_money(row[area])}" + \
            (f" ({_share(value)})" if row[area] else " (no amount for the area)")
    value = infra / base if base else math.nan  # infrastructure_of_allocation
    return value, f"technology infrastructure {_money(infra)} of {_money(base)} ({_share(value) if base else 'n/a'})"


def _limit(rule: Mapping[str, Any]) -> tuple[float, str, str]:
    """The rule's threshold, its comparison ("at least", "more than" or "at most") and how it reads."""
    kind = rule["measure"]
    show = _money if kind == "area_amount" else (lambda t: f"{t:g}") if kind == "areas_funded" else \
        (lambda t: f"{t:.0%}" if round(t * 100, 6).is_integer() else _share(t))
    op = next((op for op in ("at_least", "more_than") if op in rule), "at_most")
    t = float(rule[op])
    wanted = op.replace("_", " ")
    return t, wanted, f"{wanted} {show(t)}"


def _passes(limit: tuple[float, str, str], value: float) -> bool:
    t, op, _ = limit
    if op == "at least":
        return value >= t - _TOLERANCE
    if op == "more than":
        return value > t + _TOLERANCE
    return value <= t + _TOLERANCE


def check_spending(leas: pd.DataFrame | None, needs: pd.DataFrame | None, *,
                   settings: Settings | Mapping[str, Any] | str | Path | None = None) -> pd.DataFrame:
    """The ``spending`` table: one row per LEA and spending rule.

    Parameters
    ----------
    leas, needs : DataFrame
        The reader's tables (allocation; area, amount, infrastructure_amount).
    settings : Settings, mapping, path or None
        The rules are ``spending.rules``; ``spending.small_allocation`` splits
        the LEAs that must fund all three areas from those that need only one.

    Returns
    -------
    DataFrame
        ``value`` is the measure (a share from 0 to 1, a dollar amount or a
        count), ``threshold`` the rule's limit, ``passed`` True / False, or
        missing when the rule does not apply or cannot be checked (the
        ``message`` says which), ``topic`` the T/TA topic a failure raises and
        ``basis`` what the shares are of ("allocation" or "planned total").
    """
    st = load_settings(settings)
    rules = st.get("spending.rules")
    small = float(st.get("spending.small_allocation"))
    checks = [(name, rule, rule.get("applies", "all"), _limit(rule)) for name, rule in rules.items()]
    amounts = lea_amounts(leas, needs)
    columns = {c: amounts[c].tolist() for c in amounts.columns}
    rows = []
    for values in zip(*columns.values()):
        row = dict(zip(columns, values))
        alloc, planned = row["allocation"], row["planned"]
        has_alloc = isinstance(alloc, float) and not math.isnan(alloc) and alloc > 0
        base, basis = (alloc, "allocation") if has_alloc else (planned, "planned total")
        size = ("large" if alloc >= small else "small") if has_alloc else \
            ("large" if isinstance(planned, float) and planned >= small else "")
        for name, rule, applies, limit in checks:
            threshold, value, passed = limit[0], math.nan, None
            if planned != planned:  # NaN: no amounts at all
                message = "cannot be checked: the prioritized-needs tab gives no amounts"
            elif applies != "all" and not size:
                message = "cannot tell whether this rule applies: the allocation is missing"
            elif applies != "all" and applies != size:
                message = (f"does not apply: allocation {'under' if applies == 'large' else 'of'} "
                           f"{_money(small)}{'' if applies == 'large' else ' or more'}")
            else:
                value, explained = _measure(rule, row, base)
                passed = _passes(limit, value)
                if value != value:
                    passed, message = None, f"cannot be checked: {explained}"
                else:
                    message = f"{'passes' if passed else 'fails'}: {explained}; the rule is {limit[2]}"
            rows.append((row["file"], row["lea_id"], name, value, threshold, passed, message,
                         row["lea_name"] if isinstance(row["lea_name"], str) else "", rule["topic"], basis))
    out = pd.DataFrame(rows, columns=SPENDING_COLUMNS)
    out["value"] = out["value"].astype(float).replace([np.inf], np.nan)
    out["threshold"] = out["threshold"].astype(float)
    out["passed"] = out["passed"].astype("boolean")
    return out.sort_values(["file", "lea_id"], kind="stable").reset_index(drop=True)
