"""Per-LEA gap scores and the statewide ranking of T/TA topics.

Pure functions over the reader's tables; every weight and threshold comes
from ``data/scoring.toml`` (see ``docs/method.md``).

Examples
--------
>>> from needsassess.tables import frame
>>> tables = {
...     "leas": frame("leas", [{"file": "a.xlsx", "lea_id": "1", "lea_name": "Alder"}]),
...     "needs": frame("needs", [{"file": "a.xlsx", "lea_id": "1", "priority": 1, "area": "SHS",
...                               "need": "Reduce vaping among students"}]),
... }
>>> result = score(tables)
>>> first = result.topics.iloc[0]
>>> first["topic"], int(first["n_leas"]), int(first["rank"])
('substance_use', 1, 1)
"""

from __future__ import annotations

import gc
import html
import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any, Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from .plan import find_cohorts, plan_tta
from .problems import OutputError
from .requests import find_requests
from .spending import check_spending, floats
from .tables import READER_TABLES, SCORE_TABLES
from .taxonomy import RANKING_METHODS, Settings, Taxonomy, classify, load_settings, load_taxonomy
from .template import load_template

SIGNALS = ("priority", "capacity", "request", "indicator", "spending")
LEA_TOPIC_COLUMNS = SCORE_TABLES["lea_topics"]
TOPIC_COLUMNS = SCORE_TABLES["topics"]
AGREEMENT_COLUMNS = ["method_a", "method_b", "tau", "n_topics"]
UNCLASSIFIED_COLUMNS = ["file", "lea_id", "source", "text", "sheet", "cell"]
_KEYS = ["file", "lea_id"]

TaxonomyLike = Taxonomy | str | Path | None
SettingsLike = Settings | Mapping[str, Any] | str | Path | None


# ---------------------------------------------------------------- inputs
def as_tables(tables: Any) -> dict[str, pd.DataFrame]:
    """The reader's tables from an object with attributes or a mapping.

    A missing table is empty, a missing column is added empty, so every
    stage can rely on the declared columns.
    """
    out = {}
    for name, cols in READER_TABLES.items():
        df = tables.get(name) if isinstance(tables, Mapping) else getattr(tables, name, None)
        df = pd.DataFrame(columns=cols) if df is None else df
        missing = [c for c in cols if c not in df.columns]
        out[name] = df.assign(**{c: pd.Series(dtype=object, index=df.index) for c in missing}) if missing else df
    return out


def lea_list(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Every LEA in the tables (file, lea_id, lea_name), in file order."""
    parts = [tables["leas"].reindex(columns=[*_KEYS, "lea_name"])]
    parts += [tables[n][_KEYS] for n in ("responses", "ratings", "needs", "indicators") if len(tables[n])]
    leas = pd.concat(parts, ignore_index=True).drop_duplicates(_KEYS, keep="first")
    leas = leas[leas["file"].notna() | leas["lea_id"].notna()]
    leas["lea_name"] = leas["lea_name"].where(leas["lea_name"].notna(), "")
    return leas.sort_values(_KEYS, kind="stable").reset_index(drop=True)


def _text(values: Iterable[Any]) -> list[str]:
    values = values.tolist() if isinstance(values, pd.Series) else values  # iterating a Series is slow
    return [v.strip() if isinstance(v, str) else "" for v in values]


def _lower(value: Any) -> str:
    return value.strip().lower() if isinstance(value, str) else ""


def _map_unique(values: pd.Series, fn: Any) -> np.ndarray:
    """``fn`` applied to each distinct value only (a column of few distinct values)."""
    codes, uniques = pd.factorize(values)
    mapped = np.array([fn(u) for u in uniques] + [fn(None)], dtype=object)
    return mapped[codes]  # code -1 (missing) takes the last entry


def _lists(frame: pd.DataFrame, *names: str) -> list[list[Any]]:
    """Columns as plain lists, for fast row loops."""
    return [frame[n].tolist() for n in names]


# ---------------------------------------------------------------- signals
# Each signal function returns rows (file, lea_id, topic, value, terms).

def priority_signal(needs: pd.DataFrame, *, taxonomy: TaxonomyLike = None, settings: SettingsLike = None
                    ) -> tuple[list[tuple], list[tuple]]:
    """Borda points of each LEA's prioritized needs, per topic.

    The need ranked r among an LEA's n needs earns (n - r + 1) / n points
    (tied ranks share the average; a missing rank counts as last).  A topic
    named by several needs keeps the highest points.

    Returns
    -------
    rows, unclassified
        ``(file, lea_id, topic, points, terms)`` rows, and
        ``(file, lea_id, "need", text, sheet, row)`` for needs naming no topic.
    """
    tax, st = load_taxonomy(taxonomy), load_settings(settings)
    if not len(needs):
        return [], []
    nd = needs.reset_index(drop=True)
    prio = floats(nd["priority"])
    groups = [nd["file"].fillna(""), nd["lea_id"].fillna("")]
    pos = prio.groupby(groups).rank(method="average", na_option="bottom")
    n = prio.groupby(groups).transform("size")
    points = ((n - pos + 1) / n).to_numpy()

    def joined(fields: list[str]) -> list[str]:
        cols = [_text(nd[f]) if f in nd.columns else [""] * len(nd) for f in fields]
        return [". ".join(p for p in parts if p) for parts in zip(*cols)]
    areas = nd["area"].tolist()
    found = classify(joined(st.get("classify.need_fields")), taxonomy=tax, areas=areas)
    left = sorted(set(range(len(nd))) - set(found["item"]))
    fallback_texts = joined(st.get("classify.fallback_fields"))
    extra = classify([fallback_texts[i] for i in left], taxonomy=tax, areas=[areas[i] for i in left])
    extra["item"] = np.asarray([left[i] for i in extra["item"]], dtype=np.int64)
    found = pd.concat([found, extra], ignore_index=True).astype({"item": np.int64})
    files, ids = nd["file"].tolist(), nd["lea_id"].tolist()
    rows = [(files[i], ids[i], topic, float(points[i]), terms)
            for i, topic, terms in zip(*_lists(found, "item", "topic", "terms"))]
    still = sorted(set(left) - set(extra["item"]))
    texts = joined(["need", "outcome", "activity"])
    sheets = nd["sheet"].tolist()
    where = nd["row"].tolist() if "row" in nd.columns else [""] * len(nd)
    unclassified = [(files[i], ids[i], "need", texts[i], sheets[i], "" if where[i] is None else str(where[i]))
                    for i in still if texts[i]]
    return rows, unclassified


def capacity_signal(ratings: pd.DataFrame, *, taxonomy: TaxonomyLike = None) -> tuple[list[tuple], list[tuple]]:
    """Capacity gaps (4 - rating) / 3 and "T/TA wanted" answers, per topic.

    A rating's topic comes from its template capacity key through
    ``[capacity_topics]``; failing a key, from its label's terms.

    Returns
    -------
    gaps, wanted
        ``(file, lea_id, topic, gap, rating, label)`` per valid rating and
        ``(file, lea_id, topic, 1.0, terms)`` per capacity marked "T/TA wanted".
    """
    tax = load_taxonomy(taxonomy)
    if not len(ratings):
        return [], []
    rt = ratings.reset_index(drop=True)
    keys = _text(rt["capacity_key"])
    labels = _text(rt["capacity"])
    topics = [tax.capacity_topics.get(k, "") for k in keys]
    unknown = [i for i, t in enumerate(topics) if not t]
    if unknown:
        by_label = classify([labels[i] for i in unknown], taxonomy=tax, areas=[rt["area"][i] for i in unknown])
        first = by_label.drop_duplicates("item")
        for item, topic in zip(*_lists(first, "item", "topic")):
            topics[unknown[item]] = topic
    rating = floats(rt["rating"])
    rating = rating.where(rating.between(1, 4)).tolist()
    wanted = rt["tta_wanted"].tolist()
    gaps, asks = [], []
    for f, i, topic, r, w, label in zip(*_lists(rt, "file", "lea_id"), topics, rating, wanted, labels):
        if not topic:
            continue
        if r == r:
            gaps.append((f, i, topic, (4.0 - r) / 3.0, float(r), label))
        if w is True or (isinstance(w, str) and w.strip().lower() in ("true", "yes", "y")):
            asks.append((f, i, topic, 1.0, f"T/TA wanted: {label}"))
    return gaps, asks


def indicator_signal(indicators: pd.DataFrame, *, taxonomy: TaxonomyLike = None, settings: SettingsLike = None
                     ) -> list[tuple]:
    """How far each LEA's selected schools trail, per topic, scaled across LEAs.

    For each LEA and indicator the selected schools' average is compared
    with each reference level (district, State), direction aware; the larger
    shortfall counts (with no school values, the district is compared with
    the State).  Each indicator's shortfalls are divided by the largest one
    among all LEAs, so the LEA furthest behind scores 1 and LEAs not behind
    score 0.  A topic's signal is the mean over its indicators.
    """
    tax, st = load_taxonomy(taxonomy), load_settings(settings)
    if not len(indicators):
        return []
    known = list(tax.indicator_topics)
    key = indicators["indicator_key"].astype(object)
    key = key.where(key.isin(known), indicators["indicator"].astype(object))
    value = floats(indicators["value"])
    keep = (key.isin(known) & value.notna()).to_numpy()
    if not keep.any():
        return []
    sub = indicators.loc[keep]
    school_levels = {s.lower() for s in st.get("indicators.school_levels")}
    references = [r.lower() for r in st.get("indicators.references")]
    levels = list(dict.fromkeys(["school", "district", *references]))
    code_of = {lv: n for n, lv in enumerate(levels)}
    level = _map_unique(sub["level"], lambda v: code_of.get("school" if _lower(v) in school_levels else _lower(v), -1))
    level = level.astype(np.int64)
    # integer codes for (LEA, indicator) so the averaging is a bincount, not a groupby
    f_code, f_uni = pd.factorize(sub["file"].to_numpy(object))
    i_code, i_uni = pd.factorize(sub["lea_id"].to_numpy(object))
    k_code, k_uni = pd.factorize(key[keep].to_numpy(object))
    group, g_uni = pd.factorize((f_code.astype(np.int64) * (len(i_uni) + 1) + i_code) * (len(k_uni) + 1) + k_code)
    ok = level >= 0
    n_groups, n_levels = len(g_uni), len(levels)
    cell = group[ok] * n_levels + level[ok]
    total = np.bincount(cell, weights=value[keep].to_numpy(float)[ok], minlength=n_groups * n_levels)
    count = np.bincount(cell, minlength=n_groups * n_levels)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (total / count).reshape(n_groups, n_levels)
    first_row = np.unique(group, return_index=True)[1]  # a row of each group, for its keys
    rows = np.flatnonzero(keep)[first_row]
    template_dir = {i.key: i.direction for i in load_template().indicators}
    direction_of = _map_unique(sub["direction"], _lower)
    has = direction_of != ""
    stated_groups, first = np.unique(group[has], return_index=True)
    stated = dict(zip(stated_groups.tolist(), direction_of[has][first].tolist()))
    keys_of = k_uni[k_code[first_row]]
    lower = np.array([stated.get(g, template_dir.get(k, "higher")) == "lower" for g, k in enumerate(keys_of)],
                     dtype=bool)
    sign = np.where(lower, -1.0, 1.0)
    school = mean[:, 0]
    subject = np.where(np.isnan(school), mean[:, 1], school)  # no school values: the district itself
    shortfall = np.full(n_groups, np.nan)
    for ref in references:
        ref_value = mean[:, code_of[ref]]
        if ref == "district":  # the district is a reference only for the schools
            ref_value = np.where(np.isnan(school), np.nan, ref_value)
        shortfall = np.fmax(shortfall, sign * (ref_value - subject))
    gaps = pd.DataFrame({"file": indicators["file"].to_numpy(object)[rows],
                         "lea_id": indicators["lea_id"].to_numpy(object)[rows], "key": keys_of,
                         "shortfall": np.clip(shortfall, 0, None)}).dropna(subset=["shortfall"])
    top = gaps.groupby("key")["shortfall"].transform("max")
    gaps["scaled"] = np.where(top > 0, gaps["shortfall"] / top.where(top > 0, 1.0), 0.0)
    per_topic: dict[tuple[str, str, str], list] = {}
    for f, i, k, s, raw in zip(*_lists(gaps, "file", "lea_id", "key", "scaled", "shortfall")):
        for topic in tax.indicator_topics[k]:
            acc = per_topic.setdefault((f, i, topic), [0.0, 0, []])
            acc[0] += s
            acc[1] += 1
            if raw > 0:
                acc[2].append(f"{k} {raw:g} behind")
    return [(f, i, t, total / n, "; ".join(terms)) for (f, i, t), (total, n, terms) in per_topic.items()]


def request_signal(tta_requests: pd.DataFrame) -> list[tuple]:
    """1 for each topic an LEA asked T/TA on in its open-ended answers."""
    rows = []
    for f, i, topics, cue in zip(*_lists(tta_requests, "file", "lea_id", "topics", "cue")):
        for topic in (t for t in str(topics).split("; ") if t):
            rows.append((f, i, topic, 1.0, f'asked: "{cue}"'))
    return rows


def spending_signal(spending: pd.DataFrame) -> list[tuple]:
    """1 for each topic raised by a failed spending check."""
    failed = spending[spending["passed"].eq(False).fillna(False).astype(bool)]
    return [(f, i, t, 1.0, f"spending check {c} failed")
            for f, i, t, c in zip(*_lists(failed, "file", "lea_id", "topic", "check"))]


# ---------------------------------------------------------------- gaps
def combine_signals(signals: Mapping[str, list[tuple]], ratings: list[tuple], leas: pd.DataFrame, *,
                    taxonomy: TaxonomyLike = None, settings: SettingsLike = None,
                    spoke: Mapping[str, set[tuple[str, str]]] | None = None) -> pd.DataFrame:
    """The ``lea_topics`` table from signal rows.

    The gap is the weighted mean of the signals present for the LEA and
    topic (``gap.weights``).  A signal the LEA gave no evidence for at all
    is left out, not counted as 0; but where ``spoke[signal]`` holds the LEA
    (it listed needs, or answered the questions) and it said nothing of
    this topic, that silence counts as 0: an LEA's own priorities and asks
    weigh against what only its ratings or indicators suggest.
    """
    tax, st = load_taxonomy(taxonomy), load_settings(settings)
    cells: dict[tuple[str, str, str], list] = {}
    width = len(SIGNALS)
    known = tax.by_key
    for s, name in enumerate(SIGNALS):
        for f, i, topic, value, terms in signals.get(name, ()):
            if topic not in known:
                continue
            cell = cells.get((f, i, topic))
            if cell is None:
                cell = cells[(f, i, topic)] = [math.nan] * width + [[], []]
            old = cell[s]
            cell[s] = value if old != old else max(old, value)
            if terms and terms not in cell[width]:
                cell[width].append(terms)
    for f, i, topic, gap, rating, label in ratings:
        cell = cells.get((f, i, topic))
        if cell is None:
            cell = cells[(f, i, topic)] = [math.nan] * width + [[], []]
        cell[width + 1].append((gap, rating))
        cell[width].append(f"rated {rating:g}: {label}")
    records = []
    for (f, i, topic), cell in cells.items():
        if cell[width + 1]:
            cell[1] = sum(g for g, _ in cell[width + 1]) / len(cell[width + 1])
            rating = sum(r for _, r in cell[width + 1]) / len(cell[width + 1])
        else:
            rating = math.nan
        records.append((f, i, topic, *cell[:width], rating, "; ".join(cell[width])))
    cols = [*_KEYS, "topic", *SIGNALS, "rating", "terms"]
    out = pd.DataFrame(records, columns=cols)
    for name, keys in (spoke or {}).items():
        # one workbook holds one LEA, so the file alone identifies it (and isin is vectorised)
        silent = out[name].isna() & out["file"].isin({f for f, _ in keys})
        out.loc[silent, name] = 0.0
    values = out[list(SIGNALS)].to_numpy(float)
    weights = np.array([float(st.get(f"gap.weights.{s}")) for s in SIGNALS])
    present = ~np.isnan(values)
    den = (present * weights).sum(axis=1)
    num = np.nansum(values * weights, axis=1)
    out["gap"] = np.divide(num, den, out=np.zeros(len(out)), where=den > 0)
    out["need"] = ((out["priority"] > 0) | (out["request"] == 1) | (out["spending"] == 1)
                   | (out["rating"] <= float(st.get("need.max_rating")))
                   | (out["indicator"] >= float(st.get("need.min_indicator"))))
    out["area"] = out["topic"].map({t.key: t.area for t in tax.topics})
    names = {(f, i): n for f, i, n in zip(*_lists(leas, "file", "lea_id", "lea_name"))}
    out["lea_name"] = [names.get((f, i), "") for f, i in zip(*_lists(out, "file", "lea_id"))]
    out = out.sort_values(["file", "lea_id", "gap", "topic"], ascending=[True, True, False, True], kind="stable")
    return out[LEA_TOPIC_COLUMNS].reset_index(drop=True)


def lea_gaps(tables: Any, *, taxonomy: TaxonomyLike = None, settings: SettingsLike = None,
             requests: pd.DataFrame | None = None, spending: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``lea_topics`` table: each LEA's gap on each topic it shows a signal for.

    Parameters
    ----------
    tables : object or mapping
        The reader's tables (see :func:`as_tables`).
    requests, spending : DataFrame, optional
        Already computed ``tta_requests`` and ``spending`` tables; found from
        ``tables`` when not given.
    """
    return _lea_gaps(as_tables(tables), load_taxonomy(taxonomy), load_settings(settings), requests, spending)[0]


def _lea_gaps(t: Mapping[str, pd.DataFrame], tax: Taxonomy, st: Settings, requests: pd.DataFrame | None,
              spending: pd.DataFrame | None, leas: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[tuple]]:
    if requests is None:
        requests = find_requests(t["responses"], taxonomy=tax, leas=t["leas"])
    if spending is None:
        spending = check_spending(t["leas"], t["needs"], settings=st)
    priority, unclassified = priority_signal(t["needs"], taxonomy=tax, settings=st)
    ratings, wanted = capacity_signal(t["ratings"], taxonomy=tax)
    signals = {"priority": priority, "request": request_signal(requests) + wanted,
               "indicator": indicator_signal(t["indicators"], taxonomy=tax, settings=st),
               "spending": spending_signal(spending)}
    unclassified += [(f, i, "request", s, sh, c) for f, i, s, sh, c, topic in
                     zip(*_lists(requests, "file", "lea_id", "sentence", "sheet", "cell", "topic")) if not topic]
    leas = lea_list(t) if leas is None else leas
    return combine_signals(signals, ratings, leas, taxonomy=tax, settings=st, spoke=_spoke(t)), unclassified


def _spoke(t: Mapping[str, pd.DataFrame]) -> dict[str, set[tuple[str, str]]]:
    """The LEAs that gave each kind of self-reported evidence at all."""
    answered = t["responses"]
    if "placeholder" in answered:
        answered = answered[~answered["placeholder"].fillna(False).astype(bool)]
    asked = t["ratings"][t["ratings"]["tta_wanted"].notna()] if "tta_wanted" in t["ratings"] else t["ratings"].iloc[:0]
    return {"priority": set(zip(*_lists(t["needs"], "file", "lea_id"))),
            "request": set(zip(*_lists(answered, "file", "lea_id"))) | set(zip(*_lists(asked, "file", "lea_id")))}


# ---------------------------------------------------------------- ranking
def wilson_interval(k: Any, n: Any, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion k / n (NaN where n is 0).

    Examples
    --------
    >>> low, high = wilson_interval(5, 10)
    >>> round(float(low), 4), round(float(high), 4)
    (0.2366, 0.7634)
    """
    k, n = np.asarray(k, float), np.asarray(n, float)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z * z / n
        center = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return np.clip(center - half, 0, 1), np.clip(center + half, 0, 1)


def kendall_tau_b(x: Any, y: Any) -> float:
    """Kendall's tau-b between two score lists, ties allowed; pairs with a NaN are left out.

    Examples
    --------
    >>> kendall_tau_b([1, 2, 3, 4], [1, 3, 2, 4])
    0.6666666666666666
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if len(x) < 2:
        return math.nan
    i, j = np.triu_indices(len(x), 1)
    sx, sy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
    den = math.sqrt(np.abs(sx).sum() * np.abs(sy).sum())
    return float((sx * sy).sum() / den) if den else math.nan


def _rank(values: pd.Series, topics: pd.Series) -> pd.Series:
    """1 = highest value; missing values last; ties by topic key."""
    order = pd.DataFrame({"v": values.fillna(-np.inf), "t": topics}).sort_values(
        ["v", "t"], ascending=[False, True], kind="stable").index
    return pd.Series(np.arange(1, len(order) + 1), index=order).reindex(values.index)


def rank_topics(lea_topics: pd.DataFrame, *, n_leas: int, taxonomy: TaxonomyLike = None,
                settings: SettingsLike = None) -> pd.DataFrame:
    """The ``topics`` table: every topic of the taxonomy, best rank first.

    Parameters
    ----------
    lea_topics : DataFrame
        From :func:`lea_gaps`.
    n_leas : int
        Number of LEAs read (the denominator of prevalence).  With none, the
        table is empty.

    Returns
    -------
    DataFrame
        ``n_leas`` LEAs with the need; ``prevalence`` n_leas / all LEAs and
        its Wilson interval; ``severity`` their mean gap (0 when none);
        ``score`` and ``rank`` by the default method (``ranking.default``);
        then each method's value and rank, ``top_methods`` (in how many of
        ``ranking.methods`` the topic is in the top ``ranking.top_n``) and
        ``consensus`` (in the top N under more than ``consensus_share`` of
        them).
    """
    tax, st = load_taxonomy(taxonomy), load_settings(settings)
    cols = TOPIC_COLUMNS
    if not n_leas:
        return pd.DataFrame({c: pd.Series(dtype=float if c not in ("topic", "area", "label") else str)
                             for c in cols})
    lt = lea_topics
    topics = pd.DataFrame({"topic": [t.key for t in tax.topics], "area": [t.area for t in tax.topics],
                           "label": [t.label for t in tax.topics]})
    need = lt[lt["need"].astype(bool)]
    by = need.groupby("topic")
    topics["n_leas"] = topics["topic"].map(by.size()).fillna(0).astype(int)
    topics["prevalence"] = topics["n_leas"] / n_leas
    low, high = wilson_interval(topics["n_leas"], n_leas, confidence=float(st.get("ranking.confidence")))
    topics["prevalence_low"], topics["prevalence_high"] = low, high
    topics["severity"] = topics["topic"].map(by["gap"].mean()).fillna(0.0)
    topics["prevalence_x_severity"] = topics["prevalence"] * topics["severity"]
    topics["borda"] = topics["topic"].map(lt.groupby("topic")["priority"].sum()).fillna(0.0)
    rated = lt[lt["rating"].notna()]
    target = float(st.get("ranking.borich_target"))
    importance = 1 + 3 * rated[["priority", "request"]].max(axis=1).fillna(0.0)
    discrepancy = (target - rated["rating"]).clip(lower=0)
    borich = pd.DataFrame({"topic": rated["topic"], "d": discrepancy, "i": importance}).groupby("topic")
    topics["borich"] = topics["topic"].map(borich["d"].mean() * borich["i"].mean())
    topics["requests"] = topics["topic"].map((lt["request"] == 1).groupby(lt["topic"]).sum()).fillna(0).astype(int)
    topics["n_rated"] = topics["topic"].map(rated.groupby("topic").size()).fillna(0).astype(int)
    topics["mean_rating"] = topics["topic"].map(rated.groupby("topic")["rating"].mean())
    top_n = int(st.get("ranking.top_n"))
    methods = list(st.get("ranking.methods"))
    in_top = pd.Series(0, index=topics.index)
    for m in RANKING_METHODS:
        topics[f"rank_{m}"] = _rank(topics[m].astype(float), topics["topic"])
        if m in methods:
            in_top += ((topics[f"rank_{m}"] <= top_n) & (topics[m] > 0)).astype(int)
    topics["top_methods"] = in_top
    topics["consensus"] = in_top > float(st.get("ranking.consensus_share")) * len(methods)
    default = st.get("ranking.default")
    topics["score"] = topics[default].astype(float)
    topics["rank"] = topics[f"rank_{default}"]
    return topics.sort_values("rank").reset_index(drop=True)[cols]


def method_agreement(topics: pd.DataFrame, *, settings: SettingsLike = None) -> pd.DataFrame:
    """Kendall's tau-b between each pair of ranking methods.

    Only topics that some LEA has (a non-zero value under either method)
    take part, so the many topics nobody has do not inflate agreement.
    """
    methods = list(load_settings(settings).get("ranking.methods"))
    rows = []
    for a_i, a in enumerate(methods):
        for b in methods[a_i + 1:]:
            x, y = topics[a].astype(float), topics[b].astype(float)
            used = (x.fillna(0) > 0) | (y.fillna(0) > 0)
            n = int((used & x.notna() & y.notna()).sum())
            rows.append((a, b, kendall_tau_b(x[used], y[used]), n))
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS).astype({"tau": float, "n_topics": int})


# ---------------------------------------------------------------- the whole
@dataclass(frozen=True, eq=False)
class Scores:
    """What :func:`score` returns: the scoring and planning tables.

    Attributes
    ----------
    topics, lea_topics, tta_plan, cohorts, tta_requests, spending : DataFrame
        The tables of ``SCORE_TABLES``.
    agreement : DataFrame
        Kendall's tau-b between ranking methods.
    unclassified : DataFrame
        Needs and T/TA requests that named no topic: where to extend the taxonomy.
    settings : dict
        Every setting in force under its dotted key, plus the taxonomy and
        settings sources.
    tables : dict
        All the tables above by name, in writing order.
    """

    topics: pd.DataFrame
    lea_topics: pd.DataFrame
    tta_plan: pd.DataFrame
    cohorts: pd.DataFrame
    tta_requests: pd.DataFrame
    spending: pd.DataFrame
    agreement: pd.DataFrame
    unclassified: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def to_csv(self, outdir: str | Path) -> list[Path]:
        """Write each table as ``<name>.csv`` (UTF-8) into ``outdir``; returns the paths.

        Raises
        ------
        OutputError
            When the folder or a file cannot be written.
        """
        out = Path(outdir)
        written = []
        try:
            out.mkdir(parents=True, exist_ok=True)
            for name, table in self.tables.items():
                path = out / f"{name}.csv"
                table.to_csv(path, index=False, encoding="utf-8")
                written.append(path)
        except OSError as exc:
            raise OutputError(f"cannot write the tables to {out}: {exc.strerror or exc}") from exc
        return written

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}: {len(v)} rows" for k, v in self.tables.items())
        return f"Scores({counts})"

    def _repr_html_(self) -> str:
        top = self.topics.head(10)[["rank", "topic", "label", "n_leas", "prevalence", "severity", "score"]]
        plan = self.tta_plan.head(10)[["topic", "delivery", "level", "modes", "n_leas"]]
        counts = "".join(f"<li>{html.escape(k)}: {len(v)} rows</li>" for k, v in self.tables.items())
        return (f"<div><strong>needsassess scores</strong><ul>{counts}</ul>"
                f"<p>Top topics</p>{top.to_html(index=False)}<p>T/TA plan</p>{plan.to_html(index=False)}</div>")


def score(tables: Any, *, taxonomy: TaxonomyLike = None, settings: SettingsLike = None) -> Scores:
    """Score every LEA's needs, rank topics statewide and plan T/TA.

    Parameters
    ----------
    tables : object or mapping
        The reader's tables as attributes (``leas``, ``responses``,
        ``ratings``, ``needs``, ``indicators``) or a mapping of those names.
    taxonomy : path, Taxonomy or None
        The topics, request cues and T/TA modes; None for the shipped ones.
    settings : path, Settings, mapping or None
        Weights, thresholds and rules; a mapping overrides the shipped ones.

    Returns
    -------
    Scores
    """
    with _gc_paused():
        return _score(as_tables(tables), load_taxonomy(taxonomy), load_settings(settings))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while scoring.

    Scoring makes hundreds of thousands of small tuples and lists; the
    collections they trigger took about a fifth of the run time on a
    1,000-LEA corpus and free nothing, since scoring makes no reference
    cycles to speak of.  Reference counting frees everything as usual.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _score(t: Mapping[str, pd.DataFrame], tax: Taxonomy, st: Settings) -> Scores:
    requests = find_requests(t["responses"], taxonomy=tax, leas=t["leas"])
    spending = check_spending(t["leas"], t["needs"], settings=st)
    leas = lea_list(t)
    lea_topics, unclassified = _lea_gaps(t, tax, st, requests, spending, leas)
    topics = rank_topics(lea_topics, n_leas=len(leas), taxonomy=tax, settings=st)
    agreement = method_agreement(topics, settings=st)
    plan = plan_tta(topics, lea_topics, taxonomy=tax, settings=st)
    cohorts = find_cohorts(lea_topics, settings=st)
    unclassified_frame = pd.DataFrame(unclassified, columns=UNCLASSIFIED_COLUMNS)
    named = {"topics": topics, "lea_topics": lea_topics, "tta_plan": plan, "cohorts": cohorts,
             "tta_requests": requests, "spending": spending, "method_agreement": agreement,
             "unclassified": unclassified_frame}
    in_force = {"taxonomy": tax.source, "settings": st.source, **st.flat()}
    return Scores(topics, lea_topics, plan, cohorts, requests, spending, agreement, unclassified_frame,
                  in_force, named)
